/**
 * A strict, non-validating XML 1.0 (5th ed.) + Namespaces 1.0 parser for lists, reports and schemas.
 *
 * Why not txml (the card's parser): txml is lenient by design. Measured with txml 6.0.3 it accepts
 * `<a><b>` (unclosed), `<a b="1" b="2"/>` (duplicate attribute), `<a b=1/>` (unquoted), `&bogus;`
 * (undefined entity) and a DOCTYPE with entity declarations. SPEC L-9 requires such input to be
 * rejected, and proving well-formedness is most of the work of building the tree, so this scanner
 * does both in one linear pass.
 *
 * Security: any `<!DOCTYPE` is refused (no DTD processing: no external entities, no entity
 * expansion); depth and node count are bounded.
 */
import { XmlSyntaxError, type XmlAttribute, type XmlDocument, type XmlElement, type XmlNode, type XmlProcessingInstruction } from "./types.ts";

export interface ParseLimits {
  readonly maxDepth?: number;
  readonly maxNodes?: number;
  /**
   * Namespace bindings in scope around the document: set when the text is a fragment cut from a larger
   * document, such as a decrypted SAML assertion read in the context of its EncryptedAssertion.
   */
  readonly namespaces?: ReadonlyMap<string, string>;
}

const XML_NS = "http://www.w3.org/XML/1998/namespace";
const XMLNS_NS = "http://www.w3.org/2000/xmlns/";

