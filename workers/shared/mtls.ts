/**
 * What the TLS layer tells a worker about the peer's client certificate (SPEC S-2, W-1, AS-11).
 *
 * On Cloudflare, with mutual TLS enabled for the zone, `request.cf.tlsClientAuth` carries the
 * verification result and the subject DN. The verification itself happens at the edge against the
 * zone's CA configuration; the worker only reads the verdict.
 */

export interface TlsClientAuthLike {
  readonly certPresented?: string;
  readonly certVerified?: string;
  readonly certRevoked?: string;
  readonly certSubjectDN?: string;
  readonly certSubjectDNRFC2253?: string;
  readonly certFingerprintSHA256?: string;
}

/** The peer's TLS identity as the runtime attaches it to the request it hands a worker: `request.cf.tlsClientAuth`. */
export interface PeerTls {
  readonly tlsClientAuth?: TlsClientAuthLike;
}

/**
 * `request.cf`: set by the edge, and on Deno by the adapter from the trusted proxy's verdict
 * (workers/adapter/deno/tls-client-auth.ts). The web-standard Request type has no `cf`; undefined when absent.
 */
export function peerTlsOf(request: Request): PeerTls | undefined {
  return (request as Request & { readonly cf?: PeerTls }).cf;
}

export interface PeerCertificate {
  /** The single Common Name in the subject (AS-11: the client's hostname). */
  readonly commonName: string;
  readonly fingerprintSha256: string;
}

export type PeerCertificateResult = { ok: true; cert: PeerCertificate } | { ok: false; reason: string };

/**
 * The peer's verified certificate, or why there is none. Anything short of "presented, verified by
 * the edge, not revoked, exactly one CN" is no certificate at all.
 */
export function verifiedPeerCertificate(cf: unknown): PeerCertificateResult {
  const auth = (cf as { tlsClientAuth?: TlsClientAuthLike } | undefined)?.tlsClientAuth;
  if (!auth) return { ok: false, reason: "no TLS client authentication data" };
  if (auth.certPresented !== "1") return { ok: false, reason: "no client certificate presented" };
  if (auth.certVerified !== "SUCCESS") return { ok: false, reason: `client certificate not verified (${String(auth.certVerified).slice(0, 60)})` };
  if (auth.certRevoked === "1") return { ok: false, reason: "client certificate revoked" };
  const dn = auth.certSubjectDNRFC2253 || auth.certSubjectDN || "";
  const cns = commonNames(dn);
  if (cns === undefined) return { ok: false, reason: "subject DN unreadable" };
  if (cns.length !== 1) return { ok: false, reason: `subject has ${cns.length} CNs` };
  // A CN with white space or control characters can never be a whitelisted hostname; said early, for the log.
  if (!/^[\x21-\x7e]{1,253}$/.test(cns[0]!)) return { ok: false, reason: "subject CN is not a hostname (white space, control or non-ASCII characters)" };
  return { ok: true, cert: { commonName: cns[0]!, fingerprintSha256: (auth.certFingerprintSHA256 ?? "").toLowerCase() } };
}

/**
 * All CN values of an RFC 4514/2253 distinguished name (`CN=host,O=Org\, Inc.,C=NL`), also the
 * OpenSSL "legacy" slash form (`/C=NL/O=Org/CN=host`). Escapes are decoded; undefined when malformed.
 * A value is never trimmed: W-1 and AS-11 compare the CN exactly as the Whitelist spells the hostname
 * (FACTS: exact, case-sensitive), so ` host`, `host ` or `host\09` (an escaped space or TAB) is another
 * name, not on the list. White space between an RDN separator and the next attribute type is the only
 * white space that is dropped (RFC 4514 §3 has none; some producers write `CN=a, O=b`).
 */
export function commonNames(dn: string): string[] | undefined {
  const attrs = dn.startsWith("/") ? splitLegacy(dn) : splitRfc4514(dn);
  if (!attrs) return undefined;
  return attrs.filter(([type]) => type.toUpperCase() === "CN" || type === "2.5.4.3").map(([, value]) => value);
}

function splitLegacy(dn: string): [string, string][] | undefined {
  const out: [string, string][] = [];
  for (const part of dn.slice(1).split("/")) {
    const eq = part.indexOf("=");
    if (eq <= 0) return undefined;
    out.push([part.slice(0, eq).trim(), part.slice(eq + 1)]);
  }
  return out;
}

function splitRfc4514(dn: string): [string, string][] | undefined {
  const out: [string, string][] = [];
  let type = "";
  let value = "";
  let inValue = false;
  const flush = (): boolean => {
    if (!inValue || type.trim() === "") return false;
    out.push([type.trim(), value]);
    type = "";
    value = "";
    inValue = false;
    return true;
  };
  for (let i = 0; i < dn.length; i++) {
    const ch = dn[i]!;
    if (!inValue) {
      if (ch === "=") inValue = true;
      else type += ch;
      continue;
    }
    if (ch === "\\") {
      const next = dn.slice(i + 1, i + 3);
      if (/^[0-9a-fA-F]{2}$/.test(next)) {
        value += String.fromCharCode(parseInt(next, 16));
        i += 2;
      } else if (i + 1 < dn.length) {
        value += dn[++i];
      } else return undefined;
    } else if (ch === "," || ch === "+" || ch === ";") {
      if (!flush()) return undefined;
    } else value += ch;
  }
  if (dn.trim() === "") return [];
  return flush() ? out : undefined;
}
