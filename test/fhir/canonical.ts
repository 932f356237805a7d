/**
 * Comparisons for the FHIR format tests (workerd and Deno): XML trees compared canonically, JSON compared with kept
 * decimals and narrative strings normalised; and the date placeholders of Nictiz's fixtures filled in.
 */
import { parseXml } from "../../workers/shared/xml/parse.ts";
import type { XmlElement } from "../../workers/shared/xml/types.ts";
import { isDecimal, type FhirJson } from "../../workers/fhir/formats/json.ts";

export interface CanonicalElement {
  readonly name: string;
  readonly attributes: readonly string[];
  readonly children: readonly (CanonicalElement | string)[];
}

const FHIR_NS = "http://hl7.org/fhir";

/**
 * An XML element as a comparable tree: `{ns}name`, attributes sorted, comments gone (the parser drops them), and
 * white space between FHIR elements dropped (it is insignificant there). XHTML text is kept exactly, or with white
 * space runs collapsed when `xhtmlSpace` is "collapse" (serializers differ in how they indent narrative).
 */
export function canonical(el: XmlElement, xhtmlSpace: "exact" | "collapse" = "exact"): CanonicalElement {
  const attributes = el.attributes.map((a) => `{${a.ns}}${a.name}=${a.value}`).sort();
  const children: (CanonicalElement | string)[] = [];
  for (const c of el.children) {
    if (c.kind === "element") children.push(canonical(c, xhtmlSpace));
    else if (c.kind === "text") {
      if (el.ns === FHIR_NS) {
        if (c.value.trim() !== "") children.push(c.value);
      } else {
        const t = xhtmlSpace === "collapse" ? c.value.replace(/\s+/g, " ") : c.value;
        if (t !== "" && !(xhtmlSpace === "collapse" && t === " ")) children.push(t);
      }
    } else children.push(`<?${c.target} ${c.data}?>`);
  }
  return { name: `{${el.ns}}${el.name}`, attributes, children };
}

export function canonicalXml(text: string, xhtmlSpace: "exact" | "collapse" = "exact"): CanonicalElement {
  return canonical(parseXml(text, { maxDepth: 256, maxNodes: 1_000_000 }).root, xhtmlSpace);
}

/** JSON for deep comparison: kept decimals as `{ decimal: text }`, narrative strings as canonical XHTML trees. */
export function comparableJson(v: FhirJson, key = ""): unknown {
  if (isDecimal(v)) return { decimal: v.rawJSON };
  if (Array.isArray(v)) return v.map((x) => comparableJson(x));
  if (typeof v === "object" && v !== null) {
    const out: Record<string, unknown> = {};
    for (const k of Object.keys(v)) out[k] = comparableJson(v[k]!, k);
    return out;
  }
  if (key === "div" && typeof v === "string") return canonicalXml(v, "collapse");
  return v;
}

/** `${DATE, T, D, -24}` → today − 24 days and `${CURRENTDATE}` → today (YYYY-MM-DD), as the TestScript engine does. */
export function substituteDates(text: string, today = new Date()): string {
  const day = (n: number) => new Date(today.getTime() + n * 86_400_000).toISOString().slice(0, 10);
  return text.replace(/\$\{DATE, *T, *D, *(-?\d+)\}/g, (_, n: string) => day(Number(n))).replace(/\$\{CURRENTDATE\}/g, day(0));
}
