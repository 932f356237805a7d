// A small, strict FHIR STU3 XML -> JSON reader for the TestScript engine (test tooling: independent of the
// product's own FHIR code). It is driven by fhirpath.js's STU3 model (the data of path2Type.json,
// path2Repeating.json, pathsDefinedElsewhere.json and type2Parent.json, as `fhirpath/fhir-context/stu3` exposes
// them), which knows every element path of every resource and data type, its type and whether it repeats.
// (choiceTypePaths.json is not needed: path2Type already lists every choice element under its typed name,
// such as Observation.valueQuantity, which is the name the XML uses.)
//
// - A repeating element becomes a JSON array. A primitive becomes its JSON value (boolean as a JSON boolean;
//   integer, positiveInt, unsignedInt and decimal as JSON numbers; everything else a string), with the `_name`
//   companion carrying its id and extensions; for repeating primitives both arrays are aligned with null.
// - `Narrative.div` becomes the XHTML element serialised as a string.
// - An element of type Resource (`contained`, `Bundle.entry.resource`, `Bundle.entry.response.outcome`,
//   `Parameters.parameter.resource`) holds one nested resource, read the same way.
//
// Anything the model does not know is an error naming its path: an unknown element, an attribute other than
// value/id/url where FHIR puts them, text content, an element outside the FHIR namespace, a primitive with
// neither a value nor extensions, a non-repeating element given twice. A response that is not FHIR XML must
// not pass as one.
import { DOMParser, XMLSerializer } from "@xmldom/xmldom";
import stu3 from "fhirpath/fhir-context/stu3";

const FHIR_NS = "http://hl7.org/fhir";
const XHTML_NS = "http://www.w3.org/1999/xhtml";
const ELEMENT_NODE = 1;
const TEXT_NODE = 3;
const CDATA_SECTION_NODE = 4;

/** @type {Record<string, string>} element path -> type code (references already reduced to "Reference") */
const PATH_TYPES = stu3.path2Type;
/** @type {Record<string, boolean>} element paths that repeat */
const REPEATING = stu3.path2Repeating;
/** @type {Record<string, string>} element path -> the path whose definition it reuses (Questionnaire.item.item) */
const DEFINED_ELSEWHERE = stu3.pathsDefinedElsewhere;
/** @type {Record<string, string>} type -> parent type (Age -> Quantity, Patient -> DomainResource) */
const PARENT_TYPE = stu3.type2Parent;

/** Types whose children are defined under the element's own path (backbone elements). */
const INLINE_TYPES = new Set(["BackboneElement", "Element"]);
const NUMBER_TYPES = new Set(["integer", "decimal", "positiveInt", "unsignedInt"]);

/**
 * Parses an XML document with xmldom; any parser warning or error is an exception.
 * @param {string} text
 * @returns {Element} the document element
 */
export function parseXmlDocument(text) {
  /** @type {string[]} */
  const problems = [];
  let doc;
  try {
    doc = new DOMParser({ onError: (level, message) => void problems.push(`${level}: ${message}`) }).parseFromString(text, "text/xml");
  } catch (e) {
    problems.push(/** @type {Error} */ (e).message); // xmldom throws on a fatal error after reporting it
  }
  if (problems.length > 0 || !doc) throw new Error(`not well-formed XML: ${[...new Set(problems)].join("; ")}`);
  if (!doc.documentElement) throw new Error("the XML document has no root element");
  return doc.documentElement;
}

/**
 * Reads a FHIR STU3 resource in XML into its JSON representation.
 * @param {string} text the XML document
 * @returns {Record<string, unknown>}
 */
export function parseFhirXml(text) {
  return readResource(parseXmlDocument(text), "");
}

/**
 * @param {Element} el an element named after a resource type, in the FHIR namespace
 * @param {string} where the path of the element holding it ("" for the document element), for error messages
 * @returns {Record<string, unknown>}
 */
