/**
 * Structural validation of a FHIR JSON resource against the STU3 base structure (the model from the official JSON
 * Schema): known resource type and properties, repetition, minimum cardinality, one variant per choice, primitive
 * JSON types and lexical forms, required-binding codes, no empty values, and the narrative's XHTML. Contained and
 * Bundle entry resources are checked recursively.
 *
 * Not here: profiles (Nictiz's zibs), invariants other than the few named below, terminology beyond required
 * bindings, reference resolution. The minimum of a choice group (`value[x]` 1..1) is not in the schema either.
 *
 * Issues carry a FHIRPath-like location (`Observation.component[1].code`; a primitive's `_name` companion is reported
 * at the primitive, as FHIRPath sees it) and a message safe to return in an OperationOutcome (input is quoted at
 * most 40 characters).
 */
import { isResourceType, primitiveType, typeDefinition, element as elementOf, type ElementInfo, type TypeDefinition } from "./model.ts";
import { FhirFormatError, decimalText, isDecimal, quote, type FhirJson, type FhirObject } from "./formats/json.ts";
import { narrativeProblems, nonXmlCharacter, parseDiv } from "./formats/xhtml.ts";

/** OperationOutcome issue types (http://hl7.org/fhir/STU3/valueset-issue-type.html) the checks produce. */
export type StructureIssueCode = "structure" | "required" | "value" | "code-invalid" | "invariant" | "too-costly";

export interface StructureIssue {
  readonly location: string;
  readonly code: StructureIssueCode;
  readonly message: string;
}

export interface ValidateOptions {
  /** Stop after this many issues (a final too-costly issue says so). Default 100. */
  readonly maxIssues?: number;
}

/** Element nesting the validator follows; deeper input (only possible when built in code) is reported, not recursed. */
const MAX_DEPTH = 128;

const INTEGER_RANGE: Readonly<Record<string, readonly [number, number]>> = {
  integer: [-2147483648, 2147483647],
  unsignedInt: [0, 2147483647],
  positiveInt: [1, 2147483647],
};

interface Context {
  readonly issues: StructureIssue[];
  readonly maxIssues: number;
}

class Enough extends Error {}

/** Every structural problem of `resource`, in document order; empty when it is valid STU3 structure. */
export function validateStructure(resource: FhirJson, options: ValidateOptions = {}): StructureIssue[] {
  const ctx: Context = { issues: [], maxIssues: options.maxIssues ?? 100 };
  try {
    // The location names the resource type only when it is one (the message quotes anything else, shortened).
    const rt = isObject(resource) ? own(resource, "resourceType") : undefined;
    validateResource(resource, typeof rt === "string" && isResourceType(rt) ? rt : "Resource", ctx, false, 0);
  } catch (e) {
    if (!(e instanceof Enough)) throw e;
    ctx.issues.push({ location: "", code: "too-costly", message: `validation stopped after ${ctx.maxIssues} issues` });
  }
  return ctx.issues;
}

function report(ctx: Context, location: string, code: StructureIssueCode, message: string): void {
  if (ctx.issues.length >= ctx.maxIssues) throw new Enough();
  ctx.issues.push({ location, code, message });
}

function isObject(v: FhirJson | undefined): v is FhirObject {
  return typeof v === "object" && v !== null && !Array.isArray(v) && !isDecimal(v);
}

function own(obj: FhirObject, key: string): FhirJson | undefined {
  return Object.hasOwn(obj, key) ? obj[key] : undefined;
}

function validateResource(value: FhirJson, location: string, ctx: Context, contained: boolean, depth: number): void {
  if (!isObject(value)) return report(ctx, location, "structure", "a resource must be a JSON object");
  const rt = own(value, "resourceType");
  if (typeof rt !== "string") return report(ctx, location, "required", "resourceType is missing (or not a string)");
  const type = isResourceType(rt) ? typeDefinition(rt) : undefined;
  if (type === undefined) return report(ctx, location, "structure", `${quote(rt)} is not a FHIR STU3 resource type`);
  if (contained) {
    // A contained resource is found only by its id; it cannot nest further (dom-2) nor carry narrative (dom-1).
    if (own(value, "id") === undefined) report(ctx, location, "required", "a contained resource must have an id");
    if (own(value, "contained") !== undefined) report(ctx, `${location}.contained`, "invariant", "a contained resource cannot contain resources (dom-2)");
    if (own(value, "text") !== undefined) report(ctx, `${location}.text`, "invariant", "a contained resource cannot have narrative (dom-1)");
  }
  validateObject(value, type, location, ctx, depth);
}

