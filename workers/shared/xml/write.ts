/**
 * A small XML writer for documents this project produces (derived list releases, the
 * Portabiliteitsrapport). Escapes all character data; output is UTF-8 text with an XML declaration.
 */
export interface XmlOut {
  readonly name: string;
  readonly attributes?: Readonly<Record<string, string>>;
  readonly children?: readonly (XmlOut | string)[];
}

const TEXT_ESCAPES: Readonly<Record<string, string>> = { "&": "&amp;", "<": "&lt;", ">": "&gt;" };
const ATTR_ESCAPES: Readonly<Record<string, string>> = { ...TEXT_ESCAPES, '"': "&quot;", "\t": "&#9;", "\n": "&#10;", "\r": "&#13;" };

export function escapeText(s: string): string {
  return s.replace(/[&<>]/g, (c) => TEXT_ESCAPES[c]!);
}

export function escapeAttribute(s: string): string {
  return s.replace(/[&<>"\t\n\r]/g, (c) => ATTR_ESCAPES[c]!);
}

/** Element-only content is indented; an element whose only child is text stays on one line. */
export function writeXml(root: XmlOut): string {
  const lines: string[] = ['<?xml version="1.0" encoding="UTF-8"?>'];
  writeElement(root, 0, lines);
  return lines.join("\n") + "\n";
}

function writeElement(el: XmlOut, depth: number, lines: string[]): void {
  const pad = "    ".repeat(depth);
  let open = `<${el.name}`;
  for (const [k, v] of Object.entries(el.attributes ?? {})) open += ` ${k}="${escapeAttribute(v)}"`;
  const children = el.children ?? [];
  if (children.length === 0) {
    lines.push(`${pad}${open}/>`);
  } else if (children.every((c) => typeof c === "string")) {
    lines.push(`${pad}${open}>${escapeText(children.join(""))}</${el.name}>`);
  } else {
    lines.push(`${pad}${open}>`);
    for (const c of children) {
      if (typeof c === "string") lines.push(`${pad}    ${escapeText(c)}`);
      else writeElement(c, depth + 1, lines);
    }
    lines.push(`${pad}</${el.name}>`);
  }
}

/** Shorthand for building `XmlOut` trees: `x("Hostname", host)`, `x("Nodes", [x(...), ...])`. */
export function x(name: string, content?: string | readonly (XmlOut | string)[], attributes?: Record<string, string>): XmlOut {
  const children = content === undefined ? [] : typeof content === "string" ? [content] : content;
  return attributes ? { name, children, attributes } : { name, children };
}