function readResource(el, where) {
  const type = el.localName;
  const here = where ? `${where}.${type}` : type;
  if (el.namespaceURI !== FHIR_NS) throw new Error(`${here}: not in the FHIR namespace`);
  if (!isResourceType(type)) throw new Error(`${here}: not an STU3 resource type`);
  checkAttributes(el, here, []);
  return { resourceType: type, ...readChildren(el, type, here) };
}

/** @param {string} type */
function isResourceType(type) {
  for (let t = type; t; t = PARENT_TYPE[t]) if (t === "Resource") return true;
  return false;
}

/**
 * Reads the child elements of a complex element whose definitions live under `defPath` (a resource or data type
 * name, or the definition path of a backbone element).
 * @param {Element} el
 * @param {string} defPath
 * @param {string} where the instance path, for error messages
 * @returns {Record<string, any>}
 */
function readChildren(el, defPath, where) {
  /** @type {Record<string, any>} */
  const out = {};
  for (let node = el.firstChild; node; node = node.nextSibling) {
    if (node.nodeType === TEXT_NODE || node.nodeType === CDATA_SECTION_NODE) {
      if ((node.nodeValue ?? "").trim() !== "") throw new Error(`${where}: unexpected text content`);
      continue;
    }
    if (node.nodeType !== ELEMENT_NODE) continue; // comments and processing instructions carry no data
    const child = /** @type {Element} */ (node);
    const name = child.localName;
    const here = `${where}.${name}`;
    const info = elementInfo(defPath, name);
    if (!info) throw new Error(`${here}: unknown element`);
    const expectedNs = info.type === "xhtml" ? XHTML_NS : FHIR_NS;
    if (child.namespaceURI !== expectedNs) throw new Error(`${here}: expected in namespace ${expectedNs}`);
    if (!info.repeating && (name in out || `_${name}` in out)) throw new Error(`${here}: given twice, but it does not repeat`);

    if (info.type === "xhtml") {
      if (name !== "div") throw new Error(`${here}: the narrative must be an XHTML div`);
      out[name] = new XMLSerializer().serializeToString(child);
    } else if (isPrimitive(info.type)) {
      placePrimitive(out, name, readPrimitive(child, info.type, here), info.repeating);
    } else {
      const value = info.type === "Resource" ? readNestedResource(child, here) : readComplex(child, info, here);
      if (info.repeating) (out[name] ??= []).push(value);
      else out[name] = value;
    }
  }
  return out;
}

/**
 * @param {Element} el
 * @param {{ type: string, nextPath: string }} info
 * @param {string} where
 */
function readComplex(el, info, where) {
  const allowed = info.type === "Extension" ? ["id", "url"] : ["id"];
  checkAttributes(el, where, allowed);
  /** @type {Record<string, any>} */
  const out = {};
  for (const attr of allowed) if (el.hasAttribute(attr)) out[attr] = el.getAttribute(attr);
  return { ...out, ...readChildren(el, info.nextPath, where) };
}

/**
 * An element of type Resource: exactly one child element, the resource.
 * @param {Element} el
 * @param {string} where
 */
function readNestedResource(el, where) {
  checkAttributes(el, where, []);
  /** @type {Element[]} */
  const children = [];
  for (let node = el.firstChild; node; node = node.nextSibling) {
    if (node.nodeType === ELEMENT_NODE) children.push(/** @type {Element} */ (node));
    else if ((node.nodeType === TEXT_NODE || node.nodeType === CDATA_SECTION_NODE) && (node.nodeValue ?? "").trim() !== "") {
      throw new Error(`${where}: unexpected text content`);
    }
  }
  const [resource, ...more] = children;
  if (!resource || more.length > 0) throw new Error(`${where}: must hold exactly one resource`);
  return readResource(resource, where);
}

/**
 * A primitive: its value attribute, and an element id and extensions for the `_name` companion.
 * @param {Element} el
 * @param {string} type
 * @param {string} where
 * @returns {{ value: unknown, companion: Record<string, unknown> | null }}
 */
