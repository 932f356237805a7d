/**
 * Narrative XHTML (Narrative.div): a `<div>` in the XHTML namespace, carried in FHIR XML as XML and in FHIR JSON as
 * a string holding its serialization (STU3 json.html: `"div": "<div xmlns=\"http://www.w3.org/1999/xhtml\">…</div>"`).
 *
 * Both directions go through the project's strict parser's tree (no DTD, bounded) and one serializer, so what one
 * format carries the other carries too, and nothing but XHTML elements ever passes: another namespace, a processing
 * instruction or a foreign attribute is refused. The serialization declares the namespace on the div and writes
 * every descendant unprefixed; text and attribute values are escaped so that they read back identically.
 */
import { parseXml } from "../../shared/xml/parse.ts";
import { XmlSyntaxError, type XmlElement } from "../../shared/xml/types.ts";
import { escapeAttribute } from "../../shared/xml/write.ts";
import { FhirFormatError } from "./json.ts";

export const XHTML_NS = "http://www.w3.org/1999/xhtml";
const XML_NS = "http://www.w3.org/XML/1998/namespace";

/** Limits for a div read from a JSON string: its own document (the XML reader bounds the XML one). */
const DIV_LIMITS = { maxDepth: 64, maxNodes: 100_000 } as const;

const TEXT_ESCAPES: Readonly<Record<string, string>> = { "&": "&amp;", "<": "&lt;", ">": "&gt;", "\r": "&#13;" };

/** Character data: `\r` too, which a parser would otherwise read back as `\n` (XML 1.0 §2.11). */
export function escapeXmlText(s: string): string {
  return s.replace(/[&<>\r]/g, (c) => TEXT_ESCAPES[c]!);
}

/** Attribute values: TAB, LF and CR as character references, which attribute-value normalisation leaves alone. */
export { escapeAttribute as escapeXmlAttribute } from "../../shared/xml/write.ts";

const NOT_XML_CHAR = /[\u0000-\u0008\u000B\u000C\u000E-\u001F\uFFFE\uFFFF]|[\uD800-\uDBFF](?![\uDC00-\uDFFF])|(?<![\uD800-\uDBFF])[\uDC00-\uDFFF]/g;
const SUSPECT_CHAR = /[\u0000-\u0008\u000B\u000C\u000E-\u001F\uFFFE\uFFFF\uD800-\uDFFF]/g;

/**
 * The first character XML 1.0 cannot carry at all, not even as a reference (C0 controls other than TAB/LF/CR,
 * U+FFFE/U+FFFF, lone surrogates), as `U+XXXX`; undefined when there is none. A JSON string may hold one.
 */
export function nonXmlCharacter(s: string): string | undefined {
  SUSPECT_CHAR.lastIndex = 0;
  const suspect = SUSPECT_CHAR.exec(s);
  if (suspect === null) return undefined;
  NOT_XML_CHAR.lastIndex = suspect.index;
  const bad = NOT_XML_CHAR.exec(s);
  return bad === null ? undefined : `U+${bad[0].charCodeAt(0).toString(16).toUpperCase().padStart(4, "0")}`;
}

/** Checks a parsed div (from FHIR XML or from a JSON string) and serializes it, namespace declared on the div. */
export function serializeDiv(div: XmlElement, path: string): string {
  if (div.ns !== XHTML_NS || div.name !== "div") throw new FhirFormatError("the narrative must be a <div> in the XHTML namespace", path, div.line);
  const out: string[] = [];
  write(div, out, true, path);
  return out.join("");
}

/** Reads the div of a FHIR JSON narrative string; refuses anything but one XHTML div. */
export function parseDiv(text: string, path: string): XmlElement {
  let root: XmlElement;
  try {
    root = parseXml(text, DIV_LIMITS).root;
  } catch (e) {
    if (e instanceof XmlSyntaxError) throw new FhirFormatError(`the narrative is not well-formed XHTML: ${e.message}`, path);
    throw e;
  }
  if (root.ns !== XHTML_NS || root.name !== "div") throw new FhirFormatError("the narrative must be a <div> in the XHTML namespace", path);
  return root;
}

