/**
 * Compiles an XML Schema document into the model of model.ts. Fail closed: every element and
 * attribute of the schema language that is not implemented is refused with XsdUnsupportedError,
 * so a schema can never be half-understood and silently validate less than it says.
 */
import { parseXml } from "../xml/parse.ts";
import type { XmlElement } from "../xml/types.ts";
import { BUILTIN_WHITESPACE, NUMERIC, STRINGLIKE } from "./datatypes.ts";
import {
  type AttributeDecl,
  type BuiltinName,
  type ComplexType,
  type ElementDecl,
  type Facets,
  type IdentityConstraint,
  type ModelGroup,
  type Particle,
  type PathStep,
  type SimpleType,
  UNBOUNDED,
  type WhiteSpace,
  XsdUnsupportedError,
} from "./model.ts";
import { translatePattern } from "./regex.ts";

export const XS = "http://www.w3.org/2001/XMLSchema";

const BUILTINS: ReadonlySet<string> = new Set(Object.keys(BUILTIN_WHITESPACE));

function kids(el: XmlElement): XmlElement[] {
  const out: XmlElement[] = [];
  for (const n of el.children) {
    if (n.kind === "element") {
      if (n.ns !== XS) throw new XsdUnsupportedError(`line ${n.line}: foreign element {${n.ns}}${n.name} in the schema`);
      if (n.name !== "annotation") out.push(n);
    } else if (n.kind === "text" && n.value.trim() !== "") {
      throw new XsdUnsupportedError(`line ${el.line}: text inside xs:${el.name}`);
    }
  }
  return out;
}

function attr(el: XmlElement, name: string): string | undefined {
  return el.attributes.find((a) => a.ns === "" && a.name === name)?.value;
}

/** Refuse any attribute of a schema component that this compiler would otherwise ignore. */
function allowOnly(el: XmlElement, allowed: readonly string[]): void {
  for (const a of el.attributes) {
    if (a.ns !== "" || !allowed.includes(a.name)) {
      throw new XsdUnsupportedError(`line ${el.line}: attribute '${a.prefix ? `${a.prefix}:` : ""}${a.name}' on xs:${el.name} is not supported`);
    }
  }
}

function occurs(el: XmlElement): { min: number; max: number } {
  const minText = attr(el, "minOccurs") ?? "1";
  const maxText = attr(el, "maxOccurs") ?? "1";
  if (!/^\d+$/.test(minText) || !(maxText === "unbounded" || /^\d+$/.test(maxText))) {
    throw new XsdUnsupportedError(`line ${el.line}: bad minOccurs/maxOccurs`);
  }
  const min = Number(minText);
  const max = maxText === "unbounded" ? UNBOUNDED : Number(maxText);
  if (max < min) throw new XsdUnsupportedError(`line ${el.line}: maxOccurs < minOccurs`);
  return { min, max };
}

function qname(el: XmlElement, value: string): { ns: string; local: string } {
  const i = value.indexOf(":");
  const prefix = i < 0 ? "" : value.slice(0, i);
  const ns = el.namespaces.get(prefix);
  if (ns === undefined && prefix !== "") throw new XsdUnsupportedError(`line ${el.line}: prefix '${prefix}' of '${value}' is not declared`);
  return { ns: ns ?? "", local: i < 0 ? value : value.slice(i + 1) };
}

class Compiler {
  readonly targetNamespace: string;
  private readonly qualifiedElements: boolean;
  private readonly qualifiedAttributes: boolean;
  private readonly namedSimple = new Map<string, XmlElement>();
  private readonly namedComplex = new Map<string, XmlElement>();
  private readonly simpleCache = new Map<string, SimpleType>();
  private readonly complexCache = new Map<string, ComplexType>();
  readonly globals: ElementDecl[] = [];

