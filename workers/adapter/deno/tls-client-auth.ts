/**
 * `request.cf.tlsClientAuth` on Deno (SPEC S-2, W-1, X-7): self-hosted, a TLS terminator in front (nginx,
 * scripts/deno/nginx.conf.sh) verifies the client certificate against the configured CAs and forwards its
 * verdict in headers. The verdict is believed only when the request proves it came through that terminator:
 *   1. it carries the proxy secret (PROXY_SECRET) that only nginx knows, compared in constant time;
 *   2. and it comes from a configured proxy address (TRUSTED_PROXIES; `unix` when Deno listens on a Unix
 *      socket that only nginx's user may open, LISTEN_SOCKET).
 * The address alone proves nothing when nginx and Deno share a host: any local process can connect to
 * 127.0.0.1 (issue 15 #8). Without both, those headers are ignored and the request has no client
 * certificate, so the back channel answers with the bare 403 of W-2.
 *
 * nginx:  proxy_set_header X-MedMij-Proxy-Secret <secret>;            (replaces any value a client sent)
 *         proxy_set_header X-SSL-Client-Verify $ssl_client_verify;   (SUCCESS | FAILED:<reason> | NONE; a certificate
 *                                                                    its CA revoked: FAILED:certificate revoked)
 *         proxy_set_header X-SSL-Client-S-DN   $ssl_client_s_dn;     (RFC 2253)
 *         proxy_set_header X-SSL-Client-Cert   $ssl_client_escaped_cert;
 *         proxy_set_header X-Real-IP           $remote_addr;
 *         proxy_set_header Host                $host;
 * and clears every forwarded header a client may have sent (X-Forwarded-*, Forwarded, ...), so X-Forwarded-Host,
 * believed from the trusted proxy only, is one that proxy set itself (a test harness without nginx uses it;
 * nginx passes Host).
 */
import { sha256 } from "@noble/hashes/sha2";
import { hex, timingSafeEqualStringSync } from "../../shared/crypto.ts";
import type { TlsClientAuthLike } from "../../shared/mtls.ts";

export const VERIFY_HEADER = "x-ssl-client-verify";
export const SUBJECT_HEADER = "x-ssl-client-s-dn";
export const CERT_HEADER = "x-ssl-client-cert";
export const REAL_IP_HEADER = "x-real-ip";
export const PROXY_SECRET_HEADER = "x-medmij-proxy-secret";
/** The host the client asked for, when the proxy does not pass Host itself (nginx does: `Host $host`). */
export const FORWARDED_HOST_HEADER = "x-forwarded-host";
/** Never passed to a worker: the proxy's own headers, and forwarded ones nobody here may believe. */
const PROXY_HEADERS = [VERIFY_HEADER, SUBJECT_HEADER, CERT_HEADER, REAL_IP_HEADER, PROXY_SECRET_HEADER, FORWARDED_HOST_HEADER, "x-forwarded-for", "x-forwarded-proto", "x-forwarded-port", "forwarded"];
/** The peer "address" of a connection over a Unix socket (LISTEN_SOCKET). */
export const UNIX_PEER = "unix";
/** At least 128 bits of entropy as hex or base64 text (AS-8's bar, for the one secret the proxy trust rests on). */
const MIN_SECRET_LENGTH = 32;

export interface ProxyTrust {
  /** Addresses the proxy connects from (`unix` for a Unix socket). */
  readonly addresses: ReadonlySet<string>;
  /** The secret nginx adds to every request; undefined: no proxy is trusted at all. */
  readonly secret: string | undefined;
}

export class ProxyTrustConfigError extends Error {
  override readonly name = "ProxyTrustConfigError";
}

/**
 * From configuration: TRUSTED_PROXIES (comma-separated addresses) and PROXY_SECRET. Addresses without a secret
 * are a configuration error (the process refuses to start): trust by address alone is what issue 15 #8 broke.
 */
export function proxyTrust(addresses: string | undefined, secret: string | undefined): ProxyTrust {
  const set = new Set((addresses ?? "").split(",").map((s) => s.trim()).filter((s) => s !== ""));
  if (set.size === 0) return { addresses: set, secret: undefined };
  if (!secret || secret.length < MIN_SECRET_LENGTH || /\s/.test(secret)) {
    throw new ProxyTrustConfigError(`TRUSTED_PROXIES is set, so PROXY_SECRET must be set too: at least ${MIN_SECRET_LENGTH} characters without white space (openssl rand -hex 32)`);
  }
  return { addresses: set, secret };
}

/** Only the configured terminator: the right address and the secret only it holds. */
function fromTrustedProxy(headers: Headers, peerAddress: string, trust: ProxyTrust): boolean {
  if (trust.secret === undefined || !trust.addresses.has(peerAddress)) return false;
  const presented = headers.get(PROXY_SECRET_HEADER);
  return presented !== null && timingSafeEqualStringSync(presented, trust.secret);
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
  /** X-Forwarded-Host from the trusted proxy. */
  readonly forwardedHost?: string;
}

export function tlsVerdict(headers: Headers, peerAddress: string, trust: ProxyTrust): Verdict {
  if (!fromTrustedProxy(headers, peerAddress, trust)) return { tlsClientAuth: undefined, clientAddress: peerAddress };
  const forwardedHost = headers.get(FORWARDED_HOST_HEADER) ?? undefined;
  const verify = headers.get(VERIFY_HEADER) ?? "NONE";
  const presented = verify !== "NONE" && verify !== "";
  return {
    tlsClientAuth: {
      certPresented: presented ? "1" : "0",
      certVerified: presented ? verify : "NONE",
      // nginx checks revocation against the CAs' CRLs (nginx.conf.sh CLIENT_CRL) and says so in its verdict.
      certRevoked: presented && /revoked/i.test(verify) ? "1" : "0",
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
