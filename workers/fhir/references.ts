/**
 * What a FHIR STU3 Reference points at (http://hl7.org/fhir/STU3/references.html), as pure decisions: a
 * resource contained in the same resource (`#id`), another entry of the same Bundle (`urn:uuid:`, `urn:oid:`
 * or the entry's fullUrl), a resource on this server (`Type/id`, or absolute at one of this server's bases),
 * anything else (another server), or no literal reference at all (only an identifier or a display).
 * Used by the Person's compartment checks (SPEC X-4, issue 15 #1..#4) in both modes.
 */

const TYPE = "[A-Z][A-Za-z]{1,63}";
const ID = "[A-Za-z0-9\\-.]{1,64}";
const RELATIVE = new RegExp(`^(${TYPE})/(${ID})(?:/_history/${ID})?$`);
/** `.` and `..` are FHIR ids by the letter of the pattern, and path segments to every URL parser. */
const DOT_SEGMENT = /^\.{1,2}$/;

export type ReferenceTarget =
  | { readonly kind: "contained"; readonly id: string }
  | { readonly kind: "entry"; readonly url: string }
  | { readonly kind: "local"; readonly type: string; readonly id: string }
  | { readonly kind: "elsewhere"; readonly url: string }
  | { readonly kind: "logical"; readonly identifier: { readonly system?: string; readonly value?: string } | undefined }
  | { readonly kind: "malformed"; readonly value: string };

export type Json = Record<string, unknown>;
const isObject = (v: unknown): v is Json => typeof v === "object" && v !== null && !Array.isArray(v);

/** A FHIR id that is safe in a URL path: the STU3 id pattern, and not a dot segment. */
export function isFhirId(id: string): boolean {
  return new RegExp(`^${ID}$`).test(id) && !DOT_SEGMENT.test(id);
}

/** `Type/id` relative to one of `bases` (absolute URLs of this server, without a trailing slash), or undefined. */
export function localReference(value: string, bases: readonly string[]): { type: string; id: string } | undefined {
  let rest = value;
  for (const base of bases) {
    if (value.startsWith(`${base}/`)) {
      rest = value.slice(base.length + 1);
      break;
    }
  }
  const m = RELATIVE.exec(rest);
  return m && !DOT_SEGMENT.test(m[2]!) ? { type: m[1]!, id: m[2]! } : undefined;
}

/**
 * What a Reference points at. `entryUrls`: the fullUrls of the Bundle this resource travels in (a reference
 * equal to one of them is to that entry, whatever its form).
 */
export function referenceTarget(ref: Json, bases: readonly string[], entryUrls: ReadonlySet<string> = new Set()): ReferenceTarget {
  const value = ref.reference;
  if (typeof value !== "string") {
    const identifier = isObject(ref.identifier) ? { system: typeof ref.identifier.system === "string" ? ref.identifier.system : undefined, value: typeof ref.identifier.value === "string" ? ref.identifier.value : undefined } : undefined;
    return { kind: "logical", identifier };
  }
  if (entryUrls.has(value)) return { kind: "entry", url: value };
  if (value.startsWith("#")) return /^#[A-Za-z0-9\-.]{1,64}$/.test(value) ? { kind: "contained", id: value.slice(1) } : { kind: "malformed", value };
  if (value.startsWith("urn:uuid:") || value.startsWith("urn:oid:")) return { kind: "entry", url: value };
  const local = localReference(value, bases);
  if (local) return { kind: "local", ...local };
  if (/^https?:\/\//.test(value)) return { kind: "elsewhere", url: value };
  return { kind: "malformed", value };
}

/**
 * Every Reference in a resource, contained resources included, with a path for messages. A Reference is any
 * object with a `reference` (string) or an `identifier` object next to a `display` or on its own: FHIR's
 * other elements never take that shape, and treating one as a Reference only makes a check stricter.
 */
export function* referencesIn(value: unknown, path: string): Generator<{ readonly path: string; readonly ref: Json }> {
  if (Array.isArray(value)) {
    for (let i = 0; i < value.length; i++) yield* referencesIn(value[i], `${path}[${i}]`);
    return;
  }
  if (!isObject(value)) return;
  if (typeof value.reference === "string" || (isObject(value.identifier) && Object.keys(value).every((k) => k === "identifier" || k === "display" || k === "id" || k === "extension"))) {
    yield { path, ref: value };
    return;
  }
  for (const [k, v] of Object.entries(value)) yield* referencesIn(v, `${path}.${k}`);
}

/**
 * FHIR transaction semantics (STU3 http.html#trules): a reference to another entry's fullUrl (`urn:uuid:`,
 * `urn:oid:`) becomes `Type/id` with the id the server gave that entry. `ids`: fullUrl -> the entry's new identity.
 */
export function resolveEntryReferences(resource: Json, path: string, ids: ReadonlyMap<string, { readonly type: string; readonly id: string }>): void {
  for (const { ref } of referencesIn(resource, path)) {
    const to = typeof ref.reference === "string" ? ids.get(ref.reference) : undefined;
    if (to) ref.reference = `${to.type}/${to.id}`;
  }
}