function validateObject(obj: FhirObject, type: TypeDefinition, location: string, ctx: Context, depth: number): void {
  if (depth > MAX_DEPTH) return report(ctx, location, "too-costly", `nested deeper than ${MAX_DEPTH} elements`);
  let members = 0;
  for (const key of Object.keys(obj)) {
    if (key === "resourceType" && type.kind === "resource") continue;
    members++;
    const companion = key.startsWith("_");
    const info = elementOf(type.name, companion ? key.slice(1) : key);
    if (info === undefined) {
      const hint = key === "resourceType" ? " (resourceType belongs on resources only)" : "";
      report(ctx, `${location}.${clipName(key)}`, "structure", `unknown element ${quote(key)} in ${type.name}${hint}`);
    } else if (companion && !info.companion) {
      report(ctx, `${location}.${info.name}`, "structure", `${info.name} cannot have an id or extensions (${quote(key)} is not allowed)`);
    }
  }
  if (members === 0 && type.kind !== "resource") report(ctx, location, "structure", "an empty object is not allowed (FHIR elements are never empty)");
  const chosen = new Map<string, ElementInfo>();
  for (const info of type.elements) {
    const value = own(obj, info.name);
    const extra = info.companion ? own(obj, `_${info.name}`) : undefined;
    const at = `${location}.${info.name}`;
    if (value === undefined && extra === undefined) {
      if (info.required) report(ctx, at, "required", `${info.name} is required (minimum 1) in ${type.name}`);
      continue;
    }
    if (info.choice !== undefined) {
      const first = chosen.get(info.choice);
      if (first !== undefined) {
        report(ctx, at, "structure", `only one of ${info.choice}[x] is allowed (${first.name} is also present)`);
        continue;
      }
      chosen.set(info.choice, info);
    }
    if (info.kind === "primitive") validatePrimitiveElement(info, value, extra, at, ctx, depth);
    else if (info.repeats) {
      if (!Array.isArray(value)) {
        report(ctx, at, "structure", `${info.name} repeats: a JSON array is expected`);
        continue;
      }
      if (value.length === 0) report(ctx, at, "structure", "an empty array is not allowed");
      value.forEach((item, i) => validateValue(info, item, `${at}[${i}]`, ctx, depth));
    } else if (Array.isArray(value)) {
      report(ctx, at, "structure", `${info.name} does not repeat: a JSON array is not allowed`);
    } else if (value !== undefined) {
      validateValue(info, value, at, ctx, depth);
    }
  }
}

function validateValue(info: ElementInfo, value: FhirJson, at: string, ctx: Context, depth: number): void {
  if (value === null) return report(ctx, at, "structure", "null is not allowed here");
  if (info.kind === "resource") return validateResource(value, at, ctx, info.name === "contained", depth + 1);
  if (info.kind === "xhtml") return validateDiv(value, at, ctx);
  const type = typeDefinition(info.type);
  if (type === undefined) throw new Error(`model: no definition for ${info.type}`);
  if (!isObject(value)) return report(ctx, at, "structure", `${info.name} must be a JSON object (${info.type})`);
  validateObject(value, type, at, ctx, depth + 1);
}

function validatePrimitiveElement(info: ElementInfo, value: FhirJson | undefined, extra: FhirJson | undefined, at: string, ctx: Context, depth: number): void {
  if (!info.repeats) {
    if (Array.isArray(value) || Array.isArray(extra)) return report(ctx, at, "structure", `${info.name} does not repeat: a JSON array is not allowed`);
    if (value === null || extra === null) return report(ctx, at, "structure", "null is not allowed here");
    if (value !== undefined) checkPrimitive(info, value, at, ctx);
    if (extra !== undefined) checkCompanion(info, extra, at, ctx, depth);
    return;
  }
  if (value !== undefined && !Array.isArray(value)) return report(ctx, at, "structure", `${info.name} repeats: a JSON array is expected`);
  if (extra !== undefined && !Array.isArray(extra)) return report(ctx, at, "structure", `_${info.name} must be a JSON array parallel to ${info.name}`);
  if (value !== undefined && extra !== undefined && value.length !== extra.length) {
    return report(ctx, at, "structure", `${info.name} and _${info.name} have different lengths (${value.length} and ${extra.length})`);
  }
  const n = value?.length ?? extra?.length ?? 0;
  if (n === 0) return report(ctx, at, "structure", "an empty array is not allowed");
  for (let i = 0; i < n; i++) {
    const v = value?.[i] ?? null;
    const x = extra?.[i] ?? null;
    const itemAt = `${at}[${i}]`;
    if (v === null && x === null) report(ctx, itemAt, "structure", "an item has neither a value nor extensions (null only aligns a value with _" + info.name + ")");
    if (v !== null) checkPrimitive(info, v, itemAt, ctx);
    if (x !== null) checkCompanion(info, x, itemAt, ctx, depth);
  }
}