function readPrimitive(el, type, where) {
  checkAttributes(el, where, ["value", "id"]);
  const { extension, ...other } = readChildren(el, "Element", where);
  const unexpected = Object.keys(other)[0];
  if (unexpected !== undefined) throw new Error(`${where}.${unexpected}: a primitive holds extensions only`);
  /** @type {Record<string, unknown>} */
  const companion = {};
  if (el.hasAttribute("id")) companion.id = el.getAttribute("id");
  if (extension) companion.extension = extension;
  const hasValue = el.hasAttribute("value");
  if (!hasValue && extension === undefined) throw new Error(`${where}: a primitive needs a value or extensions`);
  return { value: hasValue ? primitiveValue(/** @type {string} */ (el.getAttribute("value")), type, where) : undefined, companion: Object.keys(companion).length > 0 ? companion : null };
}

/**
 * @param {string} text
 * @param {string} type
 * @param {string} where
 */
function primitiveValue(text, type, where) {
  if (type === "boolean") {
    if (text !== "true" && text !== "false") throw new Error(`${where}: "${text}" is not a boolean`);
    return text === "true";
  }
  if (NUMBER_TYPES.has(type)) {
    const n = Number(text);
    if (text.trim() === "" || !Number.isFinite(n)) throw new Error(`${where}: "${text}" is not a number`);
    return n;
  }
  return text;
}

/**
 * Puts a primitive into `out` as FHIR JSON does: `name` holds the value, `_name` the id and extensions;
 * for repeating elements both are arrays, aligned with null, and an array with only nulls is left out.
 * @param {Record<string, any>} out
 * @param {string} name
 * @param {{ value: unknown, companion: Record<string, unknown> | null }} primitive
 * @param {boolean} repeating
 */
function placePrimitive(out, name, { value, companion }, repeating) {
  if (!repeating) {
    if (value !== undefined) out[name] = value;
    if (companion) out[`_${name}`] = companion;
    return;
  }
  /** @type {unknown[]} */
  const values = out[name] ?? [];
  /** @type {unknown[]} */
  const companions = out[`_${name}`] ?? [];
  const length = Math.max(values.length, companions.length);
  while (values.length < length) values.push(null);
  while (companions.length < length) companions.push(null);
  values.push(value ?? null);
  companions.push(companion);
  if (values.some((v) => v !== null)) out[name] = values;
  if (companions.some((c) => c !== null)) out[`_${name}`] = companions;
}

/** @param {string} type */
function isPrimitive(type) {
  return type[0] !== undefined && type[0] === type[0].toLowerCase();
}

/**
 * Finds `name` under `defPath`: directly, through pathsDefinedElsewhere, or inherited (a data type or resource
 * from its parent type, a backbone element from BackboneElement).
 * @param {string} defPath
 * @param {string} name
 * @returns {{ type: string, repeating: boolean, nextPath: string } | undefined}
 */
function elementInfo(defPath, name) {
  const path = `${defPath}.${name}`;
  const target = DEFINED_ELSEWHERE[path] ?? path;
  const type = PATH_TYPES[target];
  if (type !== undefined) {
    return { type, repeating: Boolean(REPEATING[path] || REPEATING[target]), nextPath: INLINE_TYPES.has(type) ? target : type };
  }
  const parent = defPath.includes(".") ? "BackboneElement" : PARENT_TYPE[defPath];
  return parent ? elementInfo(parent, name) : undefined;
}

/**
 * FHIR XML carries data in elements and in the attributes value, id and url only (plus namespace declarations).
 * @param {Element} el
 * @param {string} where
 * @param {string[]} allowed
 */
function checkAttributes(el, where, allowed) {
  for (let i = 0; i < el.attributes.length; i++) {
    const attr = /** @type {Attr} */ (el.attributes.item(i));
    if (attr.name === "xmlns" || attr.prefix === "xmlns") continue;
    if (!allowed.includes(attr.name)) throw new Error(`${where}: unexpected attribute ${attr.name}`);
  }
}

