/**
 * FHIR STU3 Bundles a server answers with (http://hl7.org/fhir/STU3/bundle.html, search.html, http.html#transaction):
 * searchsets with `total`, the self link built from the parameters actually applied (so an ignored parameter is
 * visible as missing), next/previous links, absolute fullUrls and `search.mode`; transaction- and batch-responses
 * with each entry's status, location and (Prefer: return=representation) resource. Resources may come as parsed
 * JSON or as JSON text already exact and ready to serve (the store's): text is spliced in, never re-parsed.
 */
import { stringifyFhirJson, type FhirJson, type FhirObject } from "./formats/json.ts";

export type ResourceBody = { readonly text: string } | { readonly json: FhirObject };

export interface SearchEntry {
  readonly type: string;
  readonly id: string;
  readonly body: ResourceBody;
  readonly mode: "match" | "include" | "outcome";
}

export interface SearchsetParts {
  /** The endpoint base, e.g. `https://host/48/fhir`. */
  readonly base: string;
  /** What was searched: `Observation`, or `Observation/$lastn`. */
  readonly path: string;
  /** The parameters as applied, in request order. */
  readonly applied: readonly (readonly [string, string])[];
  readonly total: number | undefined;
  readonly entries: readonly SearchEntry[];
  /** Offsets of the next and previous pages, when there are any; `count` is the page size. */
  readonly paging?: { readonly offset: number; readonly count: number; readonly total: number };
}

const bodyText = (b: ResourceBody): string => ("text" in b ? b.text : stringifyFhirJson(b.json));

/** A URL of this endpoint with these parameters, encoded as a FHIR client would send them (`|` and `,` kept). */
export function searchUrl(base: string, path: string, params: readonly (readonly [string, string])[]): string {
  const enc = (s: string) => encodeURIComponent(s).replace(/%7C/gi, "|").replace(/%2C/gi, ",").replace(/%3A/gi, ":").replace(/%2F/gi, "/");
  const q = params.map(([k, v]) => `${enc(k)}=${enc(v)}`).join("&");
  return `${base}/${path}${q ? `?${q}` : ""}`;
}

function pageLinks(p: SearchsetParts): { relation: string; url: string }[] {
  const links = [{ relation: "self", url: searchUrl(p.base, p.path, p.applied) }];
  if (!p.paging) return links;
  const { offset, count, total } = p.paging;
  const at = (o: number) => searchUrl(p.base, p.path, [...p.applied.filter(([k]) => k !== "_offset" && k !== "_count"), ["_count", String(count)], ...(o > 0 ? [["_offset", String(o)] as const] : [])]);
  if (count > 0 && offset + count < total) links.push({ relation: "next", url: at(offset + count) });
  if (count > 0 && offset > 0) links.push({ relation: "previous", url: at(Math.max(0, offset - count)) });
  return links;
}

/** The searchset as FHIR JSON text. */
export function searchsetText(p: SearchsetParts): string {
  const head: FhirObject = { resourceType: "Bundle", id: crypto.randomUUID(), meta: { lastUpdated: new Date().toISOString() }, type: "searchset" };
  if (p.total !== undefined) head.total = p.total;
  head.link = pageLinks(p) as unknown as FhirJson;
  const entries = p.entries.map((e) => `{"fullUrl":${JSON.stringify(`${p.base}/${e.type}/${e.id}`)},"resource":${bodyText(e.body)},"search":{"mode":"${e.mode}"}}`);
  const start = stringifyFhirJson(head);
  // FHIR JSON has no empty arrays: no matches, no `entry`.
  return entries.length === 0 ? start : `${start.slice(0, -1)},"entry":[${entries.join(",")}]}`;
}

export interface ResponseEntry {
  /** `201 Created`, `200 OK`, `400 Bad Request`, ... */
  readonly status: string;
  readonly location?: string;
  readonly etag?: string;
  readonly lastModified?: string;
  readonly fullUrl?: string;
  /** Prefer: return=representation. */
  readonly body?: ResourceBody;
  /** A refused batch entry's OperationOutcome. */
  readonly outcome?: FhirObject;
}

/** A transaction-response or batch-response as FHIR JSON text, entries in the order of the request. */
export function responseBundleText(type: "transaction-response" | "batch-response", entries: readonly ResponseEntry[]): string {
  const head = stringifyFhirJson({ resourceType: "Bundle", id: crypto.randomUUID(), meta: { lastUpdated: new Date().toISOString() }, type });
  const entry = entries.map((e) => {
    const response: FhirObject = { status: e.status };
    if (e.location) response.location = e.location;
    if (e.etag) response.etag = e.etag;
    if (e.lastModified) response.lastModified = e.lastModified;
    if (e.outcome) response.outcome = e.outcome;
    const parts = [
      ...(e.fullUrl ? [`"fullUrl":${JSON.stringify(e.fullUrl)}`] : []),
      ...(e.body ? [`"resource":${bodyText(e.body)}`] : []),
      `"response":${stringifyFhirJson(response)}`,
    ];
    return `{${parts.join(",")}}`;
  });
  return entry.length === 0 ? head : `${head.slice(0, -1)},"entry":[${entry.join(",")}]}`;
}

/** An OperationOutcome (FHIR STU3) for a refusal or a batch entry's failure. */
export function operationOutcome(code: string, diagnostics: string, severity: "error" | "warning" | "information" = "error"): FhirObject {
  return { resourceType: "OperationOutcome", issue: [{ severity, code, diagnostics }] };
}
