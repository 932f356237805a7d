/**
 * Every back-channel request of the DVP Server goes through here (SPEC W-1, W-2, L-8, S-2, LOG-3):
 *   - before connecting: the target must be https on port 443 (L-8) and its hostname on the most
 *     recent Whitelist (W-1); if either cannot be established, nothing is sent (W-2);
 *   - the request leaves through the mutual-TLS fetcher, with the DVP's certificate (S-2);
 *   - it carries a fresh MedMij-Request-ID, which is logged (LOG-3) and returned for the audit log.
 */
import { uuidV4 } from "../shared/crypto.ts";
import { listIndex } from "../shared/lists/store.ts";
import { isPort443Https } from "../shared/lists/zorgaanbiederslijst.ts";
import { log } from "../shared/log.ts";
import type { Env } from "./env.ts";

const TIMEOUT_MS = 15_000;

export class PeerRefused extends Error {
  override readonly name = "PeerRefused";
}

export interface PeerResponse {
  readonly response: Response;
  readonly requestId: string;
  readonly at: string;
}

/** W-1 + L-8 as one decision, made before any connection exists. */
export async function peerAllowed(env: Pick<Env, "LISTS">, uri: string): Promise<string | undefined> {
  if (!isPort443Https(uri)) return "not an https URI on port 443 (L-8)";
  const whitelist = await listIndex(env.LISTS, "Whitelist");
  if (!whitelist) return "no valid Whitelist held (W-2)";
  const host = new URL(uri).hostname;
  return whitelist.has(host) ? undefined : `host ${host} is not on the Whitelist (W-1)`;
}

export async function peerFetch(env: Pick<Env, "LISTS" | "MTLS">, uri: string, init: RequestInit, purpose: string): Promise<PeerResponse> {
  const refusal = await peerAllowed(env, uri);
  if (refusal) {
    log("warn", "peer.refused", { purpose, host: safeHost(uri), reason: refusal });
    throw new PeerRefused(refusal);
  }
  const requestId = uuidV4();
  const headers = new Headers(init.headers);
  headers.set("medmij-request-id", requestId);
  const at = new Date().toISOString();
  const response = await env.MTLS.fetch(new Request(uri, { ...init, headers, redirect: "manual", signal: AbortSignal.timeout(TIMEOUT_MS) }));
  // LOG-3: the MedMij-Request-ID of every request sent, with where it went and how it ended.
  log("info", "peer.request", { purpose, requestId, host: new URL(uri).hostname, path: new URL(uri).pathname, status: response.status });
  return { response, requestId, at };
}

function safeHost(uri: string): string {
  try {
    return new URL(uri).hostname;
  } catch {
    return "(invalid)";
  }
}
