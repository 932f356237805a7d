/**
 * Reading helpers for list documents that already passed their XSD: the schema guarantees the
 * shape, so these only pick children by local name and read text.
 */
import type { XmlElement } from "../xml/types.ts";

export function childElements(parent: XmlElement, name: string): XmlElement[] {
  const out: XmlElement[] = [];
  for (const node of parent.children) if (node.kind === "element" && node.name === name) out.push(node);
  return out;
}

export function child(parent: XmlElement, name: string): XmlElement | undefined {
  for (const node of parent.children) if (node.kind === "element" && node.name === name) return node;
  return undefined;
}

/** Text content of a simple-typed element, trimmed (the list XSDs use no significant edge whitespace). */
export function textOf(el: XmlElement | undefined): string {
  if (!el) return "";
  let s = "";
  for (const node of el.children) if (node.kind === "text") s += node.value;
  return s.trim();
}

export function childText(parent: XmlElement, name: string): string {
  return textOf(child(parent, name));
}

/** `Outer/Inner` pairs such as `Gegevensdiensten/Gegevensdienst`. */
export function nested(parent: XmlElement, outer: string, inner: string): XmlElement[] {
  const o = child(parent, outer);
  return o ? childElements(o, inner) : [];
}
