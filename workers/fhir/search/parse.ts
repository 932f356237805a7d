/**
 * A FHIR STU3 search request read against the SearchParameter definitions of its type (SPEC G-6; STU3 search.html):
 * each parameter's type decides how its values are read (token `system|code`, dates with prefixes, references,
 * strings, quantities, numbers, URIs), commas are OR, repeats are AND, modifiers are checked against the type.
 * The result ties every applied parameter to the self link, so a parameter the server did not apply never shows
 * up there (the Touchstone rule `queryParamsInSelfLink` then notices). Unknown parameters are ignored (STU3
 * §2.1.1.1), or refused with `Prefer: handling=strict`.
 */
import { dateCondition, type DateCondition } from "../dates.ts";
import { normalizeString } from "../indexing.ts";
import { searchParameter, type SearchParamType } from "../parameters.ts";
import { isFhirId, localReference } from "../references.ts";
import { parseToken, splitValues, type TokenQuery } from "../tokens.ts";

export class SearchError extends Error {
  override readonly name = "SearchError";
  constructor(
    readonly status: 400 | 403,
    readonly code: "invalid" | "not-supported" | "forbidden" | "too-costly",
    message: string,
  ) {
    super(message);
  }
}

export type Prefix = "eq" | "ne" | "gt" | "lt" | "ge" | "le" | "sa" | "eb" | "ap";

export type ClauseValue =
  | { readonly kind: "token"; readonly token: TokenQuery }
  | { readonly kind: "date"; readonly date: DateCondition }
  | { readonly kind: "reference"; readonly type: string | undefined; readonly id: string }
  | { readonly kind: "string"; readonly text: string }
  | { readonly kind: "number"; readonly prefix: Prefix; readonly value: number; readonly precision: number }
  | { readonly kind: "quantity"; readonly prefix: Prefix; readonly value: number; readonly precision: number; readonly system: string | undefined; readonly code: string | undefined }
  | { readonly kind: "uri"; readonly uri: string }
  | { readonly kind: "missing"; readonly missing: boolean };

export interface Clause {
  /** The parameter code, e.g. `category`, `_id`, `_lastUpdated`. */
  readonly param: string;
  readonly type: SearchParamType;
  /** `not`, `exact`, `contains`, `missing`, or a resource type for references; undefined for none. */
  readonly modifier: string | undefined;
  /** OR. */
  readonly values: readonly ClauseValue[];
}

export interface Include {
  readonly sourceType: string;
  readonly param: string;
  readonly targetType: string | undefined;
}

export interface SortKey {
  readonly param: string;
  readonly type: SearchParamType;
  readonly descending: boolean;
}

export interface SearchQuery {
  readonly type: string;
  /** AND. */
  readonly clauses: readonly Clause[];
  readonly includes: readonly Include[];
  readonly revincludes: readonly Include[];
  readonly count: number;
  readonly offset: number;
  readonly sort: readonly SortKey[];
  /** `$lastn`: the most recent `max` per code (STU3 Observation-lastn). */
  readonly lastn: { readonly max: number } | undefined;
  /** The parameters as applied, for the self link (in request order). */
  readonly applied: readonly [string, string][];
  /** Names of parameters that were not applied. */
  readonly ignored: readonly string[];
}

export interface ParseOptions {
  /** `Prefer: handling=strict`: an unknown or unsupported parameter is an error instead of ignored. */
  readonly strict?: boolean;
  /** Absolute bases that mean "this server", for reference values given as URLs. */
  readonly bases?: readonly string[];
  readonly defaultCount?: number;
  readonly maxCount?: number;
  /** Parsing a `$lastn` request: `max` is its parameter. */
  readonly lastn?: boolean;
  /** Parameters the caller handles itself (paging cursors, `_format`): neither applied nor ignored. */
  readonly passThrough?: ReadonlySet<string>;
}

const PREFIXES: ReadonlySet<string> = new Set(["eq", "ne", "gt", "lt", "ge", "le", "sa", "eb", "ap"]);
const MODIFIERS: Readonly<Record<SearchParamType, ReadonlySet<string>>> = {
  token: new Set(["not", "missing"]),
  date: new Set(["missing"]),
  reference: new Set(["missing"]),
  string: new Set(["exact", "contains", "missing"]),
  number: new Set(["missing"]),
  quantity: new Set(["missing"]),
  uri: new Set(["below", "above", "missing"]),
};
/** Result parameters this server applies; the others (`_summary`, `_elements`, `_contained`, ...) are ignored. */
const RESULT_PARAMS: ReadonlySet<string> = new Set(["_count", "_sort", "_include", "_revinclude", "_offset"]);
const MAX_VALUES = 50;
const MAX_INCLUDES = 20;

