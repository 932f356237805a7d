/**
 * The local MedMij network's "internet" for the workers' own outbound traffic (development and tests only;
 * never deployed). Inbound traffic from browsers and tools enters through the front door in Node
 * (scripts/local-network-front.mjs).
 *
 * It stands where, in production, DNS and Cloudflare's edge stand, so the real workers run unchanged:
 *   - a worker's outbound fetch (its `outboundService`) reaches the worker or Node-side peer that owns the
 *     hostname (HOSTS), as DNS + routes would;
 *   - the `MutualTls` entrypoint, bound in a node as its mTLS fetcher with `props.clientHostname`, stamps
 *     `request.cf.tlsClientAuth` the way Cloudflare does for a verified client certificate (SPEC S-2);
 *   - optionally, workers' requests to some hosts fail at random (FAULTS: the soak tests).
 */
import { WorkerEntrypoint } from "cloudflare:workers";
import { sha256Hex } from "../shared/crypto.ts";
import { fingerprintInput, tlsClientAuthFor } from "./client-certificate.mjs";

export interface Env {
  /** JSON: { "<hostname>": "<service binding name>" }. */
  HOSTS: string;
  /** Optional JSON { "<hostname>": probability }: workers' own requests to that host fail at random (soak tests). */
  FAULTS?: string;
  [binding: string]: unknown;
}

let parsedHosts: { text: string; map: Record<string, string> } | undefined;

function serviceFor(env: Env, hostname: string): Fetcher | undefined {
  if (parsedHosts?.text !== env.HOSTS) parsedHosts = { text: env.HOSTS, map: JSON.parse(env.HOSTS) as Record<string, string> };
  const name = parsedHosts.map[hostname];
  return name ? (env[name] as Fetcher) : undefined;
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

async function forward(env: Env, request: Request, cf: Record<string, unknown> | undefined): Promise<Response> {
  const url = new URL(request.url);
  const service = serviceFor(env, url.hostname);
  // An unknown host is what a failed DNS lookup would be: the caller gets nothing useful.
  if (!service) return new Response(`local network: no host ${url.hostname}\n`, { status: 502 });
  const headers = new Headers(request.headers);
  // Like the edge: the client's address is set by the network, never taken from the client.
  headers.set("cf-connecting-ip", "127.0.0.1");
  const init: RequestInit = { method: request.method, headers, redirect: "manual" };
  if (request.method !== "GET" && request.method !== "HEAD") init.body = await request.arrayBuffer();
  if (cf) (init as { cf?: unknown }).cf = cf;
  const fault = await injectedFault(env, url.hostname, service, new Request(url, init));
  return fault ?? service.fetch(new Request(url, init));
}

async function localCertificate(clientHostname: string): Promise<Record<string, unknown>> {
  return tlsClientAuthFor(clientHostname, await sha256Hex(fingerprintInput(clientHostname)));
}

export default {
  /** The workers' own outbound fetch (https://...). */
  async fetch(request: Request, env: Env): Promise<Response> {
    return forward(env, request, undefined);
  },
} satisfies ExportedHandler<Env>;

/** A node's mutual-TLS fetcher: requests leave with its client certificate (SPEC S-2, W-1, AS-11). */
export class MutualTls extends WorkerEntrypoint<Env, { clientHostname: string }> {
  override async fetch(request: Request): Promise<Response> {
    return forward(this.env, request, await localCertificate(this.ctx.props.clientHostname));
  }
}