// ---- Writing: FHIR JSON -> STU3 XML ---------------------------------------------------------------------------
//
// The writer for the PHR-side server double (server.mjs), which answers in XML when it is asked to. It follows
// the JSON's own key order (a resource read from XML keeps its XML order; Bundles the double builds are written in
// FHIR order), which FHIR XML requires to be the definition order. A value with a resourceType is a nested
// resource; `div` is the XHTML as it is; in an element (not a resource) `id` and, in an extension, `url` are
// attributes; a primitive is an element with a value attribute, its `_name` companion giving the id attribute and
// extensions. Nothing is checked against the model: what the double writes comes from fixtures it read strictly.

/**
 * @param {Record<string, unknown>} resource
 * @returns {string}
 */
export function writeFhirXml(resource) {
  return `<?xml version="1.0" encoding="UTF-8"?>\n${writeResource(resource, true)}`;
}

/**
 * @param {Record<string, unknown>} resource
 * @param {boolean} root
 */
function writeResource(resource, root) {
  const type = resource.resourceType;
  if (typeof type !== "string") throw new Error("writeFhirXml: not a resource (no resourceType)");
  return `<${type}${root ? ` xmlns="${FHIR_NS}"` : ""}>${writeMembers(resource, "resource")}</${type}>`;
}

/**
 * The child elements of a resource or complex element.
 * @param {Record<string, unknown>} object
 * @param {"resource" | "element" | "extension"} kind
 */
function writeMembers(object, kind) {
  let out = "";
  /** @type {Set<string>} */
  const done = new Set(["resourceType"]);
  if (kind !== "resource") done.add("id");
  if (kind === "extension") done.add("url");
  for (const key of Object.keys(object)) {
    const name = key.startsWith("_") ? key.slice(1) : key;
    if (done.has(name)) continue;
    done.add(name);
    const value = object[name];
    const companion = object[`_${name}`];
    if (name === "div" && typeof value === "string") {
      out += value;
      continue;
    }
    const values = Array.isArray(value) ? value : value === undefined ? [] : [value];
    const companions = Array.isArray(companion) ? companion : companion === undefined || companion === null ? [] : [companion];
    const count = Math.max(values.length, companions.length);
    for (let i = 0; i < count; i++) out += writeElement(name, values[i] ?? null, companions[i] ?? null);
  }
  return out;
}

/**
 * @param {string} name
 * @param {unknown} value
 * @param {unknown} companion
 * @returns {string}
 */
function writeElement(name, value, companion) {
  if (value !== null && typeof value === "object") {
    const object = /** @type {Record<string, unknown>} */ (value);
    if (typeof object.resourceType === "string") return `<${name}>${writeResource(object, false)}</${name}>`;
    const extension = name === "extension" || name === "modifierExtension";
    const attributes = `${typeof object.id === "string" ? ` id="${escapeAttribute(object.id)}"` : ""}${extension && typeof object.url === "string" ? ` url="${escapeAttribute(object.url)}"` : ""}`;
    const body = writeMembers(object, extension ? "extension" : "element");
    return body === "" ? `<${name}${attributes}/>` : `<${name}${attributes}>${body}</${name}>`;
  }
  const extra = companion !== null && typeof companion === "object" ? /** @type {Record<string, unknown>} */ (companion) : {};
  const attributes = `${typeof extra.id === "string" ? ` id="${escapeAttribute(extra.id)}"` : ""}${value === null ? "" : ` value="${escapeAttribute(String(value))}"`}`;
  /** @type {string} */
  const extensions = Array.isArray(extra.extension) ? extra.extension.map((/** @type {unknown} */ e) => writeElement("extension", e, null)).join("") : "";
  return extensions === "" ? `<${name}${attributes}/>` : `<${name}${attributes}>${extensions}</${name}>`;
}

/** @param {string} text */
function escapeAttribute(text) {
  return text.replace(/&/g, "&amp;").replace(/</g, "&lt;").replace(/>/g, "&gt;").replace(/"/g, "&quot;")
    .replace(/\n/g, "&#10;").replace(/\r/g, "&#13;").replace(/\t/g, "&#9;");
}
