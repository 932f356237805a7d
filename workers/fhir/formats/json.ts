/**
 * FHIR JSON (http://hl7.org/fhir/STU3/json.html) in and out, with decimals kept exactly (G-6: "servers speak FHIR
 * JSON and FHIR XML"; a decimal's precision is part of its value: `1.50` is not `1.5`).
 *
 * Exact decimals use the JSON.parse reviver's source text (`context.source`) and `JSON.rawJSON` (TC39 "JSON.parse
 * source text access"): a number whose text does not survive Number → String (`1.50`, `1e2`, `12345678901234567890`)
 * is kept as a raw-JSON object that JSON.stringify writes back verbatim. workerd and Deno have both; Node 20 has
 * neither, and there numbers are plain (as JSON.parse gives them). `exactDecimals` says which applies, detected once.
 *
 * Input is bounded: length, nesting depth and number of values are checked by a linear pre-scan before JSON.parse
 * builds anything. The same pre-scan refuses duplicate property names (FHIR forbids them and JSON.parse would keep
 * the last one silently, so two readers could see two different resources) and property names that cannot be FHIR
 * element names (so `__proto__` and friends never arrive as keys).
 */
import { isResourceType } from "../model.ts";

declare const decimalBrand: unique symbol;

/** A JSON number kept as its exact source text (a `JSON.rawJSON` object). Read it with decimalText / decimalValue. */
export interface FhirDecimal {
  readonly rawJSON: string;
  readonly [decimalBrand]: true;
}

export type FhirJsonNumber = number | FhirDecimal;
export type FhirPrimitiveJson = string | boolean | FhirJsonNumber;
export type FhirJson = null | FhirPrimitiveJson | FhirJson[] | FhirObject;
export interface FhirObject {
  [key: string]: FhirJson;
}
export interface FhirResource extends FhirObject {
  resourceType: string;
}

/** Input refused as FHIR JSON or FHIR XML. The message is safe to show a client: it never carries more than a short quote. */
export class FhirFormatError extends Error {
  override readonly name = "FhirFormatError";
  constructor(
    message: string,
    /** FHIRPath-like location (`Bundle.entry[0].resource`), when known. */
    readonly path?: string,
    /** 1-based line in XML input, when known. */
    readonly line?: number,
  ) {
    super(path === undefined ? message : `${path}: ${message}`);
  }
}

export interface FhirJsonLimits {
  /** Characters (UTF-16 code units) of input. Default 16 Mi: a Bundle with several 1 MB (base64) Binaries. */
  readonly maxLength?: number;
  /** Nesting of objects and arrays. Default 128 (about 64 FHIR element levels). */
  readonly maxDepth?: number;
  /** Objects, arrays and array/object members, roughly the number of values. Default 250 000. */
  readonly maxValues?: number;
}

export const JSON_LIMITS: Required<FhirJsonLimits> = { maxLength: 16 * 1024 * 1024, maxDepth: 128, maxValues: 250_000 };

interface RawJsonApi {
  rawJSON(text: string): FhirDecimal;
  isRawJSON(value: unknown): boolean;
}

interface ReviverContext {
  readonly source?: string;
}

function detectRawJson(): RawJsonApi | undefined {
  const api = JSON as unknown as Partial<RawJsonApi>;
  if (typeof api.rawJSON !== "function" || typeof api.isRawJSON !== "function") return undefined;
  let sourceSeen = false;
  JSON.parse("1.50", (_key: string, value: unknown, context?: ReviverContext) => {
    if (context?.source === "1.50") sourceSeen = true;
    return value;
  });
  return sourceSeen ? (api as RawJsonApi) : undefined;
}

const RAW: RawJsonApi | undefined = detectRawJson();

/** Whether this runtime keeps decimals' text exactly (workerd, Deno: yes; Node 20: no, numbers are plain). */
export const exactDecimals: boolean = RAW !== undefined;

const JSON_NUMBER = /^-?(?:0|[1-9][0-9]*)(?:\.[0-9]+)?(?:[eE][+-]?[0-9]+)?$/;

export function isDecimal(value: unknown): value is FhirDecimal {
  return RAW !== undefined && RAW.isRawJSON(value);
}

/** The exact text of a JSON number: the source text of a kept decimal, else the shortest round-trip form. */
export function decimalText(value: FhirJsonNumber): string {
  if (typeof value !== "number") return value.rawJSON;
  if (!Number.isFinite(value)) throw new FhirFormatError("a number must be finite");
  return String(value);
}

/** The numeric value (a double) of a JSON number, for arithmetic and comparisons. */
export function decimalValue(value: FhirJsonNumber): number {
  return typeof value === "number" ? value : Number(value.rawJSON);
}

export function isJsonNumberText(text: string): boolean {
  return JSON_NUMBER.test(text);
}

/**
 * A JSON number from its text (a FHIR XML `value`), kept exactly when the runtime can and the text needs it.
 * The text must be a JSON number; callers check with isJsonNumberText.
 */
export function decimalFromText(text: string): FhirJsonNumber {
  if (!JSON_NUMBER.test(text)) throw new FhirFormatError(`${quote(text)} is not a number`);
  const n = Number(text);
  if (RAW === undefined || String(n) === text) return n;
  return RAW.rawJSON(text);
}

