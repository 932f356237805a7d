/**
 * FHIR STU3 search over one Person's resources of one type (pure). Supports the parameters MedMij
 * clients send for these Gegevensdiensten: _id, category, code, status, clinical-status, _count,
 * and _include of the references the data carries. Unknown parameters are ignored, as FHIR search
 * allows; _format other than JSON is refused by the caller.
 */
import type { StoredResource } from "../../../durable-objects/fhir-store.ts";

export interface SearchRequest {
  readonly filters: ReadonlyMap<string, readonly string[]>;
  readonly count: number | undefined;
  /** `_include` values such as `MedicationStatement:medication`. */
  readonly includes: readonly string[];
}

const TOKEN_PARAMS: Readonly<Record<string, (r: StoredResource) => unknown>> = {
  category: (r) => r.category,
  code: (r) => r.code,
  status: (r) => r.status,
  "clinical-status": (r) => r.clinicalStatus,
  _id: (r) => r.id,
};

export function parseSearch(params: URLSearchParams): SearchRequest | { error: string } {
  const filters = new Map<string, string[]>();
  let count: number | undefined;
  const includes: string[] = [];
  for (const [k, v] of params) {
    if (k === "_count") {
      if (!/^\d{1,4}$/.test(v)) return { error: "_count must be a non-negative integer" };
      count = Number(v);
    } else if (k === "_include") includes.push(v);
    else if (k in TOKEN_PARAMS) filters.set(k, [...(filters.get(k) ?? []), v]);
  }
  return { filters, count, includes };
}

/** A token value (`system|code`, `|code`, `system|` or `code`) against codings / codes / plain strings. */
function tokenMatches(value: unknown, token: string): boolean {
  const bar = token.indexOf("|");
  const system = bar >= 0 ? token.slice(0, bar) : undefined;
  const code = bar >= 0 ? token.slice(bar + 1) : token;
  const check = (v: unknown): boolean => {
    if (Array.isArray(v)) return v.some(check);
    if (typeof v === "string") return system === undefined && v === code;
    if (v && typeof v === "object") {
      const o = v as { coding?: unknown; system?: unknown; code?: unknown };
      if (o.coding) return check(o.coding);
      const systemOk = system === undefined || (system === "" ? o.system === undefined : o.system === system);
      return systemOk && (code === "" || o.code === code);
    }
    return false;
  };
  return check(value);
}

/** Each parameter: any of its comma-separated values (OR); all parameters must hold (AND). */
export function applyFilters(resources: readonly StoredResource[], s: SearchRequest): StoredResource[] {
  return resources.filter((r) =>
    [...s.filters].every(([param, values]) => values.every((v) => v.split(",").some((token) => tokenMatches(TOKEN_PARAMS[param]!(r), token)))),
  );
}

/** References named by `_include=Type:field` in the matched resources, as `Type/id`. */
export function includedReferences(matches: readonly StoredResource[], includes: readonly string[]): string[] {
  const refs = new Set<string>();
  for (const inc of includes) {
    const [type, field] = inc.split(":");
    for (const r of matches) {
      if (r.resourceType !== type || !field) continue;
      const direct = r[field] ?? r[`${field}Reference`];
      for (const ref of Array.isArray(direct) ? direct : [direct]) {
        const target = (ref as { reference?: unknown } | undefined)?.reference;
        if (typeof target === "string" && /^[A-Za-z]+\/[A-Za-z0-9.-]{1,64}$/.test(target)) refs.add(target);
      }
    }
  }
  return [...refs];
}
