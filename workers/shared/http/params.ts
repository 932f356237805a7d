/**
 * OAuth parameter reading (RFC 6749 §3.1, §3.2): parameters sent without a value are treated as
 * omitted, and a parameter must not appear more than once.
 */
export type Params = { ok: true; get(name: string): string | undefined } | { ok: false; duplicate: string };

export function readParams(search: URLSearchParams): Params {
  const values = new Map<string, string>();
  for (const [k, v] of search) {
    if (values.has(k)) return { ok: false, duplicate: k };
    values.set(k, v);
  }
  return { ok: true, get: (name) => (values.get(name) === "" ? undefined : values.get(name)) };
}

/** `application/x-www-form-urlencoded`, tolerant of parameters such as `; charset=UTF-8`. */
export function isFormEncoded(contentType: string | null): boolean {
  return (contentType ?? "").split(";")[0]!.trim().toLowerCase() === "application/x-www-form-urlencoded";
}