  constructor(private readonly schema: XmlElement) {
    if (schema.ns !== XS || schema.name !== "schema") throw new XsdUnsupportedError("the root element is not xs:schema");
    allowOnly(schema, ["targetNamespace", "elementFormDefault", "attributeFormDefault", "version", "id"]);
    this.targetNamespace = attr(schema, "targetNamespace") ?? "";
    this.qualifiedElements = attr(schema, "elementFormDefault") === "qualified";
    this.qualifiedAttributes = attr(schema, "attributeFormDefault") === "qualified";
    const elements: XmlElement[] = [];
    for (const k of kids(schema)) {
      const name = attr(k, "name");
      if (k.name === "simpleType" && name) this.namedSimple.set(name, k);
      else if (k.name === "complexType" && name) this.namedComplex.set(name, k);
      else if (k.name === "element" && name) elements.push(k);
      else throw new XsdUnsupportedError(`line ${k.line}: top-level xs:${k.name} is not supported`);
    }
    for (const e of elements) this.globals.push(this.element(e, true));
    // Named types nobody references still have to be understood: compile them too.
    for (const name of this.namedSimple.keys()) this.simpleByName(name);
    for (const name of this.namedComplex.keys()) this.complexByName(name);
  }

  private typeRef(el: XmlElement, value: string): SimpleType | ComplexType {
    const { ns, local } = qname(el, value);
    if (ns === XS) return this.builtin(el, local);
    if (ns !== this.targetNamespace) throw new XsdUnsupportedError(`line ${el.line}: type '${value}' is not in this schema (imports are not supported)`);
    if (this.namedSimple.has(local)) return this.simpleByName(local);
    if (this.namedComplex.has(local)) return this.complexByName(local);
    throw new XsdUnsupportedError(`line ${el.line}: type '${value}' is not defined`);
  }

  private builtin(el: XmlElement, local: string): SimpleType {
    if (!BUILTINS.has(local)) throw new XsdUnsupportedError(`line ${el.line}: built-in type xs:${local} is not supported`);
    const builtin = local as BuiltinName;
    return { kind: "simple", label: `xs:${local}`, builtin, whiteSpace: BUILTIN_WHITESPACE[builtin], facets: { patterns: [] } };
  }

  private simpleByName(name: string): SimpleType {
    let t = this.simpleCache.get(name);
    if (!t) {
      t = this.simpleType(this.namedSimple.get(name)!, name);
      this.simpleCache.set(name, t);
    }
    return t;
  }

  private complexByName(name: string): ComplexType {
    let t = this.complexCache.get(name);
    if (!t) {
      // Placeholder first, so a type may (indirectly) contain itself.
      t = { kind: "complex", label: name, content: null, attributes: [], mixed: false };
      this.complexCache.set(name, t);
      Object.assign(t, this.complexType(this.namedComplex.get(name)!, name));
    }
    return t;
  }

  private simpleType(el: XmlElement, label: string): SimpleType {
    allowOnly(el, ["name", "id"]);
    const [restriction, ...rest] = kids(el);
    if (!restriction || rest.length > 0 || restriction.name !== "restriction") {
      throw new XsdUnsupportedError(`line ${el.line}: only xs:restriction is supported in xs:simpleType`);
    }
    allowOnly(restriction, ["base", "id"]);
    const baseName = attr(restriction, "base");
    const facetEls = kids(restriction);
    let base: SimpleType;
    if (baseName) {
      const t = this.typeRef(restriction, baseName);
      if (t.kind !== "simple") throw new XsdUnsupportedError(`line ${el.line}: a simple type cannot restrict a complex type`);
      base = t;
    } else if (facetEls[0]?.name === "simpleType") {
      base = this.simpleType(facetEls.shift()!, `${label}/base`);
    } else {
      throw new XsdUnsupportedError(`line ${el.line}: xs:restriction without a base`);
    }
    return { kind: "simple", label, builtin: base.builtin, ...this.facets(facetEls, base) };
  }

