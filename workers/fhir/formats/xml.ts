/**
 * FHIR XML (http://hl7.org/fhir/STU3/xml.html) to and from FHIR JSON (json.html), driven by the structure model
 * (G-6: "servers speak FHIR JSON and FHIR XML").
 *
 * The mapping: elements in the FHIR namespace named as the JSON properties; the root and the wrapper inside every
 * Resource-typed element (`contained`, `Bundle.entry.resource`, ...) named by the resource type; primitive values in
 * a `value` attribute, with the element's `id` attribute and `<extension>` children becoming the JSON `_name`
 * companion (arrays of primitives get a parallel `_name` array, `null` where an item has none, and `null` in the
 * value array where an item has only extensions); `id` of data types and backbone elements and `Extension.url` as
 * attributes, `Resource.id` as an element; repetition from the model (a repeating element is a JSON array even with
 * one item); booleans and numbers as JSON booleans and numbers, a decimal's text kept exactly both ways (json.ts);
 * Narrative.div as XHTML, a serialized string in JSON (xhtml.ts).
 *
 * Reading XML is strict: unknown elements, elements outside the FHIR namespace, unexpected attributes, text where
 * FHIR has none, a `value` attribute on a complex element, an empty element or attribute, a second occurrence of a
 * non-repeating element, two variants of one choice, elements out of definition order ("Elements must always appear
 * in the order documented") and processing instructions are refused with FhirFormatError naming the element's path
 * and line. Comments are ignored (FHIR allows them and gives them no meaning). Writing refuses JSON it could not
 * write faithfully (unknown properties, wrong JSON types, empty objects/arrays/strings, characters XML cannot carry).
 *
 * Both directions are linear in the input; the strict parser bounds depth and node count.
 */
import { parseXml } from "../../shared/xml/parse.ts";
import { XmlSyntaxError, type XmlElement } from "../../shared/xml/types.ts";
import { isResourceType, primitiveType, typeDefinition, element as elementOf, type ElementInfo, type TypeDefinition } from "../model.ts";
import { FhirFormatError, decimalFromText, decimalText, isDecimal, isJsonNumberText, quote, type FhirJson, type FhirObject, type FhirPrimitiveJson, type FhirResource } from "./json.ts";
import { XHTML_NS, escapeXmlAttribute, nonXmlCharacter, parseDiv, serializeDiv } from "./xhtml.ts";

export const FHIR_NS = "http://hl7.org/fhir";

export interface FhirXmlLimits {
  /** Characters (UTF-16 code units) of input. Default 16 Mi: a Bundle with several 1 MB (base64) Binaries. */
  readonly maxLength?: number;
  /** Element nesting, narrative XHTML included. Default 128. */
  readonly maxDepth?: number;
  /** Elements, text runs and processing instructions. Default 250 000 (a 3 MB Bundle of Observations has ~60 000). */
  readonly maxNodes?: number;
}

export const XML_LIMITS: Required<FhirXmlLimits> = { maxLength: 16 * 1024 * 1024, maxDepth: 128, maxNodes: 250_000 };

// ---------------------------------------------------------------------------------------------------------------
// XML -> JSON
// ---------------------------------------------------------------------------------------------------------------

/** Reads a FHIR XML resource into its FHIR JSON form; FhirFormatError for anything FHIR XML does not allow. */
export function fhirXmlToJson(text: string, limits: FhirXmlLimits = {}): FhirResource {
  const max = { ...XML_LIMITS, ...limits };
  if (text.length > max.maxLength) throw new FhirFormatError(`the XML is longer than ${max.maxLength} characters`);
  let root: XmlElement;
  try {
    root = parseXml(text, { maxDepth: max.maxDepth, maxNodes: max.maxNodes }).root;
  } catch (e) {
    if (e instanceof XmlSyntaxError) throw new FhirFormatError(`not well-formed XML: ${clip(e.message)}`, undefined, e.line);
    throw e;
  }
  return readResource(root, undefined);
}

