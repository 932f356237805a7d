/**
 * The compiled form of an XML Schema (the subset this project uses; compile.ts refuses the rest).
 */

export class XsdUnsupportedError extends Error {
  override readonly name = "XsdUnsupportedError";
}

export type BuiltinName =
  | "string"
  | "normalizedString"
  | "token"
  | "dateTime"
  | "date"
  | "integer"
  | "positiveInteger"
  | "nonNegativeInteger"
  | "boolean"
  | "anyURI"
  | "decimal";

export type WhiteSpace = "preserve" | "replace" | "collapse";

export interface Facets {
  length?: number;
  minLength?: number;
  maxLength?: number;
  /** One entry per derivation step; all steps must match, any pattern within a step may (XSD §4.3.4). */
  patterns: { source: string; regex: RegExp }[][];
  enumeration?: string[];
  minInclusive?: string;
  maxInclusive?: string;
  minExclusive?: string;
  maxExclusive?: string;
}

export interface SimpleType {
  readonly kind: "simple";
  /** For messages: the type's own name or its built-in base. */
  readonly label: string;
  readonly builtin: BuiltinName;
  readonly whiteSpace: WhiteSpace;
  readonly facets: Facets;
}

export interface AttributeDecl {
  readonly name: string;
  readonly ns: string;
  readonly type: SimpleType;
  readonly required: boolean;
}

export interface ElementDecl {
  readonly kind: "element";
  readonly name: string;
  readonly ns: string;
  readonly min: number;
  readonly max: number;
  /** Resolved after all named types are known (types may be referenced before they are declared). */
  type: SimpleType | ComplexType;
  readonly identity: readonly IdentityConstraint[];
}

export interface ModelGroup {
  readonly kind: "sequence" | "choice";
  readonly min: number;
  readonly max: number;
  readonly particles: readonly Particle[];
}

export type Particle = ElementDecl | ModelGroup;

export interface ComplexType {
  readonly kind: "complex";
  readonly label: string;
  /** null: empty content. */
  readonly content: ModelGroup | null;
  readonly attributes: readonly AttributeDecl[];
  readonly mixed: boolean;
}

/** A restricted XPath step: `a/b`, `.`, `@attr`, names in a namespace. */
export interface PathStep {
  readonly name: string;
  readonly ns: string;
  readonly attribute: boolean;
}

export interface IdentityConstraint {
  readonly kind: "unique" | "key";
  readonly name: string;
  readonly selector: readonly PathStep[];
  readonly field: readonly PathStep[];
}

export const UNBOUNDED = Number.POSITIVE_INFINITY;