function prefixed(text: string): { prefix: Prefix; rest: string } {
  const p = text.slice(0, 2);
  return PREFIXES.has(p) && /^[a-z]{2}[-+0-9.]/.test(text) ? { prefix: p as Prefix, rest: text.slice(2) } : { prefix: "eq", rest: text };
}

/** A decimal and the half-width of its precision (`5.4` stands for [5.35, 5.45), STU3 §2.1.1.3). */
function decimal(text: string): { value: number; precision: number } | undefined {
  if (!/^-?\d+(\.\d+)?([eE][-+]?\d+)?$/.test(text)) return undefined;
  const value = Number(text);
  const [mantissa, exponent] = text.toLowerCase().split("e");
  const decimals = mantissa!.includes(".") ? mantissa!.split(".")[1]!.length : 0;
  return { value, precision: 0.5 * 10 ** (-decimals + Number(exponent ?? 0)) };
}

function readValue(type: SearchParamType, raw: string, modifier: string | undefined, bases: readonly string[], param: string): ClauseValue {
  const bad = (why: string): never => {
    throw new SearchError(400, "invalid", `${param}: ${why}`);
  };
  if (modifier === "missing") {
    if (raw !== "true" && raw !== "false") bad("the value of :missing is true or false");
    return { kind: "missing", missing: raw === "true" };
  }
  switch (type) {
    case "token": {
      const token = parseToken(raw);
      return token ? { kind: "token", token } : bad("an empty token");
    }
    case "date": {
      const date = dateCondition(raw);
      return date ? { kind: "date", date } : bad(`'${raw.slice(0, 40)}' is not a FHIR date`);
    }
    case "reference": {
      const local = localReference(raw, bases);
      if (local) return { kind: "reference", type: local.type, id: local.id };
      if (isFhirId(raw)) return { kind: "reference", type: modifier, id: raw };
      return bad("a reference is Type/id, an id, or a URL on this server");
    }
    case "string":
      return raw === "" ? bad("an empty string") : { kind: "string", text: modifier === "exact" ? raw : normalizeString(raw) };
    case "number": {
      const { prefix, rest } = prefixed(raw);
      const d = decimal(rest);
      return d ? { kind: "number", prefix, ...d } : bad(`'${raw.slice(0, 40)}' is not a number`);
    }
    case "quantity": {
      const { prefix, rest } = prefixed(raw);
      const [number, system, code] = rest.split("|");
      const d = decimal(number ?? "");
      if (!d) return bad(`'${raw.slice(0, 40)}' is not a quantity`);
      return { kind: "quantity", prefix, ...d, system: system === undefined || system === "" ? undefined : system, code: code === undefined || code === "" ? undefined : code };
    }
    case "uri":
      return raw === "" ? bad("an empty uri") : { kind: "uri", uri: raw };
  }
}

function readInclude(value: string, reverse: boolean): Include {
  const parts = value.split(":");
  const [sourceType, param, targetType] = parts;
  if (parts.length < 2 || parts.length > 3 || !sourceType || !param || !/^[A-Z][A-Za-z]+$/.test(sourceType) || (targetType !== undefined && !/^[A-Z][A-Za-z]+$/.test(targetType))) {
    throw new SearchError(400, "invalid", `${reverse ? "_revinclude" : "_include"}=${value.slice(0, 80)} is not Type:parameter[:targetType]`);
  }
  const def = searchParameter(sourceType, param);
  if (def?.type !== "reference") throw new SearchError(400, "invalid", `${sourceType}:${param} is not a reference search parameter`);
  if (targetType !== undefined && def.target && !def.target.includes(targetType)) throw new SearchError(400, "invalid", `${sourceType}:${param} cannot refer to ${targetType}`);
  return { sourceType, param, targetType };
}