function readResource(el: XmlElement, at: string | undefined): FhirResource {
  const name = display(el);
  if (el.ns !== FHIR_NS) throw new FhirFormatError(`element ${name} is not in the FHIR namespace (${FHIR_NS})`, at, el.line);
  const type = isResourceType(el.name) ? typeDefinition(el.name) : undefined;
  if (type === undefined) throw new FhirFormatError(`${name} is not a FHIR STU3 resource type`, at, el.line);
  const path = at ?? el.name;
  if (el.attributes.length > 0) throw unexpectedAttribute(el, path);
  const out: FhirResource = { resourceType: el.name };
  readChildren(el, type, out, path);
  return out;
}

/** A data type or backbone element. */
function readComplex(el: XmlElement, type: TypeDefinition, path: string): FhirObject {
  const out: FhirObject = {};
  for (const a of el.attributes) {
    const info = a.ns === "" ? elementOf(type.name, a.name) : undefined;
    if (info?.xmlAttribute !== true) {
      if (a.ns === "" && a.name === "value") throw new FhirFormatError(`${type.name} is not a primitive type: a value attribute is not allowed here`, path, el.line);
      throw unexpectedAttribute(el, path, a.prefix === "" ? a.name : `${a.prefix}:${a.name}`);
    }
    if (a.value === "") throw new FhirFormatError(`attribute ${a.name} is empty (FHIR attributes are never empty)`, path, el.line);
    out[info.name] = a.value;
  }
  readChildren(el, type, out, path);
  if (Object.keys(out).length === 0) throw new FhirFormatError("the element is empty (FHIR elements always have a value, children or extensions)", path, el.line);
  return out;
}

interface PendingArray {
  readonly info: ElementInfo;
  readonly values: FhirJson[];
  readonly companions: (FhirObject | null)[];
}

function readChildren(el: XmlElement, type: TypeDefinition, out: FhirObject, path: string): void {
  let last: ElementInfo | undefined;
  let index = 0;
  let pending: PendingArray | undefined;
  for (const child of el.children) {
    if (child.kind === "text") {
      if (!isSpace(child.value)) throw new FhirFormatError(`text content is not allowed in ${type.name} (only elements)`, path, el.line);
      continue;
    }
    if (child.kind === "pi") throw new FhirFormatError("processing instructions are not allowed in FHIR XML", path, el.line);
    const info = elementOf(type.name, child.name);
    if (info === undefined || info.xmlAttribute) throw new FhirFormatError(`unknown element ${display(child)} in ${type.name}`, path, child.line);
    const ns = info.kind === "xhtml" ? XHTML_NS : FHIR_NS;
    if (child.ns !== ns) throw new FhirFormatError(`element ${display(child)} must be in the namespace ${ns}`, path, child.line);
    if (last !== undefined) {
      if (info.order < last.order) throw new FhirFormatError(`element ${child.name} is out of order (it belongs before ${last.name})`, path, child.line);
      if (info === last && !info.repeats) throw new FhirFormatError(`element ${child.name} appears more than once (it does not repeat)`, path, child.line);
      if (info !== last && info.order === last.order) throw new FhirFormatError(`only one of ${info.choice}[x] is allowed (${last.name} and ${info.name})`, path, child.line);
    }
    index = info === last ? index + 1 : 0;
    if (info !== last && pending !== undefined) {
      flush(pending, out);
      pending = undefined;
    }
    last = info;
    const childPath = info.repeats ? `${path}.${info.name}[${index}]` : `${path}.${info.name}`;
    if (info.kind === "primitive") {
      const [value, companion] = readPrimitive(child, info, childPath);
      if (info.repeats) {
        pending ??= { info, values: [], companions: [] };
        pending.values.push(value ?? null);
        pending.companions.push(companion ?? null);
      } else {
        if (value !== undefined) out[info.name] = value;
        if (companion !== undefined) out[`_${info.name}`] = companion;
      }
      continue;
    }
    let value: FhirJson;
    if (info.kind === "xhtml") {
      value = serializeDiv(child, childPath);
    } else if (info.kind === "resource") {
      value = readContainer(child, childPath);
    } else {
      const def = typeDefinition(info.type);
      if (def === undefined) throw new Error(`model: no definition for ${info.type}`);
      value = readComplex(child, def, childPath);
    }
    if (info.repeats) {
      const list = out[info.name];
      if (Array.isArray(list)) list.push(value);
      else out[info.name] = [value];
    } else {
      out[info.name] = value;
    }
  }
  if (pending !== undefined) flush(pending, out);
}

