/**
 * The FHIR STU3 structure model: every resource, data type and backbone element with its elements in definition
 * order (which is also the XML element order), read from the generated tables in definitions/structure.gen.ts.
 *
 * Lookups are Maps built lazily per type, so an element name taken from input (`__proto__`, `constructor`) can never
 * reach an object prototype: it is simply not found.
 */
import { BASE_ELEMENTS, CODE_SETS, PRIMITIVE_TYPES, TYPES, type ElementRow, type TypeRow } from "./definitions/structure.gen.ts";

export type TypeKind = "primitive" | "datatype" | "backbone" | "resource";
export type BaseName = "Element" | "BackboneElement" | "Resource" | "DomainResource";

/** How an element's value is represented, which decides both the JSON and the XML form. */
export type ValueKind =
  /** a primitive: JSON string/number/boolean with a `_name` companion; XML `value` attribute */
  | "primitive"
  /** a data type or backbone element: a JSON object; an XML element with children */
  | "complex"
  /** any resource: a JSON object with `resourceType`; in XML wrapped in an element named by the resource type */
  | "resource"
  /** Narrative.div: a JSON string holding XHTML; XML in the XHTML namespace */
  | "xhtml";

export interface PrimitiveType {
  readonly name: string;
  readonly json: "string" | "number" | "boolean";
  /** Matches the whole lexical value; undefined when the type has none (boolean, base64Binary, xhtml). */
  readonly pattern: RegExp | undefined;
}

export interface ElementInfo {
  /** The JSON property name, which is also the XML element name: `valueQuantity`, not `value[x]`. */
  readonly name: string;
  /** A primitive type, a data type, a backbone definition name (`Observation_Component`), `Resource` or `xhtml`. */
  readonly type: string;
  readonly kind: ValueKind;
  readonly repeats: boolean;
  /** Minimum cardinality 1 (from the schema's `required`). A choice group's minimum is not in the schema. */
  readonly required: boolean;
  /** The choice group (`value` for `valueQuantity`), undefined for a plain element. */
  readonly choice: string | undefined;
  /** Required-binding codes, undefined when the element has none. */
  readonly codes: ReadonlySet<string> | undefined;
  /** Position in definition order; the variants of one choice group share it. */
  readonly order: number;
  /** Whether JSON may carry a `_name` companion (id/extensions of a primitive). Not for ids, Extension.url... see below. */
  readonly companion: boolean;
  /** Represented as an XML attribute of the parent: Element.id and Extension.url (STU3 xml.html). */
  readonly xmlAttribute: boolean;
}

export interface TypeDefinition {
  readonly name: string;
  readonly kind: TypeKind;
  /** The abstract base whose elements come first; undefined for primitives and for Element itself. */
  readonly base: BaseName | undefined;
  /** Every element, inherited ones first, in definition order. Empty for primitives. */
  readonly elements: readonly ElementInfo[];
  /** Set for primitive types. */
  readonly primitive: PrimitiveType | undefined;
}

interface BuiltType extends TypeDefinition {
  readonly byName: ReadonlyMap<string, ElementInfo>;
  readonly choices: ReadonlyMap<string, readonly ElementInfo[]>;
}

const REPEATS = 1;
const REQUIRED = 2;

const primitives: ReadonlyMap<string, PrimitiveType> = new Map(
  PRIMITIVE_TYPES.map(([name, row]) => [name, { name, json: row.json, pattern: row.pattern === undefined ? undefined : new RegExp(`^(?:${row.pattern})$`) }]),
);
const rows: ReadonlyMap<string, TypeRow> = new Map(TYPES.map((t) => [t.name, t]));
const built = new Map<string, BuiltType>();
const codeSets = new Map<number, ReadonlySet<string>>();

/** Every data type, backbone element and resource (primitives aside), in the schema's order. */
export const typeNames: readonly string[] = TYPES.map((t) => t.name);

/** Every resource type, in the schema's (alphabetical) order. */
export const resourceTypes: readonly string[] = TYPES.filter((t) => t.kind === "resource").map((t) => t.name);
const resourceTypeSet: ReadonlySet<string> = new Set(resourceTypes);

export function isResourceType(name: string): boolean {
  return resourceTypeSet.has(name);
}

