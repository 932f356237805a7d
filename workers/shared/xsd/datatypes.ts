/**
 * Built-in XSD 1.0 datatypes the project's schemas use (XSD Part 2 §3.2-§3.3): white-space
 * processing, lexical and value checks, canonical comparison keys, and facet checks.
 */
import type { BuiltinName, SimpleType, WhiteSpace } from "./model.ts";

export const BUILTIN_WHITESPACE: Readonly<Record<BuiltinName, WhiteSpace>> = {
  string: "preserve",
  normalizedString: "replace",
  token: "collapse",
  dateTime: "collapse",
  date: "collapse",
  integer: "collapse",
  positiveInteger: "collapse",
  nonNegativeInteger: "collapse",
  boolean: "collapse",
  anyURI: "collapse",
  decimal: "collapse",
};

export const NUMERIC: ReadonlySet<BuiltinName> = new Set(["integer", "positiveInteger", "nonNegativeInteger", "decimal"]);
export const STRINGLIKE: ReadonlySet<BuiltinName> = new Set(["string", "normalizedString", "token", "anyURI"]);

export function applyWhiteSpace(value: string, ws: WhiteSpace): string {
  if (ws === "preserve") return value;
  const replaced = value.replace(/[\t\n\r]/g, " ");
  return ws === "replace" ? replaced : replaced.replace(/ +/g, " ").replace(/^ | $/g, "");
}

const DATE_TIME = /^(-?)(\d{4,})-(\d{2})-(\d{2})T(\d{2}):(\d{2}):(\d{2})(\.\d+)?(Z|[+-]\d{2}:\d{2})?$/;
const DATE = /^(-?)(\d{4,})-(\d{2})-(\d{2})(Z|[+-]\d{2}:\d{2})?$/;

function daysIn(year: number, month: number): number {
  if (month === 2) return (year % 4 === 0 && year % 100 !== 0) || year % 400 === 0 ? 29 : 28;
  return [4, 6, 9, 11].includes(month) ? 30 : 31;
}

function validDate(yearText: string, monthText: string, dayText: string): boolean {
  if (yearText.length > 4 && yearText.startsWith("0")) return false;
  const year = Number(yearText);
  const month = Number(monthText);
  const day = Number(dayText);
  // XSD 1.0: there is no year 0000.
  return year !== 0 && month >= 1 && month <= 12 && day >= 1 && day <= daysIn(year, month);
}

function validZone(zone: string | undefined): boolean {
  if (zone === undefined || zone === "Z") return true;
  const h = Number(zone.slice(1, 3));
  const m = Number(zone.slice(4, 6));
  return m <= 59 && (h < 14 || (h === 14 && m === 0));
}

function lexicallyValid(builtin: BuiltinName, v: string): boolean {
  switch (builtin) {
    case "string":
    case "normalizedString":
    case "token":
    case "anyURI":
      return true;
    case "boolean":
      return /^(true|false|1|0)$/.test(v);
    case "decimal":
      return /^[+-]?(\d+(\.\d*)?|\.\d+)$/.test(v);
    case "integer":
      return /^[+-]?\d+$/.test(v);
    case "nonNegativeInteger":
      return /^(\+?\d+|-0+)$/.test(v);
    case "positiveInteger":
      return /^\+?0*[1-9]\d*$/.test(v);
    case "date": {
      const m = DATE.exec(v);
      return !!m && validDate(m[2]!, m[3]!, m[4]!) && validZone(m[5]);
    }
    case "dateTime": {
      const m = DATE_TIME.exec(v);
      if (!m || !validDate(m[2]!, m[3]!, m[4]!) || !validZone(m[9])) return false;
      const [h, min, s] = [Number(m[5]), Number(m[6]), Number(m[7])];
      // 24:00:00 is allowed only as the end of a day, with no fraction other than zero.
      if (h === 24) return min === 0 && s === 0 && (m[8] === undefined || /^\.0+$/.test(m[8]));
      return h <= 23 && min <= 59 && s <= 59;
    }
  }
}