/** A repeating primitive's values and companions, each written only if some item has one (json.html). */
function flush(p: PendingArray, out: FhirObject): void {
  if (p.values.some((v) => v !== null)) out[p.info.name] = p.values;
  if (p.companions.some((c) => c !== null)) out[`_${p.info.name}`] = p.companions;
}

function readPrimitive(el: XmlElement, info: ElementInfo, path: string): [FhirPrimitiveJson | undefined, FhirObject | undefined] {
  let text: string | undefined;
  let id: string | undefined;
  for (const a of el.attributes) {
    if (a.ns === "" && a.name === "value") text = a.value;
    else if (a.ns === "" && a.name === "id") id = a.value;
    else throw unexpectedAttribute(el, path, a.prefix === "" ? a.name : `${a.prefix}:${a.name}`);
  }
  if (text === "" || id === "") throw new FhirFormatError(`attribute ${text === "" ? "value" : "id"} is empty (FHIR attributes are never empty)`, path, el.line);
  const extensions: FhirObject[] = [];
  const extensionType = typeDefinition("Extension")!;
  for (const c of el.children) {
    if (c.kind === "text") {
      if (!isSpace(c.value)) throw new FhirFormatError(`text content is not allowed in ${info.name} (a primitive has its value in the value attribute)`, path, el.line);
    } else if (c.kind === "pi") {
      throw new FhirFormatError("processing instructions are not allowed in FHIR XML", path, el.line);
    } else if (c.ns === FHIR_NS && c.name === "extension") {
      extensions.push(readComplex(c, extensionType, `${path}.extension[${extensions.length}]`));
    } else {
      throw new FhirFormatError(`unknown element ${display(c)} in ${info.name} (a primitive has only extensions)`, path, c.line);
    }
  }
  if (text === undefined && extensions.length === 0) throw new FhirFormatError("the element has neither a value nor extensions", path, el.line);
  if (!info.companion && (id !== undefined || extensions.length > 0)) throw new FhirFormatError(`${info.name} cannot have an id or extensions here`, path, el.line);
  let companion: FhirObject | undefined;
  if (id !== undefined || extensions.length > 0) {
    companion = {};
    if (id !== undefined) companion["id"] = id;
    if (extensions.length > 0) companion["extension"] = extensions;
  }
  return [text === undefined ? undefined : primitiveFromText(text, info, path, el.line), companion];
}

function primitiveFromText(text: string, info: ElementInfo, path: string, line: number): FhirPrimitiveJson {
  // The parser already refused characters XML cannot carry.
  const p = primitiveType(info.type);
  if (p === undefined) throw new Error(`model: ${info.type} is not primitive`);
  if (p.json === "boolean") {
    if (text === "true") return true;
    if (text === "false") return false;
    throw new FhirFormatError(`${quote(text)} is not a boolean (true or false)`, path, line);
  }
  if (p.json === "number") {
    if (!isJsonNumberText(text)) throw new FhirFormatError(`${quote(text)} is not a valid ${info.type}`, path, line);
    return decimalFromText(text);
  }
  return text;
}