export function isPrimitiveType(name: string): boolean {
  return primitives.has(name);
}

export function primitiveType(name: string): PrimitiveType | undefined {
  return primitives.get(name);
}

/** A resource, data type, backbone element or primitive by name; undefined for unknown names and for `Resource`. */
export function typeDefinition(name: string): TypeDefinition | undefined {
  return build(name);
}

/** The element of a type by its JSON name; expanded choice names (`valueQuantity`) resolve to their variant. */
export function element(typeName: string, jsonName: string): ElementInfo | undefined {
  return build(typeName)?.byName.get(jsonName);
}

export function elementsInOrder(typeName: string): readonly ElementInfo[] {
  return build(typeName)?.elements ?? [];
}

/** The variants of a choice group (`choiceVariants("Observation", "value")`), empty when there is no such group. */
export function choiceVariants(typeName: string, group: string): readonly ElementInfo[] {
  return build(typeName)?.choices.get(group) ?? [];
}

/**
 * The definition of a backbone element: `backboneDefinition("Observation", "component")` is `Observation_Component`.
 * The schema names backbone types after their path but not always (`CodeSystem_Property1`), so the element's type
 * is the only reliable way there.
 */
export function backboneDefinition(typeName: string, jsonName: string): TypeDefinition | undefined {
  const el = element(typeName, jsonName);
  if (el === undefined || el.kind !== "complex") return undefined;
  const def = build(el.type);
  return def?.kind === "backbone" ? def : undefined;
}

function build(name: string): BuiltType | undefined {
  const cached = built.get(name);
  if (cached !== undefined) return cached;
  const prim = primitives.get(name);
  const row = rows.get(name);
  let type: BuiltType;
  if (prim !== undefined) {
    type = { name, kind: "primitive", base: undefined, elements: [], primitive: prim, byName: new Map(), choices: new Map() };
  } else if (row !== undefined) {
    type = buildComplex(row);
  } else {
    return undefined;
  }
  built.set(name, type);
  return type;
}

function buildComplex(row: TypeRow): BuiltType {
  const base = row.base === "" ? undefined : row.base;
  const source: readonly ElementRow[] = base === undefined ? row.elements : [...BASE_ELEMENTS[base], ...row.elements];
  const elements: ElementInfo[] = [];
  const byName = new Map<string, ElementInfo>();
  const choices = new Map<string, ElementInfo[]>();
  let order = -1;
  let lastChoice: string | undefined;
  for (const [index, [name, type, flags = 0, choice = "", codeSet = -1]] of source.entries()) {
    const group = choice === "" ? undefined : choice;
    if (group === undefined || group !== lastChoice) order++;
    lastChoice = group;
    // The bases' ids are plain values (Resource.id is an element without a companion in the schema; Element.id is
    // an XML attribute); Extension.url is an XML attribute too, so it cannot carry extensions either.
    const inBase = base !== undefined && index < BASE_ELEMENTS[base].length;
    const isId = name === "id" && (inBase || row.name === "Element");
    const xmlAttribute = (isId && type === "string") || (row.name === "Extension" && name === "url");
    const kind: ValueKind = type === "xhtml" ? "xhtml" : type === "Resource" ? "resource" : primitives.has(type) ? "primitive" : "complex";
    const info: ElementInfo = {
      name,
      type,
      kind,
      repeats: (flags & REPEATS) !== 0,
      required: (flags & REQUIRED) !== 0,
      choice: group,
      codes: codeSet < 0 ? undefined : codes(codeSet),
      order,
      companion: kind === "primitive" && !isId && !xmlAttribute,
      xmlAttribute,
    };
    elements.push(info);
    byName.set(name, info);
    if (group !== undefined) {
      const list = choices.get(group) ?? [];
      list.push(info);
      choices.set(group, list);
    }
  }
  return { name: row.name, kind: row.kind, base, elements, primitive: undefined, byName, choices };
}

function codes(index: number): ReadonlySet<string> {
  let set = codeSets.get(index);
  if (set === undefined) {
    const list = CODE_SETS[index];
    if (list === undefined) throw new Error(`structure.gen.ts: no code set ${index}`);
    set = new Set(list);
    codeSets.set(index, set);
  }
  return set;
}
