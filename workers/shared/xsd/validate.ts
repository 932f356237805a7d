/**
 * Validates a parsed document against a compiled grammar: content models, simple content,
 * attributes and identity constraints. Messages follow libxml2's wording so operators recognise them.
 */
import type { XmlElement } from "../xml/types.ts";
import type { CompiledGrammar } from "./compile.ts";
import { canonicalKey, checkSimple } from "./datatypes.ts";
import type { ComplexType, ElementDecl, IdentityConstraint, ModelGroup, Particle, PathStep, SimpleType } from "./model.ts";

export interface XsdIssue {
  readonly message: string;
  /** Slash-separated element path from the root, e.g. /Whitelist/MedMijNodes/MedMijNode[2]/Hostname */
  readonly path: string;
  readonly line: number;
}

const XSI = "http://www.w3.org/2001/XMLSchema-instance";
const IGNORED_XSI: ReadonlySet<string> = new Set(["schemaLocation", "noNamespaceSchemaLocation"]);

function label(el: { name: string }): string {
  return el.name;
}

function elementKids(el: XmlElement): XmlElement[] {
  const out: XmlElement[] = [];
  for (const n of el.children) if (n.kind === "element") out.push(n);
  return out;
}

function textOf(el: XmlElement): string {
  let s = "";
  for (const n of el.children) if (n.kind === "text") s += n.value;
  return s;
}

// ---- content models ----------------------------------------------------------------------------

interface Match {
  readonly ok: boolean;
  readonly pos: number;
  /** Declarations that could have accepted an element at `pos`. */
  readonly expected: readonly ElementDecl[];
}

function emptiable(p: Particle): boolean {
  if (p.min === 0) return true;
  if (p.kind === "element") return false;
  return p.kind === "sequence" ? p.particles.every(emptiable) : p.particles.some(emptiable);
}

function firstSet(p: Particle): ElementDecl[] {
  if (p.kind === "element") return [p];
  if (p.kind === "choice") return p.particles.flatMap(firstSet);
  const out: ElementDecl[] = [];
  for (const q of p.particles) {
    out.push(...firstSet(q));
    if (!emptiable(q)) break;
  }
  return out;
}

const accepts = (d: ElementDecl, el: XmlElement) => d.name === el.name && d.ns === el.ns;

class ContentMatcher {
  /** (child, declaration) pairs in document order; truncated when an optional attempt is undone. */
  readonly assigned: [XmlElement, ElementDecl][] = [];
  constructor(private readonly kids: readonly XmlElement[]) {}

  particle(p: Particle, pos: number): Match {
    if (p.kind === "element") {
      let n = 0;
      while (n < p.max && pos + n < this.kids.length && accepts(p, this.kids[pos + n]!)) {
        this.assigned.push([this.kids[pos + n]!, p]);
        n++;
      }
      return { ok: n >= p.min, pos: pos + n, expected: n < p.max ? [p] : [] };
    }
    let reps = 0;
    let cur = pos;
    let expected: readonly ElementDecl[] = [];
    while (reps < p.max) {
      const mark = this.assigned.length;
      const r = p.kind === "sequence" ? this.sequenceOnce(p, cur) : this.choiceOnce(p, cur);
      if (!r.ok) {
        if (reps < p.min) return r;
        this.assigned.length = mark;
        // A failed optional repetition still tells what could have come next.
        expected = [...expected, ...(r.pos === cur ? r.expected : [])];
        break;
      }
      const progressed = r.pos > cur;
      reps++;
      expected = progressed ? r.expected : [...expected, ...r.expected];
      cur = r.pos;
      if (!progressed) break;
    }
    const more = reps < p.max ? firstSet(p) : [];
    return { ok: reps >= p.min || emptiable(p), pos: cur, expected: [...expected, ...more] };
  }

  private sequenceOnce(g: ModelGroup, pos: number): Match {
    let cur = pos;
    let expected: ElementDecl[] = [];
    for (const q of g.particles) {
      const r = this.particle(q, cur);
      if (!r.ok) return { ok: false, pos: r.pos, expected: r.pos === cur ? [...expected, ...r.expected] : [...r.expected] };
      expected = r.pos === cur ? [...expected, ...r.expected] : [...r.expected];
      cur = r.pos;
    }
    return { ok: true, pos: cur, expected };
  }

  private choiceOnce(g: ModelGroup, pos: number): Match {
    const next = this.kids[pos];
    if (next) {
      for (const q of g.particles) if (firstSet(q).some((d) => accepts(d, next))) return this.particle(q, pos);
    }
    const all = g.particles.flatMap(firstSet);
    return { ok: g.particles.some(emptiable), pos, expected: all };
  }
}

function expectedText(decls: readonly ElementDecl[]): string {
  const names = [...new Set(decls.map(label))];
  return names.length === 1 ? `Expected is ( ${names[0]} ).` : `Expected is one of ( ${names.join(", ")} ).`;
}

// ---- validation ---------------------------------------------------------------------------------

class Validator {
  readonly issues: XsdIssue[] = [];
  /** Simple types of validated elements and attributes, for identity-constraint values. */
  private readonly simpleOf = new Map<XmlElement, SimpleType>();

