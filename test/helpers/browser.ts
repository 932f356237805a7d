/**
 * A minimal browser for front-channel tests inside workerd: keeps cookies per host, follows
 * redirects by hand (so tests can look at each hop), and reaches each host the way DNS would:
 * the worker under test (SELF) or a peer worker over its service binding.
 */
import { SELF } from "cloudflare:test";

export type Route = Record<string, { fetch(input: Request): Promise<Response> }>;

export class Browser {
  private readonly jar = new Map<string, Map<string, string>>();
  readonly visited: string[] = [];

  constructor(private readonly peers: Route = {}) {}

  private cookies(host: string): Map<string, string> {
    let m = this.jar.get(host);
    if (!m) this.jar.set(host, (m = new Map()));
    return m;
  }

  cookie(host: string, name: string): string | undefined {
    return this.cookies(host).get(name);
  }

  async request(url: string, init: RequestInit = {}): Promise<Response> {
    const u = new URL(url);
    this.visited.push(url);
    const headers = new Headers(init.headers);
    const jar = this.cookies(u.host);
    if (jar.size > 0) headers.set("cookie", [...jar].map(([k, v]) => `${k}=${v}`).join("; "));
    const request = new Request(url, { ...init, headers, redirect: "manual" });
    const peer = this.peers[u.host];
    const response = peer ? await peer.fetch(request) : await SELF.fetch(request);
    for (const line of response.headers.getAll("set-cookie")) {
      const [pair, ...attrs] = line.split(";");
      const eq = pair!.indexOf("=");
      const name = pair!.slice(0, eq).trim();
      const value = pair!.slice(eq + 1).trim();
      if (attrs.some((a: string) => /^\s*max-age=0\s*$/i.test(a))) jar.delete(name);
      else jar.set(name, value);
    }
    return response;
  }

  get(url: string): Promise<Response> {
    return this.request(url);
  }

  /** Submit a form the way a browser does (application/x-www-form-urlencoded). */
  post(url: string, fields: Record<string, string>): Promise<Response> {
    return this.request(url, { method: "POST", headers: { "content-type": "application/x-www-form-urlencoded" }, body: new URLSearchParams(fields).toString() });
  }
}

/** The value of a hidden or named input in server-rendered HTML. */
export function formField(html: string, name: string): string | undefined {
  const m = new RegExp(`<input[^>]*name="${name}"[^>]*value="([^"]*)"`).exec(html);
  return m?.[1]?.replace(/&amp;/g, "&").replace(/&quot;/g, '"').replace(/&#39;/g, "'").replace(/&lt;/g, "<").replace(/&gt;/g, ">");
}

export function location(res: Response): string {
  const l = res.headers.get("location");
  if (!l) throw new Error(`expected a redirect, got ${res.status}`);
  return l;
}
