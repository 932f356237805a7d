/**
 * The back-channel gate (SPEC W-1, W-2, W-3, S-2): the first thing the token and resource endpoints
 * do, before reading a parameter, a header or the body.
 *
 *   1. the peer presented a client certificate the edge verified (S-2);
 *   2. its CN is on the most recent Whitelist this node holds (W-1).
 *
 * If either cannot be established the exchange ends with a bare 403: no body, no challenge, no
 * reason (W-2). The reason is logged here, on our side only. The order is visible in index.ts, where
 * this middleware is mounted ahead of every back-channel handler (W-3).
 */
import type { MiddlewareHandler } from "hono";
import { listIndex } from "../shared/lists/store.ts";
import { log } from "../shared/log.ts";
import { peerTlsOf, verifiedPeerCertificate, type PeerCertificate } from "../shared/mtls.ts";
import type { Env } from "./env.ts";

export interface BackchannelVariables {
  /** Set only after the gate passed. */
  peer: PeerCertificate;
}

export function bareForbidden(): Response {
  return new Response(null, { status: 403 });
}

export const whitelistGate: MiddlewareHandler<{ Bindings: Env; Variables: BackchannelVariables }> = async (c, next) => {
  const cert = verifiedPeerCertificate(peerTlsOf(c.req.raw));
  if (!cert.ok) {
    log("warn", "backchannel.refused", { step: "certificate", reason: cert.reason, path: new URL(c.req.url).pathname });
    return bareForbidden();
  }
  const whitelist = await listIndex(c.env.LISTS, "Whitelist");
  if (!whitelist) {
    log("error", "backchannel.refused", { step: "whitelist", reason: "no valid Whitelist held", peer: cert.cert.commonName });
    return bareForbidden();
  }
  if (!whitelist.has(cert.cert.commonName)) {
    log("warn", "backchannel.refused", { step: "whitelist", reason: "not on Whitelist", peer: cert.cert.commonName, volgnummer: whitelist.list.volgnummer });
    return bareForbidden();
  }
  c.set("peer", cert.cert);
  await next();
};
