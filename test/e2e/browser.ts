/**
 * A browser for the end-to-end tests: talks HTTP to the local network's port with the Host of each
 * URL (as a browser resolving *.localhost to loopback would), keeps cookies per host, and follows
 * nothing by itself so every hop can be checked.
 */
import { expect } from "vitest";
import { HOSTS, type LocalNetwork } from "../../scripts/local-network.mjs";

export class NetBrowser {
  private readonly jar = new Map<string, Map<string, string>>();
  /** Any network with a front door: in workerd (LocalNetwork) or on Deno (DenoNetwork). */
  constructor(private readonly net: Pick<LocalNetwork, "fetch">) {}

  async request(url: string, init: { method?: string; headers?: Record<string, string>; body?: string } = {}): Promise<Response> {
    const u = new URL(url);
    const jar = this.jar.get(u.host) ?? new Map<string, string>();
    this.jar.set(u.host, jar);
    const headers: Record<string, string> = { ...(init.headers ?? {}) };
    if (jar.size > 0) headers.cookie = [...jar].map(([k, v]) => `${k}=${v}`).join("; ");
    const res = await this.net.fetch(url, { method: init.method ?? "GET", headers, body: init.body });
    for (const line of (res.headers as unknown as { getSetCookie(): string[] }).getSetCookie()) {
      const [pair, ...attrs] = line.split(";");
      const eq = pair!.indexOf("=");
      if (attrs.some((a: string) => /^\s*max-age=0\s*$/i.test(a))) jar.delete(pair!.slice(0, eq).trim());
      else jar.set(pair!.slice(0, eq).trim(), pair!.slice(eq + 1).trim());
    }
    return res;
  }

  get(url: string): Promise<Response> {
    return this.request(url);
  }

  post(url: string, fields: Record<string, string>): Promise<Response> {
    return this.request(url, { method: "POST", headers: { "content-type": "application/x-www-form-urlencoded" }, body: new URLSearchParams(fields).toString() });
  }

  /** Follow redirects from `url`, resolving relative Locations, until a non-redirect; returns all hops. */
  async follow(first: Response, from: string, max = 10): Promise<{ final: Response; url: string; hops: string[] }> {
    let res = first;
    let url = from;
    const hops: string[] = [];
    for (let i = 0; i < max && res.status >= 300 && res.status < 400; i++) {
      url = new URL(res.headers.get("location")!, url).href;
      hops.push(url);
      await res.body?.cancel();
      res = await this.get(url);
    }
    return { final: res, url, hops };
  }
}

export function field(html: string, name: string): string {
  const m = new RegExp(`<input[^>]*name="${name}"[^>]*value="([^"]*)"`).exec(html);
  if (!m) throw new Error(`no field ${name}`);
  return m[1]!.replace(/&amp;/g, "&").replace(/&quot;/g, '"').replace(/&#39;/g, "'");
}

/** Logs in at the PGO as `person` and starts a run: the authorization URL the PGO's hand-off page sends the browser to. */
export async function startAtPgo(net: LocalNetwork, b: NetBrowser, person: string, run: { zorgaanbieder: string; gegevensdienst: string; useCase?: "verzamelen" | "delen" }): Promise<string> {
  const pgo = net.base(HOSTS.dvpKluis);
  await b.post(`${pgo}/login`, { person });
  const csrf = field(await (await b.get(`${pgo}/`)).text(), "csrf");
  const start = await b.post(`${pgo}/${run.useCase ?? "verzamelen"}`, { csrf, zorgaanbieder: run.zorgaanbieder, gegevensdienst: run.gegevensdienst });
  return new URL(/^0;url=(.+)$/.exec(start.headers.get("refresh")!)![1]!, pgo).href;
}


/**
 * Issue 19 #4: a 50 MB publication that Registratie refuses before reading its body, sent `times` times through the
 * front door: each a 413, as the edge answers (never a 502 or a reset), and the next request served as usual.
 */
export async function expectOversizedPublicationRefused(net: Pick<LocalNetwork, "browse" | "adminToken">, times = 1): Promise<void> {
  for (let i = 0; i < times; i++) {
    const r = await net.browse(HOSTS.registratie, "/admin/lists/MedMij_Whitelist.xml", {
      method: "PUT",
      headers: { authorization: `Bearer ${net.adminToken}`, "content-type": "application/xml" },
      body: new Uint8Array(50 * 1024 * 1024),
    });
    expect(r.status).toBe(413);
    await r.body?.cancel();
  }
  expect((await net.browse(HOSTS.registratie, "/MedMij_Whitelist.xml?release=2")).status).toBe(200);
}