/** A primitive's `_name`: an Element (id, extension), never empty. */
function checkCompanion(info: ElementInfo, extra: FhirJson, at: string, ctx: Context, depth: number): void {
  const elementType = typeDefinition("Element");
  if (elementType === undefined) throw new Error("model: no Element");
  if (!isObject(extra)) return report(ctx, at, "structure", `_${info.name} must be a JSON object (id, extension)`);
  validateObject(extra, elementType, at, ctx, depth + 1);
}

function checkPrimitive(info: ElementInfo, value: FhirJson, at: string, ctx: Context): void {
  const p = primitiveType(info.type);
  if (p === undefined) throw new Error(`model: ${info.type} is not primitive`);
  if (p.json === "boolean") {
    if (typeof value !== "boolean") report(ctx, at, "value", `${info.type} must be a JSON boolean (true or false)`);
    return;
  }
  if (p.json === "number") {
    if (typeof value !== "number" && !isDecimal(value)) return report(ctx, at, "value", `${info.type} must be a JSON number`);
    if (typeof value === "number" && !Number.isFinite(value)) return report(ctx, at, "value", `${info.type} must be a finite number`);
    const text = decimalText(value);
    if (p.pattern !== undefined && !p.pattern.test(text)) return report(ctx, at, "value", `${quote(text)} is not a valid ${info.type}`);
    const range = INTEGER_RANGE[info.type];
    const n = Number(text);
    if (range !== undefined && (n < range[0] || n > range[1])) report(ctx, at, "value", `${quote(text)} is outside the range of ${info.type} (${range[0]} to ${range[1]})`);
    return;
  }
  if (typeof value !== "string") return report(ctx, at, "value", `${info.type} must be a JSON string`);
  if (value === "") return report(ctx, at, "value", "an empty string is not allowed");
  const bad = nonXmlCharacter(value);
  if (bad !== undefined) return report(ctx, at, "value", `the string holds ${bad}, which FHIR does not allow`);
  if (info.type === "base64Binary" && !isBase64(value)) return report(ctx, at, "value", "not valid base64Binary");
  if (p.pattern !== undefined && !p.pattern.test(value)) return report(ctx, at, "value", `${quote(value)} is not a valid ${info.type}`);
  if (info.codes !== undefined && !info.codes.has(value)) {
    const list = info.codes.size <= 12 ? ` (one of ${[...info.codes].join(", ")})` : "";
    report(ctx, at, "code-invalid", `${quote(value)} is not a code of the required binding${list}`);
  }
}

/** RFC 4648 base64 with padding; white space between characters is allowed as in XML Schema's base64Binary. */
function isBase64(s: string): boolean {
  const compact = s.replace(/[ \t\r\n]+/g, "");
  return compact.length > 0 && compact.length % 4 === 0 && /^[A-Za-z0-9+/]*={0,2}$/.test(compact);
}

function validateDiv(value: FhirJson, at: string, ctx: Context): void {
  if (typeof value !== "string") return report(ctx, at, "value", "the narrative must be a JSON string of XHTML");
  try {
    for (const problem of narrativeProblems(parseDiv(value, at))) report(ctx, at, "invariant", problem);
  } catch (e) {
    if (!(e instanceof FhirFormatError)) throw e;
    // parseDiv's message starts with the location already given in the issue.
    report(ctx, at, "value", e.message.startsWith(`${at}: `) ? e.message.slice(at.length + 2) : e.message);
  }
}

function clipName(key: string): string {
  return key.length > 60 ? `${key.slice(0, 60)}…` : key;
}

