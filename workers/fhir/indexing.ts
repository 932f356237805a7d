/**
 * Indexing at write time (the design's choice, as medplum's `indexing/`): when a resource is stored, every
 * SearchParameter of its type (search-parameters.gen.ts, HL7's STU3 definitions) is evaluated once with FHIRPath,
 * and its values go into typed rows: tokens, date ranges, references, normalized strings, quantities, numbers,
 * URIs. A search then compares rows in SQL; no FHIRPath runs on a read. Also what places the resource in a
 * Patient's compartment (its Patient references and BSN identifiers), so the store can tie it to a Person.
 */
import { BSN_SYSTEM } from "./bsn.ts";
import { compartmentReferences } from "./compartment.ts";
import { dateRange, MAX_TIME, MIN_TIME, periodRange, type DateRange } from "./dates.ts";
import { SEARCH_PARAMETERS, type SearchParamDefinition } from "./definitions/search-parameters.gen.ts";
import { evaluate } from "./fhirpath.ts";
import { decimalValue, isDecimal } from "./formats/json.ts";
import { localReference, type Json } from "./references.ts";
import { tokenValues } from "./tokens.ts";

export interface IndexRows {
  readonly tokens: [param: string, system: string | null, code: string][];
  readonly dates: [param: string, lo: number, hi: number][];
  readonly references: [param: string, targetType: string, targetId: string][];
  readonly strings: [param: string, normalized: string, exact: string][];
  readonly quantities: [param: string, value: number, system: string | null, code: string | null][];
  readonly numbers: [param: string, value: number][];
  readonly uris: [param: string, value: string][];
}

export interface Indexed {
  readonly rows: IndexRows;
  /** Patient ids (at this server) the compartment references name. */
  readonly patientIds: readonly string[];
  /** BSNs named by compartment references by identifier, or the Patient's own BSN. */
  readonly bsns: readonly string[];
}

const isObject = (v: unknown): v is Json => typeof v === "object" && v !== null && !Array.isArray(v);

/** Lower case, without diacritics: STU3 string search is case- and accent-insensitive. */
export function normalizeString(s: string): string {
  return s.normalize("NFD").replace(/\p{M}/gu, "").toLowerCase();
}

/** Exact decimals (formats/json.ts) become numbers here: FHIRPath and the index work with numbers. */
function plain(v: unknown): unknown {
  if (Array.isArray(v)) return v.map(plain);
  if (isDecimal(v)) return decimalValue(v);
  if (typeof v === "object" && v !== null) return Object.fromEntries(Object.entries(v).map(([k, x]) => [k, plain(x)]));
  return v;
}

function datesOf(v: unknown): DateRange[] {
  if (typeof v === "string") {
    const r = dateRange(v);
    return r ? [r] : [];
  }
  if (!isObject(v)) return [];
  if ("start" in v || "end" in v) {
    const r = periodRange(typeof v.start === "string" ? v.start : undefined, typeof v.end === "string" ? v.end : undefined);
    return r ? [r] : [];
  }
  if (Array.isArray(v.event)) return v.event.flatMap(datesOf); // Timing
  return [];
}

function stringsOf(v: unknown): string[] {
  if (typeof v === "string") return [v];
  if (!isObject(v)) return [];
  // HumanName, Address: every text part counts.
  const parts: string[] = [];
  for (const k of ["text", "family", "given", "prefix", "suffix", "line", "city", "district", "state", "postalCode", "country"]) {
    const x = v[k];
    for (const s of Array.isArray(x) ? x : [x]) if (typeof s === "string") parts.push(s);
  }
  return parts;
}

function paramsOf(type: string): [string, SearchParamDefinition][] {
  const own = Object.hasOwn(SEARCH_PARAMETERS, type) ? Object.entries(SEARCH_PARAMETERS[type]!) : [];
  const common = ["Resource", "DomainResource"].flatMap((t) => Object.entries(SEARCH_PARAMETERS[t] ?? {}));
  // `_id` and `_lastUpdated` are the resource's own columns.
  return [...own, ...common.filter(([code]) => code !== "_id" && code !== "_lastUpdated")];
}

/** Every index row of a resource; `bases` are the absolute URLs that mean "this server" for references. */
export function indexResource(resource: Json, bases: readonly string[]): Indexed {
  const r = plain(resource) as Json;
  const type = String(r.resourceType);
  const rows: IndexRows = { tokens: [], dates: [], references: [], strings: [], quantities: [], numbers: [], uris: [] };
  for (const [code, def] of paramsOf(type)) {
    let values: unknown[];
    try {
      values = evaluate(r, def.expression);
    } catch {
      continue; // an expression fhirpath.js cannot evaluate on this resource: no values for it
    }
    for (const v of values) {
      switch (def.type) {
        case "token":
          for (const t of tokenValues(v)) rows.tokens.push([code, t.system ?? null, t.code]);
          break;
        case "date":
          for (const d of datesOf(v)) rows.dates.push([code, Math.max(d.lo, MIN_TIME), Math.min(d.hi, MAX_TIME)]);
          break;
        case "reference":
          if (isObject(v) && typeof v.reference === "string") {
            const local = localReference(v.reference, bases);
            if (local) rows.references.push([code, local.type, local.id]);
          }
          break;
        case "string":
          for (const s of stringsOf(v)) rows.strings.push([code, normalizeString(s), s]);
          break;
        case "quantity":
          if (isObject(v) && typeof v.value === "number") rows.quantities.push([code, v.value, typeof v.system === "string" ? v.system : null, typeof v.code === "string" ? v.code : typeof v.unit === "string" ? v.unit : null]);
          break;
        case "number":
          if (typeof v === "number") rows.numbers.push([code, v]);
          break;
        case "uri":
          if (typeof v === "string") rows.uris.push([code, v]);
          break;
      }
    }
  }
  const patientIds = new Set<string>();
  const bsns = new Set<string>();
  if (type === "Patient") {
    for (const i of Array.isArray(r.identifier) ? r.identifier : []) if (isObject(i) && i.system === BSN_SYSTEM && typeof i.value === "string") bsns.add(i.value);
  }
  for (const ref of compartmentReferences(r)) {
    if (typeof ref.reference === "string") {
      const local = localReference(ref.reference, bases);
      if (local?.type === "Patient") patientIds.add(local.id);
    } else if (isObject(ref.identifier) && ref.identifier.system === BSN_SYSTEM && typeof ref.identifier.value === "string") {
      bsns.add(ref.identifier.value);
    }
  }
  return { rows, patientIds: [...patientIds], bsns: [...bsns] };
}