  private facets(els: XmlElement[], base: SimpleType): { whiteSpace: WhiteSpace; facets: Facets } {
    const facets: Facets = { ...base.facets, patterns: [...base.facets.patterns] };
    let whiteSpace = base.whiteSpace;
    const patterns: Facets["patterns"][number] = [];
    const enumeration: string[] = [];
    for (const f of els) {
      allowOnly(f, ["value", "id", "fixed"]);
      const value = attr(f, "value");
      if (value === undefined) throw new XsdUnsupportedError(`line ${f.line}: facet xs:${f.name} without a value`);
      const count = () => {
        if (!/^\d+$/.test(value)) throw new XsdUnsupportedError(`line ${f.line}: xs:${f.name} needs a non-negative integer`);
        if (!STRINGLIKE.has(base.builtin)) throw new XsdUnsupportedError(`line ${f.line}: xs:${f.name} on ${base.label} is not supported`);
        return Number(value);
      };
      const bound = () => {
        if (!NUMERIC.has(base.builtin)) throw new XsdUnsupportedError(`line ${f.line}: xs:${f.name} on ${base.label} is not supported`);
        return value;
      };
      switch (f.name) {
        case "pattern":
          patterns.push({ source: value, regex: translatePattern(value) });
          break;
        case "enumeration":
          enumeration.push(value);
          break;
        case "length":
          facets.length = count();
          break;
        case "minLength":
          facets.minLength = count();
          break;
        case "maxLength":
          facets.maxLength = count();
          break;
        case "minInclusive":
          facets.minInclusive = bound();
          break;
        case "maxInclusive":
          facets.maxInclusive = bound();
          break;
        case "minExclusive":
          facets.minExclusive = bound();
          break;
        case "maxExclusive":
          facets.maxExclusive = bound();
          break;
        case "whiteSpace":
          if (value !== "preserve" && value !== "replace" && value !== "collapse") throw new XsdUnsupportedError(`line ${f.line}: bad whiteSpace`);
          whiteSpace = value;
          break;
        default:
          throw new XsdUnsupportedError(`line ${f.line}: facet xs:${f.name} is not supported`);
      }
    }
    if (patterns.length > 0) facets.patterns.push(patterns);
    if (enumeration.length > 0) facets.enumeration = enumeration;
    return { whiteSpace, facets };
  }

  private complexType(el: XmlElement, label: string): ComplexType {
    allowOnly(el, ["name", "mixed", "id"]);
    let content: ModelGroup | null = null;
    const attributes: AttributeDecl[] = [];
    for (const k of kids(el)) {
      if ((k.name === "sequence" || k.name === "choice") && content === null && attributes.length === 0) content = this.group(k);
      else if (k.name === "attribute") attributes.push(this.attribute(k));
      else throw new XsdUnsupportedError(`line ${k.line}: xs:${k.name} in xs:complexType is not supported`);
    }
    return { kind: "complex", label, content, attributes, mixed: attr(el, "mixed") === "true" };
  }

  private group(el: XmlElement): ModelGroup {
    allowOnly(el, ["minOccurs", "maxOccurs", "id"]);
    const particles: Particle[] = kids(el).map((k) => {
      if (k.name === "element") return this.element(k, false);
      if (k.name === "sequence" || k.name === "choice") return this.group(k);
      throw new XsdUnsupportedError(`line ${k.line}: xs:${k.name} in xs:${el.name} is not supported`);
    });
    return { kind: el.name as "sequence" | "choice", ...occurs(el), particles };
  }

  private element(el: XmlElement, global: boolean): ElementDecl {
    allowOnly(el, global ? ["name", "type", "id"] : ["name", "type", "minOccurs", "maxOccurs", "form", "id"]);
    const name = attr(el, "name");
    if (!name) throw new XsdUnsupportedError(`line ${el.line}: xs:element without a name (ref is not supported)`);
    const form = attr(el, "form");
    const qualified = global || (form ? form === "qualified" : this.qualifiedElements);
    const typeName = attr(el, "type");
    const identity: IdentityConstraint[] = [];
    let type: SimpleType | ComplexType | undefined = typeName ? this.typeRef(el, typeName) : undefined;
    for (const k of kids(el)) {
      if (k.name === "complexType" && !type) type = this.complexType(k, `${name}/type`);
      else if (k.name === "simpleType" && !type) type = this.simpleType(k, `${name}/type`);
      else if (k.name === "unique" || k.name === "key") identity.push(this.identity(k));
      else throw new XsdUnsupportedError(`line ${k.line}: xs:${k.name} in xs:element is not supported`);
    }
    // No type at all means xs:anyType, which this compiler does not implement.
    if (!type) throw new XsdUnsupportedError(`line ${el.line}: element '${name}' has no type (xs:anyType is not supported)`);
    return { kind: "element", name, ns: qualified ? this.targetNamespace : "", ...(global ? { min: 1, max: 1 } : occurs(el)), type, identity };
  }