/** A Resource-typed element: exactly one resource element inside, named by its type. */
function readContainer(el: XmlElement, path: string): FhirResource {
  if (el.attributes.length > 0) throw unexpectedAttribute(el, path);
  let inner: XmlElement | undefined;
  for (const c of el.children) {
    if (c.kind === "text") {
      if (!isSpace(c.value)) throw new FhirFormatError(`text content is not allowed in ${el.name}`, path, el.line);
    } else if (c.kind === "pi") {
      throw new FhirFormatError("processing instructions are not allowed in FHIR XML", path, el.line);
    } else if (inner !== undefined) {
      throw new FhirFormatError(`${el.name} holds exactly one resource`, path, c.line);
    } else {
      inner = c;
    }
  }
  if (inner === undefined) throw new FhirFormatError(`${el.name} holds no resource`, path, el.line);
  return readResource(inner, path);
}

function unexpectedAttribute(el: XmlElement, path: string, name?: string): FhirFormatError {
  const a = el.attributes[0];
  const shown = name ?? (a === undefined ? "?" : a.prefix === "" ? a.name : `${a.prefix}:${a.name}`);
  return new FhirFormatError(`unexpected attribute ${clip(shown, 60)} on ${display(el)}`, path, el.line);
}

function display(el: XmlElement): string {
  return `<${clip(el.prefix === "" ? el.name : `${el.prefix}:${el.name}`, 60)}>`;
}

function clip(s: string, n = 200): string {
  return s.length > n ? `${s.slice(0, n)}…` : s;
}

function isSpace(s: string): boolean {
  return /^[ \t\n\r]*$/.test(s);
}

// ---------------------------------------------------------------------------------------------------------------
// JSON -> XML
// ---------------------------------------------------------------------------------------------------------------

/** Writes a FHIR JSON resource as FHIR XML (UTF-8 text with the XML declaration, elements in definition order). */
export function fhirJsonToXml(resource: FhirJson): string {
  const out: string[] = ['<?xml version="1.0" encoding="UTF-8"?>\n'];
  writeResource(resource, out, 0, undefined);
  out.push("\n");
  return out.join("");
}

/** Element nesting the writer follows. Parsed input never comes near it; JSON built in code might. */
const MAX_WRITE_DEPTH = 256;

const INDENT: string[] = [];
function indent(depth: number): string {
  let s = INDENT[depth];
  if (s === undefined) {
    s = `\n${"  ".repeat(depth)}`;
    INDENT[depth] = s;
  }
  return s;
}

function isObject(v: FhirJson | undefined): v is FhirObject {
  return typeof v === "object" && v !== null && !Array.isArray(v) && !isDecimal(v);
}

function own(obj: FhirObject, key: string): FhirJson | undefined {
  return Object.hasOwn(obj, key) ? obj[key] : undefined;
}

function writeResource(value: FhirJson, out: string[], depth: number, at: string | undefined): void {
  if (depth > MAX_WRITE_DEPTH) throw new FhirFormatError(`nested deeper than ${MAX_WRITE_DEPTH} elements`, at);
  if (!isObject(value)) throw new FhirFormatError("a resource must be a JSON object", at);
  const rt = own(value, "resourceType");
  if (typeof rt !== "string") throw new FhirFormatError("the resource has no resourceType", at);
  const type = isResourceType(rt) ? typeDefinition(rt) : undefined;
  if (type === undefined) throw new FhirFormatError(`resourceType ${quote(rt)} is not a FHIR STU3 resource`, at);
  const path = at ?? rt;
  const open = depth === 0 ? `<${rt} xmlns="${FHIR_NS}"` : `${indent(depth)}<${rt}`;
  out.push(open);
  const mark = out.length;
  out.push(">");
  if (writeChildren(value, type, out, depth + 1, path)) {
    out.push(indent(depth), "</", rt, ">");
  } else {
    out[mark] = "/>";
  }
}

