/**
 * The local MedMij network's "internet" (development and tests only; never deployed).
 *
 * It stands where, in production, DNS, TLS and Cloudflare's edge stand, so the real workers run
 * unchanged:
 *   - routes a request to the worker that owns its hostname (HOSTS), as DNS + routes would;
 *   - terminates "TLS": a browser talks http://<host>.localhost:<port>, the worker sees https://<host>/
 *     and the absolute https URLs in the headers a browser acts on (Location, Refresh, CSP) are mapped
 *     back for the browser (bodies are left alone: a URL in a form field is data);
 *   - plays the edge's mutual TLS: the `MutualTls` entrypoint, bound in a DVP as its mTLS fetcher
 *     with `props.clientHostname`, stamps `request.cf.tlsClientAuth` the way Cloudflare does for a
 *     verified client certificate (SPEC S-2).
 *   - lets loopback tools act as a DVP Server: a request from outside with the header
 *     `x-local-network-client-cert: <hostname>` is treated as presenting that node's certificate
 *     (curl, the benchmarks). The header is removed before the request reaches a worker. This exists
 *     only in this simulator; in production the certificate comes from the TLS handshake.
 */
import { WorkerEntrypoint } from "cloudflare:workers";
import { sha256Hex } from "../shared/crypto.ts";

export interface Env {
  /** JSON: { "<hostname>": "<service binding name>" }. */
  HOSTS: string;
  /** Binding that answers for 127.0.0.1 / localhost (Registratie, so `curl http://127.0.0.1:PORT/...` works). */
  DEFAULT_SERVICE: string;
  /** Optional JSON { "<hostname>": probability }: workers' own requests to that host fail at random (soak tests). */
  FAULTS?: string;
  [binding: string]: unknown;
}

function hosts(env: Env): Record<string, string> {
  return JSON.parse(env.HOSTS) as Record<string, string>;
}

function serviceFor(env: Env, hostname: string, external: boolean): Fetcher | undefined {
  const name = hosts(env)[hostname] ?? (external && (hostname === "127.0.0.1" || hostname === "localhost") ? env.DEFAULT_SERVICE : undefined);
  return name ? (env[name] as Fetcher) : undefined;
}

/** https://<local host>/ -> http://<local host>:<port>/ in a header value the browser will act on. */
function toBrowser(env: Env, value: string, port: string): string {
  const suffix = port ? `:${port}` : "";
  let out = value;
  for (const host of Object.keys(hosts(env))) out = out.split(`https://${host}`).join(`http://${host}${suffix}`);
  return out;
}

/**
 * A flaky network for soak tests: a faulty answer instead of the real one, half a 503, half a 200
 * whose body is cut off mid-document (what a dropped connection looks like to a list parser).
 */
async function injectedFault(env: Env, hostname: string, service: Fetcher, request: Request): Promise<Response | undefined> {
  const p = env.FAULTS ? (JSON.parse(env.FAULTS) as Record<string, number>)[hostname] : undefined;
  if (!p || Math.random() >= p) return undefined;
  if (Math.random() < 0.5) return new Response("injected fault\n", { status: 503 });
  const real = await service.fetch(new Request(request.url, { headers: request.headers }));
  const text = await real.text();
  return new Response(text.slice(0, Math.floor(text.length / 2)), { status: 200, headers: { "content-type": real.headers.get("content-type") ?? "text/plain" } });
}

async function forward(env: Env, request: Request, cf: Record<string, unknown> | undefined, external: boolean): Promise<Response> {
  const url = new URL(request.url);
  const service = serviceFor(env, url.hostname, external);
  // An unknown host is what a failed DNS lookup would be: the caller gets nothing useful.
  if (!service) return new Response(`local network: no host ${url.hostname}\n`, { status: 502 });
  const target = new URL(`https://${url.hostname}${url.pathname}${url.search}`);
  const headers = new Headers(request.headers);
  // Like the edge: the client's address is set by the network, never taken from the client.
  headers.set("cf-connecting-ip", "127.0.0.1");
  const init: RequestInit = { method: request.method, headers, redirect: "manual" };
  if (request.method !== "GET" && request.method !== "HEAD") init.body = await request.arrayBuffer();
  if (cf) (init as { cf?: unknown }).cf = cf;
  if (!external) {
    const fault = await injectedFault(env, url.hostname, service, new Request(target, init));
    if (fault) return fault;
  }
  const response = await service.fetch(new Request(target, init));
  if (!external) return response;
  const out = new Response(response.body, response);
  for (const name of ["location", "content-security-policy", "refresh"]) {
    const v = out.headers.get(name);
    // The browser's own port: whatever it connected to, it is sent back there.
    if (v !== null) out.headers.set(name, toBrowser(env, v, url.port));
  }
  return out;
}

const CLIENT_CERT_HEADER = "x-local-network-client-cert";

async function localCertificate(clientHostname: string): Promise<Record<string, unknown>> {
  return {
    tlsClientAuth: {
      certPresented: "1",
      certVerified: "SUCCESS",
      certRevoked: "0",
      certSubjectDN: `CN=${clientHostname},O=Local MedMij network,C=NL`,
      certIssuerDN: "CN=Local MedMij network CA,C=NL",
      certFingerprintSHA256: await sha256Hex(`local certificate of ${clientHostname}`),
    },
  };
}

export default {
  /** Browsers and curl (http://...:PORT) and the workers' own outbound fetch (https://...). */
  async fetch(request: Request, env: Env): Promise<Response> {
    const external = new URL(request.url).protocol === "http:";
    const asClient = external ? request.headers.get(CLIENT_CERT_HEADER) : null;
    if (asClient === null) return forward(env, request, undefined, external);
    const headers = new Headers(request.headers);
    headers.delete(CLIENT_CERT_HEADER);
    return forward(env, new Request(request, { headers }), await localCertificate(asClient), external);
  },
} satisfies ExportedHandler<Env>;

/** A DVP's mutual-TLS fetcher: requests leave with its client certificate (SPEC S-2, W-1, AS-11). */
export class MutualTls extends WorkerEntrypoint<Env, { clientHostname: string }> {
  override async fetch(request: Request): Promise<Response> {
    return forward(this.env, request, await localCertificate(this.ctx.props.clientHostname), false);
  }
}
