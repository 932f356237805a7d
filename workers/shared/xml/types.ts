/**
 * The XML tree the project works with: elements with resolved namespaces, text as strings.
 * Produced by `parseXml` (xml/parse.ts) only after the input proved well-formed and
 * namespace-well-formed; consumed by the XSD validator (xsd/) and the list readers (lists/).
 */
export interface XmlAttribute {
  /** Local name, without prefix. */
  readonly name: string;
  /** Namespace URI, "" for unprefixed attributes (XML Namespaces §6.2: no default namespace). */
  readonly ns: string;
  /** Prefix as written, "" when none. Kept for messages only. */
  readonly prefix: string;
  /** Value with entity and character references decoded. */
  readonly value: string;
}

export interface XmlElement {
  readonly kind: "element";
  /** Local name, without prefix. */
  readonly name: string;
  /** Namespace URI ("" when the element is in no namespace). */
  readonly ns: string;
  readonly prefix: string;
  /** Attributes other than namespace declarations (xmlns, xmlns:*). */
  readonly attributes: readonly XmlAttribute[];
  readonly children: readonly XmlNode[];
  /** 1-based line of the start tag, for error messages. */
  readonly line: number;
  /** Prefix -> namespace URI in scope here ("" = default namespace); resolves QName-valued content such as XSD `type="zal:Foo"`. */
  readonly namespaces: ReadonlyMap<string, string>;
}

export interface XmlText {
  readonly kind: "text";
  /** Decoded character data (CDATA sections included as plain text). */
  readonly value: string;
}

/** A processing instruction inside the root element (those outside it are not kept). */
export interface XmlProcessingInstruction {
  readonly kind: "pi";
  readonly target: string;
  /** Everything between the white space after the target and `?>`. */
  readonly data: string;
}

export type XmlNode = XmlElement | XmlText | XmlProcessingInstruction;

export interface XmlDocument {
  readonly root: XmlElement;
}

/** Thrown for input that is not well-formed XML 1.0 + Namespaces, or that breaks a safety limit. */
export class XmlSyntaxError extends Error {
  override readonly name = "XmlSyntaxError";
  constructor(
    message: string,
    readonly line: number,
    readonly column: number,
  ) {
    super(`${message} (line ${line}, column ${column})`);
  }
}
