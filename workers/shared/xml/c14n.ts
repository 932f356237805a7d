/**
 * Exclusive XML Canonicalization 1.0 without comments (W3C REC xml-exc-c14n-20020718), the one
 * canonicalization XML-DSig signatures in SAML use (SPEC X-3). Works on the strict scanner's tree
 * (parse.ts), so no second XML parser exists in the product.
 *
 * What the tree already did: line ends normalised (XML §2.11), attribute values normalised (§3.3.3),
 * character and entity references and CDATA sections replaced by their characters, comments left out.
 * What happens here: namespace declarations only where visibly utilized (exc-c14n §3), sorted; attributes
 * sorted by (namespace URI, local name); empty elements as start-end pairs; the C14N escapes (§2.3).
 *
 * test/oracle/c14n.test.ts proves the output byte-equal to xml-crypto's ExclusiveCanonicalization.
 */
import type { XmlElement } from "./types.ts";

export const EXC_C14N = "http://www.w3.org/2001/10/xml-exc-c14n#";
const XML_NS = "http://www.w3.org/XML/1998/namespace";

export interface ExcC14nOptions {
  /**
   * InclusiveNamespaces PrefixList (exc-c14n §3): prefixes treated as in inclusive C14N, rendered
   * wherever they are in scope and not yet rendered by an output ancestor. `#default` is the default namespace.
   */
  readonly inclusivePrefixes?: readonly string[];
  /** Elements left out together with their subtree: the enveloped-signature transform removes its Signature. */
  readonly omit?: ReadonlySet<XmlElement>;
}

export function escapeC14nText(s: string): string {
  return s.replace(/[&<>\r]/g, (c) => (c === "&" ? "&amp;" : c === "<" ? "&lt;" : c === ">" ? "&gt;" : "&#xD;"));
}

export function escapeC14nAttribute(s: string): string {
  return s.replace(/[&<"\t\n\r]/g, (c) =>
    c === "&" ? "&amp;" : c === "<" ? "&lt;" : c === '"' ? "&quot;" : c === "\t" ? "&#x9;" : c === "\n" ? "&#xA;" : "&#xD;",
  );
}

const qname = (prefix: string, local: string): string => (prefix === "" ? local : `${prefix}:${local}`);

/** The canonical form of `apex` and its subtree, as a string (UTF-8 when encoded). */
export function excC14n(apex: XmlElement, options: ExcC14nOptions = {}): string {
  const inclusive = new Set((options.inclusivePrefixes ?? []).map((p) => (p === "#default" ? "" : p)));
  const omit = options.omit ?? new Set<XmlElement>();
  const out: string[] = [];

  // `rendered`: prefix -> namespace URI as declared by the output ancestors ("" = default namespace).
  const render = (el: XmlElement, rendered: ReadonlyMap<string, string>): void => {
    const wanted = new Map<string, string>();
    // Visibly utilized: the element's own prefix (the default namespace when unprefixed) ...
    wanted.set(el.prefix, el.ns);
    // ... and the prefixes of its attributes (unprefixed attributes are in no namespace; xml: is implicit).
    for (const a of el.attributes) if (a.prefix !== "" && a.prefix !== "xml") wanted.set(a.prefix, a.ns);
    for (const p of inclusive) {
      const uri = p === "" ? (el.namespaces.get("") ?? "") : el.namespaces.get(p);
      if (uri !== undefined && !wanted.has(p) && uri !== XML_NS) wanted.set(p, uri);
    }
    const declared: [string, string][] = [];
    let next: Map<string, string> | undefined;
    for (const [prefix, uri] of wanted) {
      const current = rendered.get(prefix) ?? (prefix === "" ? "" : undefined);
      if (current === uri) continue;
      // An unprefixed element in no namespace needs xmlns="" only to undo a rendered default (§3, C14N §4.6).
      declared.push([prefix, uri]);
      (next ??= new Map(rendered)).set(prefix, uri);
    }
    declared.sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0));
    const attributes = [...el.attributes].sort((a, b) => (a.ns !== b.ns ? (a.ns < b.ns ? -1 : 1) : a.name < b.name ? -1 : a.name > b.name ? 1 : 0));

    out.push("<", qname(el.prefix, el.name));
    for (const [prefix, uri] of declared) out.push(prefix === "" ? ' xmlns="' : ` xmlns:${prefix}="`, escapeC14nAttribute(uri), '"');
    for (const a of attributes) out.push(" ", qname(a.prefix, a.name), '="', escapeC14nAttribute(a.value), '"');
    out.push(">");
    const scope = next ?? rendered;
    for (const child of el.children) {
      if (child.kind === "text") out.push(escapeC14nText(child.value));
      else if (child.kind === "pi") out.push("<?", child.target, child.data === "" ? "" : ` ${child.data}`, "?>");
      else if (!omit.has(child)) render(child, scope);
    }
    out.push("</", qname(el.prefix, el.name), ">");
  };

  render(apex, new Map());
  return out.join("");
}