/** A decimal string's sign, integer digits and fraction digits, normalised for comparison. */
function decimalParts(v: string): { neg: boolean; int: string; frac: string } {
  const neg = v.startsWith("-");
  const body = v.replace(/^[+-]/, "");
  const [i = "", f = ""] = body.split(".");
  const int = i.replace(/^0+/, "");
  const frac = f.replace(/0+$/, "");
  return { neg: neg && (int !== "" || frac !== ""), int, frac };
}

/** Numeric comparison of two valid decimal/integer lexical values without precision loss. */
export function compareDecimal(a: string, b: string): number {
  const x = decimalParts(a);
  const y = decimalParts(b);
  if (x.neg !== y.neg) return x.neg ? -1 : 1;
  const sign = x.neg ? -1 : 1;
  if (x.int.length !== y.int.length) return sign * (x.int.length - y.int.length);
  if (x.int !== y.int) return sign * (x.int < y.int ? -1 : 1);
  const len = Math.max(x.frac.length, y.frac.length);
  const fx = x.frac.padEnd(len, "0");
  const fy = y.frac.padEnd(len, "0");
  return fx === fy ? 0 : sign * (fx < fy ? -1 : 1);
}

/** The value identity constraints compare: equal values compare equal whatever their spelling. */
export function canonicalKey(type: SimpleType, value: string): string {
  if (NUMERIC.has(type.builtin)) {
    const p = decimalParts(value);
    return `${p.neg ? "-" : ""}${p.int || "0"}${p.frac ? `.${p.frac}` : ""}`;
  }
  if (type.builtin === "boolean") return value === "1" || value === "true" ? "true" : "false";
  return value;
}

const quote = (s: string) => `'${s}'`;

/**
 * Check a value (character content or attribute value) against a simple type. Returns the messages
 * in libxml2's wording, empty when valid, and the value after white-space processing.
 */
export function checkSimple(type: SimpleType, raw: string): { value: string; problems: string[] } {
  const value = applyWhiteSpace(raw, type.whiteSpace);
  const f = type.facets;
  const problems: string[] = [];
  if (!lexicallyValid(type.builtin, value)) {
    problems.push(`${quote(value)} is not a valid value of the atomic type ${quote(type.label)}.`);
    return { value, problems };
  }
  const length = [...value].length;
  if (f.length !== undefined && length !== f.length) {
    problems.push(`[facet 'length'] The value ${quote(value)} has a length of '${length}'; this differs from the allowed length of '${f.length}'.`);
  }
  if (f.minLength !== undefined && length < f.minLength) {
    problems.push(`[facet 'minLength'] The value ${quote(value)} has a length of '${length}'; this underruns the allowed minimum length of '${f.minLength}'.`);
  }
  if (f.maxLength !== undefined && length > f.maxLength) {
    problems.push(`[facet 'maxLength'] The value ${quote(value)} has a length of '${length}'; this exceeds the allowed maximum length of '${f.maxLength}'.`);
  }
  for (const step of f.patterns) {
    if (!step.some((p) => p.regex.test(value))) {
      problems.push(`[facet 'pattern'] The value ${quote(value)} is not accepted by the pattern ${quote(step.map((p) => p.source).join("|"))}.`);
    }
  }
  if (f.enumeration && !f.enumeration.some((e) => canonicalKey(type, e) === canonicalKey(type, value))) {
    problems.push(`[facet 'enumeration'] The value ${quote(value)} is not an element of the set {${f.enumeration.map(quote).join(", ")}}.`);
  }
  if (NUMERIC.has(type.builtin)) {
    const bound = (facet: string, limit: string | undefined, ok: (c: number) => boolean) => {
      if (limit !== undefined && !ok(compareDecimal(value, limit))) problems.push(`[facet '${facet}'] The value ${quote(value)} is not allowed by the bound ${quote(limit)}.`);
    };
    bound("minInclusive", f.minInclusive, (c) => c >= 0);
    bound("maxInclusive", f.maxInclusive, (c) => c <= 0);
    bound("minExclusive", f.minExclusive, (c) => c > 0);
    bound("maxExclusive", f.maxExclusive, (c) => c < 0);
  }
  return { value, problems };
}