  private attribute(el: XmlElement): AttributeDecl {
    allowOnly(el, ["name", "type", "use", "form", "id"]);
    const name = attr(el, "name");
    if (!name) throw new XsdUnsupportedError(`line ${el.line}: xs:attribute without a name (ref is not supported)`);
    const use = attr(el, "use") ?? "optional";
    if (use !== "optional" && use !== "required") throw new XsdUnsupportedError(`line ${el.line}: use='${use}' is not supported`);
    const typeName = attr(el, "type");
    const inline = kids(el);
    let type: SimpleType | ComplexType;
    if (typeName && inline.length === 0) type = this.typeRef(el, typeName);
    else if (!typeName && inline.length === 1 && inline[0]!.name === "simpleType") type = this.simpleType(inline[0]!, `@${name}/type`);
    else throw new XsdUnsupportedError(`line ${el.line}: attribute '${name}' needs exactly one simple type`);
    if (type.kind !== "simple") throw new XsdUnsupportedError(`line ${el.line}: attribute '${name}' has a complex type`);
    const form = attr(el, "form");
    const qualified = form ? form === "qualified" : this.qualifiedAttributes;
    return { name, ns: qualified ? this.targetNamespace : "", type, required: use === "required" };
  }

  private identity(el: XmlElement): IdentityConstraint {
    allowOnly(el, ["name", "id"]);
    const name = attr(el, "name");
    const parts = kids(el);
    const selector = parts.filter((p) => p.name === "selector");
    const fields = parts.filter((p) => p.name === "field");
    if (!name || selector.length !== 1 || fields.length !== 1 || parts.length !== 2) {
      throw new XsdUnsupportedError(`line ${el.line}: xs:${el.name} needs a name, one xs:selector and exactly one xs:field`);
    }
    return { kind: el.name as "unique" | "key", name, selector: this.path(selector[0]!), field: this.path(fields[0]!) };
  }

  /** Restricted XPath (XSD §3.11.6), narrowed further: child steps, `.`, and a final `@attr`. */
  private path(el: XmlElement): PathStep[] {
    allowOnly(el, ["xpath", "id"]);
    const xpath = (attr(el, "xpath") ?? "").trim();
    if (xpath === "" || /[|*]|\/\/|::/.test(xpath)) throw new XsdUnsupportedError(`line ${el.line}: xpath '${xpath}' is not supported`);
    if (xpath === ".") return [];
    const steps = xpath.split("/").map((s) => s.trim());
    return steps
      .filter((s, i) => !(s === "." && i === 0))
      .map((s, i, all) => {
        const attribute = s.startsWith("@");
        if (attribute && i !== all.length - 1) throw new XsdUnsupportedError(`line ${el.line}: xpath '${xpath}' is not supported`);
        const q = attribute ? s.slice(1) : s;
        if (q === "." || q === "") throw new XsdUnsupportedError(`line ${el.line}: xpath '${xpath}' is not supported`);
        // XPath 1.0: an unprefixed name is in no namespace, whatever the default namespace.
        const { ns, local } = q.includes(":") ? qname(el, q) : { ns: "", local: q };
        return { name: local, ns, attribute };
      });
  }
}

export interface CompiledGrammar {
  readonly targetNamespace: string;
  readonly globals: readonly ElementDecl[];
}

export function compileGrammar(xsdText: string): CompiledGrammar {
  let doc;
  try {
    doc = parseXml(xsdText);
  } catch (e) {
    throw new XsdUnsupportedError(`the schema is not well-formed XML: ${(e as Error).message}`);
  }
  const c = new Compiler(doc.root);
  return { targetNamespace: c.targetNamespace, globals: c.globals };
}
