/**
 * redirect_uri validation at the authorize endpoint (SPEC AS-16, AS-17, L-8, S-3).
 *
 * MedMij registers no redirect URIs: a client's redirect_uri is acceptable when it is an absolute
 * https URI on the client's own hostname (= client_id, compared exactly and case-sensitively, like
 * the lists), on port 443, without user info or fragment. The string is kept exactly as sent: it is
 * where the Person returns and what the token request must repeat byte for byte (AS-17).
 */
const MAX_LENGTH = 2048;
// scheme, then the authority up to the first / ? or #, then the rest.
const SHAPE = /^https:\/\/([^/?#]*)([/?][^#]*)?$/;

export function redirectUriProblem(raw: string, clientId: string): string | undefined {
  if (raw.length > MAX_LENGTH) return "redirect_uri is too long";
  if (/[\s\u0000-\u001f\u007f]/.test(raw)) return "redirect_uri contains white space or control characters";
  const m = SHAPE.exec(raw);
  if (!m) return raw.includes("#") ? "redirect_uri must not contain a fragment" : "redirect_uri must be an absolute https URI";
  const authority = m[1]!;
  if (authority.includes("@")) return "redirect_uri must not contain user information";
  const [host, port, ...more] = authority.split(":");
  if (more.length > 0 || (port !== undefined && port !== "443")) return "redirect_uri must use port 443";
  if (host !== clientId) return "redirect_uri is not on the client's hostname";
  try {
    new URL(raw);
  } catch {
    return "redirect_uri is not a valid URI";
  }
  return undefined;
}
