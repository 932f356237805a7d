/**
 * `request.cf.tlsClientAuth` on Deno (SPEC S-2, W-1): self-hosted, a TLS terminator in front (nginx,
 * scripts/deno/nginx.conf.sh) verifies the client certificate against the configured CAs and forwards its
 * verdict in headers. The verdict is believed only from a configured proxy address (TRUSTED_PROXIES); from
 * anyone else those headers are ignored and the request has no client certificate, so the back channel
 * answers with the bare 403 of W-2.
 *
 * nginx:  proxy_set_header X-SSL-Client-Verify $ssl_client_verify;   (SUCCESS | FAILED:<reason> | NONE)
 *         proxy_set_header X-SSL-Client-S-DN   $ssl_client_s_dn;     (RFC 2253)
 *         proxy_set_header X-SSL-Client-Cert   $ssl_client_escaped_cert;
 *         proxy_set_header X-Real-IP           $remote_addr;
 *         proxy_set_header Host                $host;
 */
import { sha256 } from "@noble/hashes/sha2";
import { hex } from "../../shared/crypto.ts";
import type { TlsClientAuthLike } from "../../shared/mtls.ts";

export const VERIFY_HEADER = "x-ssl-client-verify";
export const SUBJECT_HEADER = "x-ssl-client-s-dn";
export const CERT_HEADER = "x-ssl-client-cert";
export const REAL_IP_HEADER = "x-real-ip";
/** The host the client asked for, when the proxy does not pass Host itself (nginx does: `Host $host`). */
export const FORWARDED_HOST_HEADER = "x-forwarded-host";
const PROXY_HEADERS = [VERIFY_HEADER, SUBJECT_HEADER, CERT_HEADER, REAL_IP_HEADER, FORWARDED_HOST_HEADER];

/** Proxy addresses from configuration: a comma-separated list of IP addresses. */
export function trustedProxies(value: string | undefined): ReadonlySet<string> {
  return new Set((value ?? "").split(",").map((s) => s.trim()).filter((s) => s !== ""));
}

/** SHA-256 of the certificate's DER, from the PEM nginx forwards URL-encoded; "" when there is none. */
function fingerprint(escapedPem: string | null): string {
  if (!escapedPem) return "";
  try {
    const pem = decodeURIComponent(escapedPem);
    const b64 = /-----BEGIN CERTIFICATE-----([\s\S]+?)-----END CERTIFICATE-----/.exec(pem)?.[1]?.replace(/\s+/g, "");
    if (!b64) return "";
    const der = Uint8Array.from(atob(b64), (c) => c.charCodeAt(0));
    return hex(sha256(der));
  } catch {
    return "";
  }
}

export interface Verdict {
  /** What the edge would put in request.cf; undefined when the request did not come through a trusted proxy. */
  readonly tlsClientAuth: TlsClientAuthLike | undefined;
  /** The client's address: from the proxy when trusted, else the socket's peer. */
  readonly clientAddress: string;
  /** X-Forwarded-Host from a trusted proxy. */
  readonly forwardedHost?: string;
}

export function tlsVerdict(headers: Headers, peerAddress: string, trusted: ReadonlySet<string>): Verdict {
  if (!trusted.has(peerAddress)) return { tlsClientAuth: undefined, clientAddress: peerAddress };
  const forwardedHost = headers.get(FORWARDED_HOST_HEADER) ?? undefined;
  const verify = headers.get(VERIFY_HEADER) ?? "NONE";
  const presented = verify !== "NONE" && verify !== "";
  return {
    tlsClientAuth: {
      certPresented: presented ? "1" : "0",
      certVerified: presented ? verify : "NONE",
      certRevoked: "0",
      certSubjectDNRFC2253: presented ? (headers.get(SUBJECT_HEADER) ?? "") : "",
      certFingerprintSHA256: presented ? fingerprint(headers.get(CERT_HEADER)) : "",
    },
    clientAddress: headers.get(REAL_IP_HEADER) ?? peerAddress,
    ...(forwardedHost ? { forwardedHost } : {}),
  };
}

/**
 * The request as the workers see it on the edge: https, the proxy's headers removed, `cf-connecting-ip` set by
 * the server (never taken from the client) and `cf.tlsClientAuth` from the verdict.
 */
export function asEdgeRequest(request: Request, verdict: Verdict): Request {
  const headers = new Headers(request.headers);
  for (const h of PROXY_HEADERS) headers.delete(h);
  headers.set("cf-connecting-ip", verdict.clientAddress);
  // TLS ended at the proxy: the workers see the https URL the client asked for, as on the edge.
  const url = new URL(request.url);
  const host = (verdict.forwardedHost ?? request.headers.get("host") ?? url.host).replace(/:443$/, "");
  const forwarded = new Request(`https://${host}${url.pathname}${url.search}`, { method: request.method, headers, body: request.body, redirect: "manual", ...({ duplex: "half" } as object) });
  Object.defineProperty(forwarded, "cf", { value: verdict.tlsClientAuth ? { tlsClientAuth: verdict.tlsClientAuth } : {}, enumerable: true });
  return forwarded;
}