/** Writes obj's elements in definition order; returns whether any was written. */
function writeChildren(obj: FhirObject, type: TypeDefinition, out: string[], depth: number, path: string): boolean {
  for (const key of Object.keys(obj)) {
    if (key === "resourceType" && type.kind === "resource") continue;
    const companion = key.startsWith("_");
    const info = elementOf(type.name, companion ? key.slice(1) : key);
    if (info === undefined || (companion && !info.companion)) throw new FhirFormatError(`unknown property ${quote(key)} in ${type.name}`, path);
  }
  const start = out.length;
  let lastChoice: ElementInfo | undefined;
  for (const info of type.elements) {
    if (info.xmlAttribute) continue;
    const value = own(obj, info.name);
    const extra = info.companion ? own(obj, `_${info.name}`) : undefined;
    if (value === undefined && extra === undefined) continue;
    if (info.choice !== undefined) {
      if (lastChoice !== undefined && lastChoice.order === info.order) throw new FhirFormatError(`only one of ${info.choice}[x] is allowed (${lastChoice.name} and ${info.name})`, path);
      lastChoice = info;
    }
    const at = `${path}.${info.name}`;
    if (info.kind === "primitive") writePrimitives(info, value, extra, out, depth, at);
    else if (info.repeats) {
      if (!Array.isArray(value)) throw new FhirFormatError(`${info.name} repeats: a JSON array is expected`, at);
      if (value.length === 0) throw new FhirFormatError("an array is never empty in FHIR JSON", at);
      value.forEach((item, i) => writeOne(info, item, out, depth, `${at}[${i}]`));
    } else {
      if (Array.isArray(value)) throw new FhirFormatError(`${info.name} does not repeat: a JSON array is not allowed`, at);
      writeOne(info, value!, out, depth, at);
    }
  }
  return out.length > start;
}

function writeOne(info: ElementInfo, value: FhirJson, out: string[], depth: number, path: string): void {
  if (info.kind === "resource") {
    out.push(indent(depth), "<", info.name, ">");
    writeResource(value, out, depth + 1, path);
    out.push(indent(depth), "</", info.name, ">");
    return;
  }
  if (info.kind === "xhtml") {
    if (typeof value !== "string") throw new FhirFormatError("the narrative must be a JSON string of XHTML", path);
    out.push(indent(depth), serializeDiv(parseDiv(value, path), path));
    return;
  }
  const type = typeDefinition(info.type);
  if (type === undefined) throw new Error(`model: no definition for ${info.type}`);
  writeComplex(info.name, value, type, out, depth, path);
}

function writeComplex(name: string, value: FhirJson, type: TypeDefinition, out: string[], depth: number, path: string): void {
  if (depth > MAX_WRITE_DEPTH) throw new FhirFormatError(`nested deeper than ${MAX_WRITE_DEPTH} elements`, path);
  if (!isObject(value)) throw new FhirFormatError(`${name} must be a JSON object (${type.name})`, path);
  out.push(indent(depth), "<", name);
  let attributes = 0;
  for (const info of type.elements) {
    if (!info.xmlAttribute) continue;
    const v = own(value, info.name);
    if (v === undefined) continue;
    out.push(" ", info.name, '="', attributeText(v, `${path}.${info.name}`), '"');
    attributes++;
  }
  const mark = out.length;
  out.push(">");
  if (writeChildren(value, type, out, depth + 1, path)) {
    out.push(indent(depth), "</", name, ">");
  } else if (attributes > 0) {
    out[mark] = "/>";
  } else {
    throw new FhirFormatError("an empty object is not allowed (FHIR elements are never empty)", path);
  }
}

function attributeText(v: FhirJson, path: string): string {
  if (typeof v !== "string") throw new FhirFormatError("a JSON string is expected", path);
  if (v === "") throw new FhirFormatError("an empty string is not allowed", path);
  return escapeXmlAttribute(checkChars(v, path));
}

