/**
 * Structured logs (JSON lines to the Workers log). Callers pass only non-secret fields: never a
 * code, token, cookie, BSN or FHIR content (S-3, S-4; LOG-3/LOG-4 log the MedMij-Request-ID instead).
 * `redact` is a last line of defence for field names that must never carry a value.
 */
export type LogLevel = "debug" | "info" | "warn" | "error";

const FORBIDDEN = /^(code|access_token|token|authorization|cookie|set-cookie|bsn|password|secret|state)$/i;

export function redact(fields: Record<string, unknown>): Record<string, unknown> {
  const out: Record<string, unknown> = {};
  for (const [k, v] of Object.entries(fields)) out[k] = FORBIDDEN.test(k) ? "[redacted]" : v;
  return out;
}

export function log(level: LogLevel, event: string, fields: Record<string, unknown> = {}): void {
  const line = JSON.stringify({ level, event, ...redact(fields), time: new Date().toISOString() });
  if (level === "error") console.error(line);
  else if (level === "warn") console.warn(line);
  else console.log(line);
}