  report(el: XmlElement, path: string, message: string): void {
    this.issues.push({ message: `Element '${label(el)}': ${message}`, path, line: el.line });
  }

  element(el: XmlElement, decl: ElementDecl, path: string): void {
    const type = decl.type;
    this.attributes(el, type.kind === "complex" ? type : null, path);
    if (type.kind === "simple") this.simpleContent(el, type, path);
    else this.complexContent(el, type, path);
    for (const c of decl.identity) this.identity(el, c, path);
  }

  private attributes(el: XmlElement, type: ComplexType | null, path: string): void {
    const declared = type?.attributes ?? [];
    for (const a of el.attributes) {
      if (a.ns === XSI) {
        if (!IGNORED_XSI.has(a.name)) this.report(el, path, `The attribute 'xsi:${a.name}' is not supported.`);
        continue;
      }
      const d = declared.find((x) => x.name === a.name && x.ns === a.ns);
      if (!d) {
        this.issues.push({ message: `Element '${label(el)}', attribute '${a.name}': The attribute '${a.name}' is not allowed.`, path, line: el.line });
        continue;
      }
      for (const p of checkSimple(d.type, a.value).problems) {
        this.issues.push({ message: `Element '${label(el)}', attribute '${a.name}': ${p}`, path, line: el.line });
      }
    }
    for (const d of declared) {
      if (d.required && !el.attributes.some((a) => a.name === d.name && a.ns === d.ns)) {
        this.report(el, path, `The attribute '${d.name}' is required but missing.`);
      }
    }
  }

  private simpleContent(el: XmlElement, type: SimpleType, path: string): void {
    if (elementKids(el).length > 0) {
      this.report(el, path, "Element content is not allowed, because the type definition is simple.");
      return;
    }
    this.simpleOf.set(el, type);
    for (const p of checkSimple(type, textOf(el)).problems) this.report(el, path, p);
  }

  private complexContent(el: XmlElement, type: ComplexType, path: string): void {
    if (!type.mixed && textOf(el).trim() !== "") {
      this.report(el, path, "Character content other than whitespace is not allowed because the content type is 'element-only'.");
    }
    const kids = elementKids(el);
    if (!type.content) {
      if (kids.length > 0) this.report(kids[0]!, `${path}/${label(kids[0]!)}`, "This element is not expected.");
      return;
    }
    const m = new ContentMatcher(kids);
    const r = m.particle(type.content, 0);
    const seen = new Map<string, number>();
    for (const [kid, decl] of m.assigned) {
      const n = (seen.get(kid.name) ?? 0) + 1;
      seen.set(kid.name, n);
      this.element(kid, decl, `${path}/${label(kid)}${n > 1 || (decl.max > 1) ? `[${n}]` : ""}`);
    }
    if (r.pos < kids.length) {
      const bad = kids[r.pos]!;
      const hint = r.expected.length > 0 ? ` ${expectedText(r.expected)}` : "";
      this.report(bad, `${path}/${label(bad)}`, `This element is not expected.${hint}`);
    } else if (!r.ok) {
      this.report(el, path, `Missing child element(s). ${expectedText(r.expected)}`);
    }
  }

  private select(from: XmlElement, steps: readonly PathStep[]): XmlElement[] {
    let nodes = [from];
    for (const s of steps) {
      if (s.attribute) break;
      nodes = nodes.flatMap((n) => elementKids(n).filter((k) => k.name === s.name && k.ns === s.ns));
    }
    return nodes;
  }

  /** XSD §3.11.4: the field value of each selected node must be unique (and, for xs:key, present). */
  private identity(el: XmlElement, c: IdentityConstraint, path: string): void {
    const seen = new Set<string>();
    for (const node of this.select(el, c.selector)) {
      const last = c.field[c.field.length - 1];
      let value: string | undefined;
      if (last?.attribute) {
        const owner = this.select(node, c.field.slice(0, -1));
        const a = owner.length === 1 ? owner[0]!.attributes.find((x) => x.name === last.name && x.ns === last.ns) : undefined;
        value = a?.value;
      } else {
        const targets = this.select(node, c.field);
        if (targets.length > 1) {
          this.report(node, path, `The XPath of a field of ${c.kind} identity-constraint '${c.name}' evaluates to more than one node.`);
          continue;
        }
        const t = targets[0];
        const type = t ? this.simpleOf.get(t) : undefined;
        value = t ? (type ? canonicalKey(type, checkSimple(type, textOf(t)).value) : textOf(t)) : undefined;
      }
      if (value === undefined) {
        if (c.kind === "key") this.report(node, path, `Not all fields of key identity-constraint '${c.name}' evaluate to a node.`);
        continue;
      }
      if (seen.has(value)) this.report(node, path, `Duplicate key-sequence ['${value}'] in ${c.kind} identity-constraint '${c.name}'.`);
      seen.add(value);
    }
  }
}

export function validateDocument(grammar: CompiledGrammar, root: XmlElement): XsdIssue[] {
  const v = new Validator();
  const decl = grammar.globals.find((g) => g.name === root.name && g.ns === root.ns);
  if (!decl) {
    v.report(root, `/${label(root)}`, "No matching global declaration available for the validation root.");
    return v.issues;
  }
  v.element(root, decl, `/${label(root)}`);
  return v.issues;
}