function reviver(_key: string, value: unknown, context?: ReviverContext): unknown {
  // Only numbers whose text would change are wrapped: the common `5` or `70.2` stays a plain number.
  if (typeof value === "number" && RAW !== undefined && context?.source !== undefined && String(value) !== context.source) {
    return RAW.rawJSON(context.source);
  }
  return value;
}

/** Parses a FHIR JSON resource. Refuses, with FhirFormatError, anything that is not a JSON object with a known resourceType. */
export function parseFhirJson(text: string, limits: FhirJsonLimits = {}): FhirResource {
  const max = { ...JSON_LIMITS, ...limits };
  if (text.length > max.maxLength) throw new FhirFormatError(`the JSON is longer than ${max.maxLength} characters`);
  prescan(text, max);
  let value: unknown;
  try {
    value = RAW === undefined ? JSON.parse(text) : JSON.parse(text, reviver);
  } catch (e) {
    // The engine's message quotes input; only its position is passed on.
    const at = e instanceof SyntaxError ? /position (\d+)/.exec(e.message)?.[1] : undefined;
    throw new FhirFormatError(at === undefined ? "the body is not valid JSON" : `the body is not valid JSON (at character ${at})`);
  }
  if (typeof value !== "object" || value === null || Array.isArray(value)) throw new FhirFormatError("a FHIR resource must be a JSON object");
  const resourceType = (value as Record<string, unknown>)["resourceType"];
  if (typeof resourceType !== "string") throw new FhirFormatError("the JSON object has no resourceType");
  if (!isResourceType(resourceType)) throw new FhirFormatError(`resourceType ${quote(resourceType)} is not a FHIR STU3 resource`);
  return value as FhirResource;
}

export interface StringifyOptions {
  /** Indent by two spaces (for people); default compact. */
  readonly pretty?: boolean;
}

/** FHIR JSON text; kept decimals are written with their exact text. */
export function stringifyFhirJson(value: FhirJson, options: StringifyOptions = {}): string {
  return JSON.stringify(value, null, options.pretty === true ? 2 : undefined);
}

/** A property name FHIR JSON can have: an element name, or `_` + one (json.html); `resourceType` fits too. */
const PROPERTY_NAME = /^_?[A-Za-z][A-Za-z0-9]*$/;

const QUOTE = 0x22;
const BACKSLASH = 0x5c;
const COLON = 0x3a;

function isSpace(c: number): boolean {
  return c === 0x20 || c === 0x0a || c === 0x0d || c === 0x09;
}

/**
 * One linear pass over the text: depth, value count, duplicate and impossible property names. Syntax errors are
 * left to JSON.parse (which follows); this pass only needs to find string boundaries, which it does with indexOf.
 */
function prescan(text: string, max: Required<FhirJsonLimits>): void {
  // One entry per open container: the property names seen so far for an object, null for an array.
  const stack: (Set<string> | null)[] = [];
  let values = 0;
  const n = text.length;
  let i = 0;
  while (i < n) {
    const c = text.charCodeAt(i);
    if (c === QUOTE) {
      const start = i;
      let from = i + 1;
      let end = -1;
      while (end < 0) {
        const q = text.indexOf('"', from);
        if (q < 0) return; // unterminated string: JSON.parse reports it
        let b = q - 1;
        while (b > start && text.charCodeAt(b) === BACKSLASH) b--;
        if ((q - 1 - b) % 2 === 0) end = q;
        else from = q + 1;
      }
      i = end + 1;
      const names = stack[stack.length - 1];
      if (names) {
        let j = i;
        while (j < n && isSpace(text.charCodeAt(j))) j++;
        if (text.charCodeAt(j) === COLON) checkName(names, text.slice(start, end + 1));
      }
      continue;
    }
    if (c === 0x7b /* { */ || c === 0x5b /* [ */) {
      if (stack.length >= max.maxDepth) throw new FhirFormatError(`the JSON is nested deeper than ${max.maxDepth} levels`);
      stack.push(c === 0x7b ? new Set() : null);
      values++;
    } else if (c === 0x7d /* } */ || c === 0x5d /* ] */) {
      stack.pop();
    } else if (c === 0x2c /* , */) {
      values++;
    }
    if (values > max.maxValues) throw new FhirFormatError(`the JSON has more than ${max.maxValues} values`);
    i++;
  }
}

function checkName(names: Set<string>, quoted: string): void {
  let name = quoted.slice(1, -1);
  if (name.includes("\\")) {
    try {
      name = JSON.parse(quoted) as string;
    } catch {
      return; // a broken escape: JSON.parse reports it
    }
  }
  if (!PROPERTY_NAME.test(name)) throw new FhirFormatError(`property name ${quote(name)} is not a FHIR element name`);
  if (names.has(name)) throw new FhirFormatError(`property ${quote(name)} appears twice in one object (FHIR JSON forbids duplicates)`);
  names.add(name);
}

/** A short, printable quote of client input for messages (never more than 40 characters of it). */
export function quote(s: string): string {
  return JSON.stringify(s.length > 40 ? `${s.slice(0, 40)}…` : s);
}