// XML 1.0 5th edition NameStartChar / NameChar (without ':' — names are split into QName parts).
const NCNAME_START = "A-Z_a-z\\u00C0-\\u00D6\\u00D8-\\u00F6\\u00F8-\\u02FF\\u0370-\\u037D\\u037F-\\u1FFF\\u200C-\\u200D\\u2070-\\u218F\\u2C00-\\u2FEF\\u3001-\\uD7FF\\uF900-\\uFDCF\\uFDF0-\\uFFFD\\u{10000}-\\u{EFFFF}";
const NCNAME_CHAR = `${NCNAME_START}\\-.0-9\\u00B7\\u0300-\\u036F\\u203F-\\u2040`;
const NCNAME = new RegExp(`^[${NCNAME_START}][${NCNAME_CHAR}]*$`, "u");
const NAME_AT = new RegExp(`[${NCNAME_START}:][${NCNAME_CHAR}:]*`, "uy");
/** Characters XML 1.0 forbids anywhere: C0 controls other than TAB/LF/CR, U+FFFE/U+FFFF, lone surrogates (matched as UTF-16 code units). */
const ILLEGAL_CHAR = /[\u0000-\u0008\u000B\u000C\u000E-\u001F\uFFFE\uFFFF]|[\uD800-\uDBFF](?![\uDC00-\uDFFF])|(?<![\uD800-\uDBFF])[\uDC00-\uDFFF]/g;
/** A cheap first pass: one character class, no look-around; only a hit (any surrogate included) needs ILLEGAL_CHAR. */
const SUSPECT_CHAR = /[\u0000-\u0008\u000B\u000C\u000E-\u001F\uFFFE\uFFFF\uD800-\uDFFF]/g;
const XML_DECL = /^<\?xml\s+version\s*=\s*(["'])1\.[0-9]+\1(\s+encoding\s*=\s*(["'])[A-Za-z][A-Za-z0-9._-]*\3)?(\s+standalone\s*=\s*(["'])(yes|no)\5)?\s*\?>/;
/** Attribute-value characters needing no special handling (the quote, '<', '&' and the normalised TAB/LF do). */
const ATTR_RUN_DQ = /[^"<&\t\n]+/y;
const ATTR_RUN_SQ = /[^'<&\t\n]+/y;
const PREDEFINED: Readonly<Record<string, string>> = { lt: "<", gt: ">", amp: "&", apos: "'", quot: '"' };

type NsScope = ReadonlyMap<string, string>;

interface Open {
  readonly qname: string;
  readonly prefix: string;
  readonly local: string;
  readonly rawAttributes: readonly [string, string][];
  readonly scope: NsScope;
  readonly children: XmlNode[];
  readonly line: number;
  text: string;
}

class Scanner {
  pos = 0;
  private lineAt = 0;
  private line = 1;
  nodes = 0;

  constructor(
    readonly s: string,
    readonly limits: Required<Omit<ParseLimits, "namespaces">>,
  ) {}

  /** 1-based line of `pos`, advanced incrementally (total cost linear in the input). */
  lineOf(pos: number): number {
    if (pos < this.lineAt) {
      this.lineAt = 0;
      this.line = 1;
    }
    for (let i = this.s.indexOf("\n", this.lineAt); i >= 0 && i < pos; i = this.s.indexOf("\n", i + 1)) this.line++;
    this.lineAt = pos;
    return this.line;
  }

  fail(message: string, at = this.pos): never {
    const line = this.lineOf(at);
    const col = at - this.s.lastIndexOf("\n", at - 1);
    throw new XmlSyntaxError(message, line, col);
  }

  startsWith(t: string): boolean {
    return this.s.startsWith(t, this.pos);
  }

  skipSpace(): boolean {
    const start = this.pos;
    while (this.pos < this.s.length) {
      const c = this.s.charCodeAt(this.pos);
      if (c !== 0x20 && c !== 0x09 && c !== 0x0a && c !== 0x0d) break;
      this.pos++;
    }
    return this.pos > start;
  }

  name(): string {
    NAME_AT.lastIndex = this.pos;
    const m = NAME_AT.exec(this.s);
    if (!m) this.fail("a name was expected");
    this.pos += m[0].length;
    return m[0];
  }

  expect(t: string, what = `'${t}'`): void {
    if (!this.startsWith(t)) this.fail(`${what} was expected`);
    this.pos += t.length;
  }

  count(): void {
    if (++this.nodes > this.limits.maxNodes) this.fail(`more than ${this.limits.maxNodes} nodes`);
  }
}

/** `&...;` at s.pos: returns the replacement text. Only the predefined entities and character references exist. */
function reference(sc: Scanner): string {
  const start = sc.pos;
  const end = sc.s.indexOf(";", start);
  if (end < 0 || end - start > 12) sc.fail("a reference must end with ';'", start);
  const body = sc.s.slice(start + 1, end);
  sc.pos = end + 1;
  if (body.startsWith("#")) {
    const cp = /^#x[0-9A-Fa-f]+$/.test(body) ? parseInt(body.slice(2), 16) : /^#[0-9]+$/.test(body) ? parseInt(body.slice(1), 10) : NaN;
    const legal = cp === 0x9 || cp === 0xa || cp === 0xd || (cp >= 0x20 && cp <= 0xd7ff) || (cp >= 0xe000 && cp <= 0xfffd) || (cp >= 0x10000 && cp <= 0x10ffff);
    if (!legal) sc.fail(`'&${body};' is not a legal character reference`, start);
    return String.fromCodePoint(cp);
  }
  const v = PREDEFINED[body];
  if (v === undefined) sc.fail(`entity '${body}' is not defined`, start);
  return v;
}

function attributeValue(sc: Scanner): string {
  const quote = sc.s[sc.pos];
  if (quote !== '"' && quote !== "'") sc.fail("attribute value must be quoted");
  sc.pos++;
  const run = quote === '"' ? ATTR_RUN_DQ : ATTR_RUN_SQ;
  let out = "";
  for (;;) {
    // Plain characters are copied a run at a time: a 1 MB base64 value costs one slice, not a million appends.
    run.lastIndex = sc.pos;
    const plain = run.exec(sc.s);
    if (plain !== null) {
      out += plain[0];
      sc.pos += plain[0].length;
    }
    if (sc.pos >= sc.s.length) sc.fail("unterminated attribute value");
    const ch = sc.s[sc.pos]!;
    if (ch === quote) break;
    if (ch === "<") sc.fail("'<' is not allowed in an attribute value");
    if (ch === "&") {
      out += reference(sc);
      continue;
    }
    // §3.3.3 attribute-value normalisation for CDATA attributes (no DTD: all are CDATA).
    out += ch === "\t" || ch === "\n" ? " " : ch;
    sc.pos++;
  }
  sc.pos++;
  return out;
}

function comment(sc: Scanner): void {
  const end = sc.s.indexOf("--", sc.pos + 4);
  if (end < 0) sc.fail("unterminated comment");
  if (sc.s[end + 2] !== ">") sc.fail("'--' is not allowed inside a comment", end);
  sc.pos = end + 3;
}

function processingInstruction(sc: Scanner): XmlProcessingInstruction {
  const start = sc.pos;
  sc.pos += 2;
  const target = sc.name();
  if (target.toLowerCase() === "xml") sc.fail("the XML declaration is only allowed at the very start", start);
  if (target.includes(":")) sc.fail("a processing-instruction target cannot contain ':'", start);
  const end = sc.s.indexOf("?>", sc.pos);
  if (end < 0) sc.fail("unterminated processing instruction", start);
  if (end > sc.pos && !sc.skipSpace()) sc.fail("space expected after the processing-instruction target");
  const data = sc.s.slice(sc.pos, end);
  sc.pos = end + 2;
  return { kind: "pi", target, data };
}

/** Comments, PIs and white space outside the root element. */
function misc(sc: Scanner): void {
  for (;;) {
    sc.skipSpace();
    if (sc.startsWith("<!--")) comment(sc);
    else if (sc.startsWith("<?")) processingInstruction(sc);
    else return;
  }
}

function splitQName(sc: Scanner, qname: string, at: number): [string, string] {
  const i = qname.indexOf(":");
  if (i < 0) return ["", qname];
  const prefix = qname.slice(0, i);
  const local = qname.slice(i + 1);
  if (!NCNAME.test(prefix) || !NCNAME.test(local)) sc.fail(`'${qname}' is not a valid qualified name`, at);
  return [prefix, local];
}

/** Namespaces 1.0 §3: new bindings of an element, checked for the reserved prefixes. */
function declareNamespaces(sc: Scanner, parent: NsScope, raw: readonly [string, string][], at: number): NsScope {
  let scope: Map<string, string> | undefined;
  const bind = (prefix: string, uri: string) => {
    scope ??= new Map(parent);
    scope.set(prefix, uri);
  };
  for (const [name, value] of raw) {
    if (name === "xmlns") {
      if (value === XML_NS || value === XMLNS_NS) sc.fail(`'${value}' cannot be the default namespace`, at);
      bind("", value);
    } else if (name.startsWith("xmlns:")) {
      const prefix = name.slice(6);
      if (!NCNAME.test(prefix)) sc.fail(`'${name}' is not a valid namespace declaration`, at);
      if (prefix === "xmlns") sc.fail("the prefix 'xmlns' cannot be declared", at);
      if (prefix === "xml" ? value !== XML_NS : value === XML_NS || value === XMLNS_NS) sc.fail(`prefix '${prefix}' cannot be bound to '${value}'`, at);
      if (value === "") sc.fail(`prefix '${prefix}' cannot be undeclared in XML Namespaces 1.0`, at);
      bind(prefix, value);
    }
  }
  return scope ?? parent;
}

function resolve(sc: Scanner, scope: NsScope, prefix: string, at: number): string {
  if (prefix === "xml") return XML_NS;
  const uri = scope.get(prefix);
  if (uri === undefined) {
    if (prefix === "") return "";
    sc.fail(`namespace prefix '${prefix}' is not declared`, at);
  }
  return uri;
}

function finishElement(sc: Scanner, open: Open, at: number): XmlElement {
  const attributes: XmlAttribute[] = [];
  const seen = new Set<string>();
  for (const [name, value] of open.rawAttributes) {
    if (name === "xmlns" || name.startsWith("xmlns:")) continue;
    const [prefix, local] = splitQName(sc, name, at);
    const ns = prefix === "" ? "" : resolve(sc, open.scope, prefix, at);
    const key = `{${ns}}${local}`;
    if (seen.has(key)) sc.fail(`attribute '${name}' is repeated (same namespace and local name)`, at);
    seen.add(key);
    attributes.push({ name: local, ns, prefix, value });
  }
  flushText(open);
  return {
    kind: "element",
    name: open.local,
    ns: resolve(sc, open.scope, open.prefix, at),
    prefix: open.prefix,
    attributes,
    children: open.children,
    line: open.line,
    namespaces: open.scope,
  };
}

function flushText(open: Open): void {
  if (open.text !== "") {
    open.children.push({ kind: "text", value: open.text });
    open.text = "";
  }
}

function startTag(sc: Scanner, parentScope: NsScope): { open: Open; empty: boolean } {
  const at = sc.pos;
  const line = sc.lineOf(at);
  sc.pos++;
  const qname = sc.name();
  const [prefix, local] = splitQName(sc, qname, at);
  const rawAttributes: [string, string][] = [];
  const names = new Set<string>();
  for (;;) {
    const hadSpace = sc.skipSpace();
    if (sc.startsWith("/>") || sc.startsWith(">")) break;
    if (!hadSpace) sc.fail("space expected between attributes");
    const name = sc.name();
    if (names.has(name)) sc.fail(`attribute '${name}' is repeated`);
    names.add(name);
    sc.skipSpace();
    sc.expect("=");
    sc.skipSpace();
    rawAttributes.push([name, attributeValue(sc)]);
  }
  const empty = sc.startsWith("/>");
  sc.pos += empty ? 2 : 1;
  const scope = declareNamespaces(sc, parentScope, rawAttributes, at);
  return { open: { qname, prefix, local, rawAttributes, scope, children: [], line, text: "" }, empty };
}

function element(sc: Scanner, rootScope: NsScope): XmlElement {
  const stack: Open[] = [];
  const first = startTag(sc, rootScope);
  sc.count();
  if (first.empty) return finishElement(sc, first.open, sc.pos);
  stack.push(first.open);
  // The next '&' is searched for again only once the scanner has passed it (-1: there is none left), so a document
  // without references is not rescanned to its end at every tag.
  let amp = -2;
  while (stack.length > 0) {
    const top = stack[stack.length - 1]!;
    const lt = sc.s.indexOf("<", sc.pos);
    if (amp !== -1 && amp < sc.pos) amp = sc.s.indexOf("&", sc.pos);
    const stop = lt < 0 ? sc.s.length : lt;
    if (amp >= 0 && amp < stop) {
      top.text += charData(sc, sc.s.slice(sc.pos, amp));
      sc.pos = amp;
      top.text += reference(sc);
      continue;
    }
    if (lt < 0) sc.fail(`element '${top.qname}' is not closed`, sc.s.length);
    top.text += charData(sc, sc.s.slice(sc.pos, lt));
    sc.pos = lt;
    if (sc.startsWith("</")) {
      const at = sc.pos;
      sc.pos += 2;
      const qname = sc.name();
      if (qname !== top.qname) sc.fail(`end tag '${qname}' does not match start tag '${top.qname}'`, at);
      sc.skipSpace();
      sc.expect(">");
      stack.pop();
      const done = finishElement(sc, top, at);
      if (stack.length === 0) return done;
      const parent = stack[stack.length - 1]!;
      flushText(parent);
      parent.children.push(done);
    } else if (sc.startsWith("<!--")) {
      comment(sc);
    } else if (sc.startsWith("<![CDATA[")) {
      const end = sc.s.indexOf("]]>", sc.pos + 9);
      if (end < 0) sc.fail("unterminated CDATA section");
      top.text += sc.s.slice(sc.pos + 9, end);
      sc.pos = end + 3;
    } else if (sc.startsWith("<?")) {
      // Kept in the tree: canonical XML renders processing instructions inside an element (C14N §2.3).
      const pi = processingInstruction(sc);
      flushText(top);
      top.children.push(pi);
    } else if (sc.startsWith("<!")) {
      sc.fail("markup declarations are not allowed here");
    } else {
      const next = startTag(sc, top.scope);
      sc.count();
      if (next.empty) {
        flushText(top);
        top.children.push(finishElement(sc, next.open, sc.pos));
      } else {
        if (stack.length >= sc.limits.maxDepth) sc.fail(`elements nested deeper than ${sc.limits.maxDepth}`);
        stack.push(next.open);
      }
    }
  }
  return sc.fail("unreachable");
}

function charData(sc: Scanner, text: string): string {
  const bad = text.indexOf("]]>");
  if (bad >= 0) sc.fail("']]>' is not allowed in character data", sc.pos + bad);
  return text;
}

/** The first character XML forbids, or null. Linear; the full check starts only at the first suspect character. */
function firstIllegalChar(s: string): RegExpExecArray | null {
  SUSPECT_CHAR.lastIndex = 0;
  const suspect = SUSPECT_CHAR.exec(s);
  if (suspect === null) return null;
  ILLEGAL_CHAR.lastIndex = suspect.index;
  return ILLEGAL_CHAR.exec(s);
}

export function parseXml(input: string, limits: ParseLimits = {}): XmlDocument {
  // §2.11: line ends are normalised before parsing.
  let s = input.replace(/\r\n?/g, "\n");
  if (s.charCodeAt(0) === 0xfeff) s = s.slice(1);
  const sc = new Scanner(s, { maxDepth: limits.maxDepth ?? 64, maxNodes: limits.maxNodes ?? 200_000 });
  const illegal = firstIllegalChar(s);
  if (illegal) sc.fail(`character U+${illegal[0].charCodeAt(0).toString(16).toUpperCase().padStart(4, "0")} is not allowed in XML`, illegal.index);
  if (sc.startsWith("<?xml") && /^<\?xml[\s?]/.test(s)) {
    const decl = XML_DECL.exec(s);
    if (decl === null) return sc.fail("malformed XML declaration");
    const encoding = /encoding\s*=\s*["']([^"']+)/.exec(decl[0])?.[1];
    // The caller decoded the bytes as UTF-8; a document claiming another encoding was mis-read.
    if (encoding && !/^utf-?8$/i.test(encoding)) sc.fail(`encoding '${encoding}' is not supported (UTF-8 only)`);
    sc.pos = decl[0].length;
  }
  misc(sc);
  if (sc.startsWith("<!DOCTYPE") || sc.startsWith("<!doctype")) sc.fail("document type declarations are not allowed (no DTD processing)");
  if (!sc.startsWith("<") || sc.startsWith("<!")) sc.fail(sc.pos >= s.length ? "no root element" : "the root element was expected");
  const root = element(sc, limits.namespaces ?? new Map());
  misc(sc);
  if (sc.pos < s.length) sc.fail(sc.startsWith("<") ? "only one root element is allowed" : "content after the root element");
  return { root };
}
