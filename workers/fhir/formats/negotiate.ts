/**
 * Which FHIR format a request asks for and which one it sends (SPEC G-6; http://hl7.org/fhir/STU3/http.html#mime-type):
 * `_format` first (json, xml, or a MIME type), then Accept with its q-values. The STU3 MIME types are
 * application/fhir+json and application/fhir+xml; application/json+fhir and application/xml+fhir (DSTU2) and
 * plain application/json, application/xml, text/xml are accepted as the same. Anything else is 406 (answer) or
 * 415 (body). A request that names no FHIR format at all (no Accept, or only the wildcard) gets JSON; a Binary read that
 * names none, or names the document's own type, gets the document itself (`raw`).
 */
export type FhirFormat = "json" | "xml";

export const FHIR_JSON = "application/fhir+json; charset=utf-8";
export const FHIR_XML = "application/fhir+xml; charset=utf-8";

const JSON_TYPES: ReadonlySet<string> = new Set(["application/fhir+json", "application/json+fhir", "application/json", "json", "text/json"]);
const XML_TYPES: ReadonlySet<string> = new Set(["application/fhir+xml", "application/xml+fhir", "application/xml", "text/xml", "xml"]);

export function formatOfType(mime: string): FhirFormat | undefined {
  const t = mime.split(";")[0]!.trim().toLowerCase();
  return JSON_TYPES.has(t) ? "json" : XML_TYPES.has(t) ? "xml" : undefined;
}

export type ResponseFormat = { readonly ok: true; readonly format: FhirFormat; readonly raw: boolean } | { readonly ok: false; readonly reason: string };

interface Range {
  readonly type: string;
  readonly q: number;
}

function ranges(accept: string): Range[] {
  return accept
    .split(",")
    .map((part) => {
      const [type, ...params] = part.split(";").map((s) => s.trim().toLowerCase());
      const q = params.map((p) => /^q=([01](?:\.\d{0,3})?)$/.exec(p)?.[1]).find((v) => v !== undefined);
      return { type: type ?? "", q: q === undefined ? 1 : Number(q) };
    })
    .filter((r) => r.type !== "");
}

/**
 * The format of the answer. `binaryType` is the content type of the Binary being read, when it is one: then a
 * request naming no FHIR format (or that very type, or a wildcard before any FHIR type) gets the document itself.
 */
export function responseFormat(url: URL, accept: string | null, binaryType?: string): ResponseFormat {
  const formats = url.searchParams.getAll("_format");
  if (formats.length > 1) return { ok: false, reason: "_format is given more than once" };
  if (formats.length === 1) {
    const f = formatOfType(formats[0]!);
    return f ? { ok: true, format: f, raw: false } : { ok: false, reason: `_format ${formats[0]!.slice(0, 40)} is not a FHIR format (json, xml)` };
  }
  const all = ranges(accept ?? "");
  if (all.length === 0) return { ok: true, format: "json", raw: binaryType !== undefined };
  // RFC 7231 §5.3.1: q=0 is "not acceptable"; such a range excludes its format even where a wildcard asks.
  const excluded = new Set(all.filter((r) => r.q === 0).map((r) => formatOfType(r.type)).filter((f) => f !== undefined));
  const wildcard = (["json", "xml"] as const).find((f) => !excluded.has(f));
  for (const r of all.filter((x) => x.q > 0).sort((a, b) => b.q - a.q)) {
    const f = formatOfType(r.type);
    if (f && !excluded.has(f)) return { ok: true, format: f, raw: false };
    if (f) continue;
    // A Binary whose own type is not known yet ("*"): any non-FHIR type asks for the document itself.
    if (binaryType !== undefined && (binaryType === "*" || r.type === binaryType.toLowerCase() || r.type === "*/*" || r.type === `${binaryType.split("/")[0]}/*`)) return { ok: true, format: "json", raw: true };
    if ((r.type === "*/*" || r.type === "application/*") && wildcard) return { ok: true, format: wildcard, raw: false };
  }
  return { ok: false, reason: "Accept names no FHIR format this server produces (application/fhir+json, application/fhir+xml)" };
}

/** The format of a request body by its Content-Type; undefined when it is not FHIR JSON or FHIR XML. */
export function requestFormat(contentType: string | null): FhirFormat | undefined {
  return contentType === null ? undefined : formatOfType(contentType);
}

export function contentTypeOf(format: FhirFormat): string {
  return format === "json" ? FHIR_JSON : FHIR_XML;
}