function readSort(value: string, type: string): SortKey[] {
  return value.split(",").map((s) => {
    const descending = s.startsWith("-");
    const param = descending ? s.slice(1) : s;
    const def = searchParameter(type, param);
    if (!def || !["date", "string", "token", "number", "quantity", "uri"].includes(def.type)) throw new SearchError(400, "not-supported", `_sort by ${param.slice(0, 40)} is not supported`);
    return { param, type: def.type, descending };
  });
}

export function parseSearch(type: string, params: URLSearchParams, options: ParseOptions = {}): SearchQuery {
  const bases = options.bases ?? [];
  const clauses: Clause[] = [];
  const includes: Include[] = [];
  const revincludes: Include[] = [];
  const applied: [string, string][] = [];
  const ignored: string[] = [];
  let count = options.defaultCount ?? 50;
  let offset = 0;
  let sort: SortKey[] = [];
  let max = 1;
  const ignore = (name: string, why: string) => {
    if (options.strict) throw new SearchError(400, "not-supported", `${name.slice(0, 60)}: ${why}`);
    ignored.push(name);
  };
  for (const [name, value] of params) {
    if (/[\u0000-\u001f\u007f]/.test(value) || value.length > 1024) throw new SearchError(400, "invalid", `${name.slice(0, 40)} has an unusable value`);
    if (options.passThrough?.has(name)) continue;
    if (name === "_count") {
      if (!/^\d{1,4}$/.test(value)) throw new SearchError(400, "invalid", "_count must be a non-negative integer");
      count = Math.min(Number(value), options.maxCount ?? 1000);
      applied.push([name, String(count)]);
    } else if (name === "_offset") {
      if (!/^\d{1,6}$/.test(value)) throw new SearchError(400, "invalid", "_offset must be a non-negative integer");
      offset = Number(value);
      if (offset > 0) applied.push([name, value]);
    } else if (name === "_include" || name === "_revinclude") {
      const list = name === "_include" ? includes : revincludes;
      if (list.length >= MAX_INCLUDES) throw new SearchError(400, "too-costly", `at most ${MAX_INCLUDES} ${name} values`);
      const inc = readInclude(value, name === "_revinclude");
      if (name === "_include" && inc.sourceType !== type) throw new SearchError(400, "invalid", `_include=${value.slice(0, 60)} does not start at ${type}`);
      list.push(inc);
      applied.push([name, value]);
    } else if (name.startsWith("_include:") || name.startsWith("_revinclude:")) {
      throw new SearchError(400, "not-supported", `${name.slice(0, 40)} (iterate, recurse) is not supported`);
    } else if (name === "_sort") {
      sort = readSort(value, type);
      applied.push([name, value]);
    } else if (options.lastn && name === "max") {
      if (!/^[1-9]\d{0,2}$/.test(value)) throw new SearchError(400, "invalid", "max must be 1..999");
      max = Number(value);
      applied.push([name, value]);
    } else if (name.startsWith("_") && !["_id", "_lastUpdated", "_profile", "_tag", "_security"].includes(name.split(":")[0]!)) {
      if (!RESULT_PARAMS.has(name)) ignore(name, "not supported by this server");
    } else {
      if (name.includes(".")) throw new SearchError(400, "not-supported", `chained parameters (${name.slice(0, 40)}) are not supported`);
      const [code, modifier, ...more] = name.split(":");
      const def = searchParameter(type, code!);
      if (!def || more.length > 0) {
        ignore(name, `not a search parameter of ${type}`);
        continue;
      }
      if (modifier !== undefined && !MODIFIERS[def.type].has(modifier) && !(def.type === "reference" && /^[A-Z][A-Za-z]+$/.test(modifier))) {
        // STU3 §2.1.1.2: an unsupported modifier is an error, never ignored.
        throw new SearchError(400, "not-supported", `modifier :${modifier.slice(0, 30)} is not supported on ${code}`);
      }
      const parts = modifier === "missing" ? [value] : splitValues(value);
      if (parts.length > MAX_VALUES) throw new SearchError(400, "too-costly", `${code}: at most ${MAX_VALUES} values`);
      clauses.push({ param: code!, type: def.type, modifier, values: parts.map((v) => readValue(def.type, v, modifier, bases, code!)) });
      applied.push([name, value]);
    }
  }
  return { type, clauses, includes, revincludes, count, offset, sort, lastn: options.lastn ? { max } : undefined, applied, ignored };
}
