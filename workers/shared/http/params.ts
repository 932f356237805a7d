/**
 * OAuth parameter reading (RFC 6749 §3.1, §3.2): parameters sent without a value are treated as
 * omitted, and a parameter must not appear more than once. Repeated parameters are reported and the
 * others stay readable, so the caller can decide whether it may still answer via the redirect_uri.
 */
export interface Params {
  /** Names that appeared more than once; their values are not readable. */
  readonly repeated: ReadonlySet<string>;
  /** The value of a parameter that appeared exactly once (undefined when absent, empty or repeated). */
  get(name: string): string | undefined;
}

export function readParams(search: URLSearchParams): Params {
  const values = new Map<string, string>();
  const repeated = new Set<string>();
  for (const [k, v] of search) {
    if (values.has(k) || repeated.has(k)) {
      repeated.add(k);
      values.delete(k);
    } else {
      values.set(k, v);
    }
  }
  return { repeated, get: (name) => (values.get(name) === "" ? undefined : values.get(name)) };
}

/** `application/x-www-form-urlencoded`, tolerant of parameters such as `; charset=UTF-8`. */
export function isFormEncoded(contentType: string | null): boolean {
  return (contentType ?? "").split(";")[0]!.trim().toLowerCase() === "application/x-www-form-urlencoded";
}

/** The single value of a query parameter that must appear once, or undefined. */
export function single(url: URL, name: string): string | undefined {
  const all = url.searchParams.getAll(name);
  return all.length === 1 ? all[0] : undefined;
}