function checkChars(s: string, path: string): string {
  const bad = nonXmlCharacter(s);
  if (bad !== undefined) throw new FhirFormatError(`the string holds ${bad}, which XML cannot carry`, path);
  return s;
}

function writePrimitives(info: ElementInfo, value: FhirJson | undefined, extra: FhirJson | undefined, out: string[], depth: number, path: string): void {
  if (!info.repeats) {
    if (Array.isArray(value) || Array.isArray(extra)) throw new FhirFormatError(`${info.name} does not repeat: a JSON array is not allowed`, path);
    writePrimitive(info, value ?? null, extra ?? null, out, depth, path);
    return;
  }
  if (value !== undefined && !Array.isArray(value)) throw new FhirFormatError(`${info.name} repeats: a JSON array is expected`, path);
  if (extra !== undefined && !Array.isArray(extra)) throw new FhirFormatError(`_${info.name} must be an array parallel to ${info.name}`, path);
  const n = value?.length ?? extra?.length ?? 0;
  if (n === 0) throw new FhirFormatError("an array is never empty in FHIR JSON", path);
  if (value !== undefined && extra !== undefined && value.length !== extra.length) {
    throw new FhirFormatError(`${info.name} and _${info.name} have different lengths (${value.length} and ${extra.length})`, path);
  }
  for (let i = 0; i < n; i++) writePrimitive(info, value?.[i] ?? null, extra?.[i] ?? null, out, depth, `${path}[${i}]`);
}

function writePrimitive(info: ElementInfo, value: FhirJson, extra: FhirJson, out: string[], depth: number, path: string): void {
  if (value === null && extra === null) throw new FhirFormatError("an item has neither a value nor extensions", path);
  out.push(indent(depth), "<", info.name);
  let extensions: FhirJson[] | undefined;
  if (extra !== null) {
    if (!isObject(extra)) throw new FhirFormatError(`_${info.name} must be a JSON object (id, extension)`, path);
    for (const key of Object.keys(extra)) {
      if (key !== "id" && key !== "extension") throw new FhirFormatError(`unknown property ${quote(key)} in _${info.name}`, path);
    }
    const id = own(extra, "id");
    if (id !== undefined) out.push(' id="', attributeText(id, `${path}.id`), '"');
    const ext = own(extra, "extension");
    if (ext !== undefined) {
      if (!Array.isArray(ext) || ext.length === 0) throw new FhirFormatError("extension must be a non-empty JSON array", `${path}.extension`);
      extensions = ext;
    }
    if (id === undefined && extensions === undefined) throw new FhirFormatError(`_${info.name} is empty`, path);
  }
  if (value !== null) out.push(' value="', escapeXmlAttribute(primitiveText(info, value, path)), '"');
  if (extensions === undefined) {
    out.push("/>");
    return;
  }
  out.push(">");
  const extensionType = typeDefinition("Extension")!;
  extensions.forEach((e, i) => writeComplex("extension", e, extensionType, out, depth + 1, `${path}.extension[${i}]`));
  out.push(indent(depth), "</", info.name, ">");
}

function primitiveText(info: ElementInfo, value: FhirJson, path: string): string {
  const p = primitiveType(info.type);
  if (p === undefined) throw new Error(`model: ${info.type} is not primitive`);
  if (p.json === "boolean") {
    if (typeof value !== "boolean") throw new FhirFormatError(`${info.type} must be a JSON boolean`, path);
    return value ? "true" : "false";
  }
  if (p.json === "number") {
    if (typeof value !== "number" && !isDecimal(value)) throw new FhirFormatError(`${info.type} must be a JSON number`, path);
    return decimalText(value);
  }
  if (typeof value !== "string") throw new FhirFormatError(`${info.type} must be a JSON string`, path);
  if (value === "") throw new FhirFormatError("an empty string is not allowed", path);
  return checkChars(value, path);
}
