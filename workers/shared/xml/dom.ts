/**
 * Namespace-aware reading of the scanner's tree, for messages from other parties (SAML, XML-DSig,
 * XML-Enc) that no XSD vouched for: every lookup names the namespace, and "exactly one" is checked
 * where a message must hold exactly one element, so a duplicated or smuggled element is noticed.
 */
import type { XmlElement } from "./types.ts";

export class XmlShapeError extends Error {
  override readonly name = "XmlShapeError";
}

export function elementChildren(el: XmlElement): XmlElement[] {
  const out: XmlElement[] = [];
  for (const n of el.children) if (n.kind === "element") out.push(n);
  return out;
}

export function childrenNamed(el: XmlElement, ns: string, name: string): XmlElement[] {
  return elementChildren(el).filter((c) => c.ns === ns && c.name === name);
}

/** The one child `{ns}name`; throws when there is none or more than one. */
export function onlyChild(el: XmlElement, ns: string, name: string): XmlElement {
  const found = childrenNamed(el, ns, name);
  if (found.length !== 1) throw new XmlShapeError(`${el.name} must hold exactly one ${name} (found ${found.length})`);
  return found[0]!;
}

/** The child `{ns}name` if present once, undefined if absent; throws when repeated. */
export function optionalChild(el: XmlElement, ns: string, name: string): XmlElement | undefined {
  const found = childrenNamed(el, ns, name);
  if (found.length > 1) throw new XmlShapeError(`${el.name} holds ${name} more than once`);
  return found[0];
}

/** An unqualified attribute (SAML's ID, Version, ...). */
export function attribute(el: XmlElement, name: string, ns = ""): string | undefined {
  return el.attributes.find((a) => a.name === name && a.ns === ns)?.value;
}

export function requiredAttribute(el: XmlElement, name: string): string {
  const v = attribute(el, name);
  if (v === undefined) throw new XmlShapeError(`${el.name} has no ${name} attribute`);
  return v;
}

/** Text content of an element that must hold only text (no child elements). */
export function textOnly(el: XmlElement): string {
  let s = "";
  for (const n of el.children) {
    if (n.kind === "element") throw new XmlShapeError(`${el.name} must hold text only`);
    if (n.kind === "text") s += n.value;
  }
  return s;
}

/** Every element of the tree in document order. */
export function* descendants(el: XmlElement): Generator<XmlElement> {
  yield el;
  for (const n of el.children) if (n.kind === "element") yield* descendants(n);
}