function write(el: XmlElement, out: string[], root: boolean, path: string): void {
  if (el.ns !== XHTML_NS) throw new FhirFormatError(`element <${el.prefix === "" ? "" : `${el.prefix}:`}${el.name}> in the narrative is not XHTML`, path, el.line);
  out.push("<", el.name);
  if (root) out.push(` xmlns="${XHTML_NS}"`);
  for (const a of el.attributes) {
    let name: string;
    if (a.ns === "") name = a.name;
    else if (a.ns === XML_NS) name = `xml:${a.name}`;
    else throw new FhirFormatError(`attribute ${a.prefix}:${a.name} in the narrative is not XHTML`, path, el.line);
    out.push(" ", name, '="', escapeAttribute(a.value), '"');
  }
  if (el.children.length === 0) {
    out.push("/>");
    return;
  }
  out.push(">");
  for (const c of el.children) {
    if (c.kind === "text") out.push(escapeXmlText(c.value));
    else if (c.kind === "element") write(c, out, false, path);
    else throw new FhirFormatError("processing instructions are not allowed in the narrative", path, el.line);
  }
  out.push("</", el.name, ">");
}

// ---------------------------------------------------------------------------------------------------------------
// txt-1 and txt-2 (STU3 narrative.html): only basic formatting XHTML, and some content. For the validator.
// ---------------------------------------------------------------------------------------------------------------

/** The elements of FHIR's XHTML schema (fhir-xhtml.xsd): formatting, lists, tables, links and images. */
const ALLOWED_ELEMENTS: ReadonlySet<string> = new Set([
  "a", "abbr", "acronym", "address", "b", "bdo", "big", "blockquote", "br", "caption", "cite", "code", "col", "colgroup",
  "dd", "del", "dfn", "div", "dl", "dt", "em", "h1", "h2", "h3", "h4", "h5", "h6", "hr", "i", "img", "ins", "kbd", "li",
  "ol", "p", "pre", "q", "samp", "small", "span", "strong", "sub", "sup", "table", "tbody", "td", "tfoot", "th", "thead",
  "tr", "tt", "ul", "var",
]);

/** HTML 4 core, i18n and presentational attributes of those elements; no event handlers (on*), no forms. */
const ALLOWED_ATTRIBUTES: ReadonlySet<string> = new Set([
  "id", "class", "style", "title", "lang", "dir",
  "name", "href", "hreflang", "rel", "rev", "type", "charset", "shape", "coords",
  "src", "alt", "longdesc", "height", "width",
  "summary", "border", "frame", "rules", "cellspacing", "cellpadding",
  "abbr", "axis", "headers", "scope", "rowspan", "colspan", "span", "align", "valign", "char", "charoff",
  "cite", "datetime", "start", "value", "compact",
]);

const XML_ATTRIBUTES: ReadonlySet<string> = new Set(["lang", "space"]);
const URL_ATTRIBUTES: ReadonlySet<string> = new Set(["href", "src", "cite", "longdesc"]);
/** Scheme of a URL, ignoring the white space and controls browsers ignore (`java\tscript:`). */
const SCRIPT_URL = /^(?:javascript|vbscript):/i;

/** Problems under txt-1/txt-2 in a div that serializeDiv/parseDiv accepted; empty when none. */
export function narrativeProblems(div: XmlElement): string[] {
  const problems: string[] = [];
  const content = { seen: false };
  check(div, problems, content);
  if (!content.seen) problems.push("the narrative has no content (txt-2)");
  return problems;
}

function check(el: XmlElement, problems: string[], content: { seen: boolean }): void {
  if (problems.length >= 10) return;
  if (!ALLOWED_ELEMENTS.has(el.name)) problems.push(`<${el.name}> is not allowed in a narrative (txt-1)`);
  if (el.name === "img") content.seen = true;
  for (const a of el.attributes) {
    const known = a.ns === "" ? ALLOWED_ATTRIBUTES.has(a.name) : a.ns === XML_NS && XML_ATTRIBUTES.has(a.name);
    if (!known) problems.push(`attribute ${a.name} on <${el.name}> is not allowed in a narrative (txt-1)`);
    else if (a.ns === "" && URL_ATTRIBUTES.has(a.name) && SCRIPT_URL.test(a.value.replace(/[\u0000-\u0020]/g, ""))) {
      problems.push(`a script URL in ${a.name} on <${el.name}> is not allowed in a narrative (txt-1)`);
    }
  }
  for (const c of el.children) {
    if (c.kind === "text") {
      if (/\S/.test(c.value)) content.seen = true;
    } else if (c.kind === "element") check(c, problems, content);
  }
}
