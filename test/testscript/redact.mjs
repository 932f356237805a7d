// Redaction for everything the engine reports: no access token and no BSN may reach a report or a log.

const BEARER = /\bBearer\s+[^\s",;]+/gi;
const NINE_DIGITS = /(?<!\d)\d{9}(?!\d)/g;
const SECRET_QUERY_PARAMS = /([?&](?:access_token|id_token|refresh_token|token|client_secret|password|code_verifier)=)[^&#]*/gi;

/**
 * Does a nine-digit number pass the BSN eleven-test (9*d1 + 8*d2 + ... + 2*d8 - 1*d9 divisible by 11)?
 * @param {string} digits
 */
export function isBsn(digits) {
  if (!/^\d{9}$/.test(digits)) return false;
  let sum = 0;
  for (let i = 0; i < 8; i++) sum += Number(digits[i]) * (9 - i);
  sum -= Number(digits[8]);
  return sum % 11 === 0 && sum !== 0;
}

/**
 * A redactor: replaces the given secrets, any `Bearer <token>`, token-like query parameters and every nine-digit
 * number that passes the BSN eleven-test (a false positive only hides a harmless number).
 * @param {Iterable<string>} [secrets] exact strings to hide (tokens, known BSNs)
 * @returns {(text: string) => string}
 */
export function createRedactor(secrets = []) {
  const exact = [...new Set(secrets)].filter((s) => s.length >= 6).sort((a, b) => b.length - a.length);
  return (text) => {
    let out = text;
    for (const s of exact) out = out.split(s).join(isBsn(s) ? "[BSN]" : "[redacted]");
    return out
      .replace(BEARER, "Bearer [redacted]")
      .replace(SECRET_QUERY_PARAMS, "$1[redacted]")
      .replace(NINE_DIGITS, (d) => (isBsn(d) ? "[BSN]" : d));
  };
}

/** The redactor without run-specific secrets (tokens by pattern, BSNs by the eleven-test). */
export const redact = createRedactor();
