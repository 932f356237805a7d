// The FHIR room's generated modules (workers/fhir/definitions/*.gen.ts), derived from the vendored STU3
// specification files in workers/fhir/definitions/stu3/ (see its SOURCES.md). Nothing there is loaded at run time.
// `node scripts/gen-fhir-model.mjs` writes them; `--check` fails when one is missing or stale (npm test).
//
// One function per output file: each takes the loaded inputs and returns the module text. To add a module
// (search parameters, compartments), write its function and add it to OUTPUTS.
import { existsSync, readFileSync, writeFileSync } from "node:fs";
import { fileURLToPath } from "node:url";
import { join } from "node:path";

const root = fileURLToPath(new URL("../", import.meta.url));
const STU3 = "workers/fhir/definitions/stu3";

function readJson(rel) {
  return JSON.parse(readFileSync(join(root, rel), "utf8"));
}

function fail(message) {
  throw new Error(`gen-fhir-model: ${message}`);
}

// ---------------------------------------------------------------------------------------------------------------
// structure.gen.ts: every resource, data type and backbone element of the STU3 JSON Schema.
// ---------------------------------------------------------------------------------------------------------------

/** The abstract bases. The schema flattens them into every definition; here they are factored out again. */
const BASES = {
  Element: [["id", "string", 0], ["extension", "Extension", 1]],
  BackboneElement: [["id", "string", 0], ["extension", "Extension", 1], ["modifierExtension", "Extension", 1]],
  Resource: [["id", "id", 0], ["meta", "Meta", 0], ["implicitRules", "uri", 0], ["language", "code", 0]],
  DomainResource: [
    ["id", "id", 0], ["meta", "Meta", 0], ["implicitRules", "uri", 0], ["language", "code", 0],
    ["text", "Narrative", 0], ["contained", "Resource", 1], ["extension", "Extension", 1], ["modifierExtension", "Extension", 1],
  ],
};
/** Longest first: a definition takes the most specific base its leading properties match. */
const BASE_ORDER = ["DomainResource", "Resource", "BackboneElement", "Element"];

/**
 * Primitive patterns the schema leaves empty or states in a form unsafe to run on client input, from the STU3
 * data types page (http://hl7.org/fhir/STU3/datatypes.html). Each entry names the schema's pattern it replaces, so
 * a changed schema stops the generator instead of being silently overridden.
 */
const PATTERN_OVERRIDES = {
  // Empty in the schema; the datatypes page's regex.
  instant: {
    schema: "",
    pattern: "-?[0-9]{4}-(0[1-9]|1[0-2])-(0[0-9]|[1-2][0-9]|3[0-1])T([01][0-9]|2[0-3]):[0-5][0-9]:[0-5][0-9](\\.[0-9]+)?(Z|(\\+|-)((0[0-9]|1[0-3]):[0-5][0-9]|14:00))",
  },
  // Empty in the schema; the datatypes page's `[ \r\n\t\S]+` (at least one character).
  string: { schema: "", pattern: "[ \\r\\n\\t\\S]+" },
  markdown: { schema: "", pattern: "[ \\r\\n\\t\\S]+" },
  // Empty in the schema; a URI has no white space (the later releases' `\S*`).
  uri: { schema: "", pattern: "\\S*" },
  // `[^\s]+([\s]?[^\s]+)*` backtracks exponentially on a failing input (ReDoS); this is the same language
  // (runs of non-white-space separated by single white-space characters) in a form that cannot backtrack.
  code: { schema: "[^\\s]+([\\s]?[^\\s]+)*", pattern: "\\S+(\\s\\S+)*" },
  // JSON booleans need no pattern.
  boolean: { schema: "", pattern: undefined },
};
/** base64Binary has no pattern in the schema and the datatypes page's regex lacks '/'; the validator checks it in code. */
const NO_PATTERN = new Set(["base64Binary", "xhtml"]);

/**
 * The "open type" (`*`) choices (Extension.value[x] and the like) in the schema lack the Quantity profiles that the
 * STU3 data types page and StructureDefinitions list (datatypes.html#open): Nictiz's zib extensions use valueDuration.
 */
const OPEN_TYPE_MARKERS = ["Address", "Annotation", "Attachment", "HumanName", "Meta", "SampledData", "Signature", "Timing"];
const OPEN_TYPE_ADDITIONS = ["Age", "Count", "Distance", "Duration", "Money"];

/**
 * Minimum cardinalities the schema leaves out. Extension.url is 1..1 in STU3 (extensibility.html: "url: identifies the
 * meaning of the extension ... 1..1"); the schema marks no Extension element required.
 */
const REQUIRED_ADDITIONS = { Extension: ["url"] };

const refName = (ref) => {
  const m = /^#\/definitions\/([A-Za-z0-9_]+)$/.exec(ref ?? "");
  if (!m) fail(`unexpected $ref ${ref}`);
  return m[1];
};
const capitalize = (s) => s[0].toUpperCase() + s.slice(1);

function readPrimitives(defs) {
  const out = new Map();
  for (const [name, def] of Object.entries(defs)) {
    if (def.properties || name === "ResourceList") continue;
    const json = name === "xhtml" ? "string" : def.type;
    if (json !== "string" && json !== "number" && json !== "boolean") fail(`primitive ${name} has JSON type ${def.type}`);
    let pattern = def.pattern === "" ? undefined : def.pattern;
    const override = PATTERN_OVERRIDES[name];
    if (override) {
      if ((def.pattern ?? "") !== override.schema) fail(`the schema's pattern for ${name} changed; review PATTERN_OVERRIDES`);
      pattern = override.pattern;
    } else if (NO_PATTERN.has(name)) {
      if (def.pattern) fail(`the schema now has a pattern for ${name}; review NO_PATTERN`);
    } else if (pattern === undefined) fail(`primitive ${name} has no pattern`);
    out.set(name, { json, pattern });
  }
  return out;
}

/** Choice groups: variants share a prefix, end in a type name, never repeat, and carry the element's one description. */
function choiceGroups(def, typeSuffixes) {
  const candidates = new Map();
  for (const [prop, spec] of Object.entries(def.properties)) {
    if (prop.startsWith("_") || spec.type === "array") continue;
    const suffix = typeSuffixes.find((t) => prop.length > t.length && prop.endsWith(t) && /[a-z]$/.test(prop.slice(0, -t.length)));
    if (!suffix) continue;
    const key = `${prop.slice(0, -suffix.length)}\u0000${spec.description ?? ""}`;
    const list = candidates.get(key) ?? [];
    list.push({ prop, suffix });
    candidates.set(key, list);
  }
  const byProp = new Map();
  for (const [key, variants] of candidates) {
    if (variants.length < 2) continue;
    const group = key.split("\u0000")[0];
    for (const v of variants) byProp.set(v.prop, { group, suffix: v.suffix });
  }
  return byProp;
}

function baseOf(name, props) {
  if (name === "Element") return undefined;
  for (const base of BASE_ORDER) {
    const rows = BASES[base];
    const ok = rows.every(([el, type, repeats], i) => {
      const spec = props[i]?.[1];
      if (props[i]?.[0] !== el || !spec) return false;
      const ref = repeats ? spec.items?.$ref : spec.$ref;
      if (repeats !== (spec.type === "array" ? 1 : 0) || !ref) return false;
      const t = refName(ref);
      return (t === "ResourceList" ? "Resource" : t) === type;
    });
    if (ok) return base;
  }
  return fail(`${name} matches none of the bases`);
}

export function readStructure(schema) {
  const defs = schema.definitions;
  const primitives = readPrimitives(defs);
  const typeSuffixes = [
    ...[...primitives.keys()].map(capitalize),
    ...Object.keys(defs).filter((n) => defs[n].properties && !n.includes("_") && !defs[n].properties.resourceType),
  ].sort((a, b) => b.length - a.length);
  const resourceList = new Set(defs.ResourceList.oneOf.map((r) => refName(r.$ref)));
  const codeSets = [];
  const codeIndex = new Map();
  const codes = (list) => {
    const key = JSON.stringify(list);
    if (!codeIndex.has(key)) {
      codeIndex.set(key, codeSets.length);
      codeSets.push(list);
    }
    return codeIndex.get(key);
  };

  const types = [];
  for (const [name, def] of Object.entries(defs)) {
    if (!def.properties) continue;
    const props = Object.entries(def.properties).filter(([p, spec]) => !(p === "resourceType" && spec.const !== undefined));
    const isResource = def.properties.resourceType?.const === name;
    if (isResource !== resourceList.has(name)) fail(`${name}: resourceType and ResourceList disagree`);
    const kind = isResource ? "resource" : name.includes("_") ? "backbone" : "datatype";
    if (isResource && !(def.required ?? []).includes("resourceType")) fail(`${name}: resourceType not required`);
    const elementProps = props.filter(([p]) => !p.startsWith("_"));
    const base = baseOf(name, elementProps);
    if (isResource !== (base === "Resource" || base === "DomainResource")) fail(`${name}: a ${kind} with base ${base}`);
    const required = new Set([...(def.required ?? []).filter((r) => r !== "resourceType" || !isResource), ...(REQUIRED_ADDITIONS[name] ?? [])]);
    for (const r of REQUIRED_ADDITIONS[name] ?? []) if ((def.required ?? []).includes(r)) fail(`${name}.${r} is now required in the schema; review REQUIRED_ADDITIONS`);
    for (const r of required) if (!def.properties[r]) fail(`${name}: required ${r} is not a property`);
    const choices = choiceGroups(def, typeSuffixes);
    const names = new Set(props.map(([p]) => p));
    for (const [prop, spec] of props) {
      if (!prop.startsWith("_")) continue;
      // A primitive's id/extensions (`_x`): implied by the primitive element, so not listed; checked here.
      const of = def.properties[prop.slice(1)];
      if (!of) fail(`${name}.${prop} companion of nothing`);
      const ref = spec.type === "array" ? spec.items?.$ref : spec.$ref;
      if (refName(ref) !== "Element" || (spec.type === "array") !== (of.type === "array")) fail(`${name}.${prop} is not an Element companion`);
    }
    const own = base ? elementProps.slice(BASES[base].length) : elementProps;
    const rows = [];
    for (const [prop, spec] of own) {
      const repeats = spec.type === "array";
      const item = repeats ? spec.items : spec;
      const choice = choices.get(prop);
      let type;
      let codeSet = -1;
      if (item.$ref) {
        type = refName(item.$ref);
        if (type === "ResourceList") type = "Resource";
        if (choice && capitalize(type) !== choice.suffix) fail(`${name}.${prop}: choice suffix ${choice.suffix} but type ${type}`);
      } else if (item.enum) {
        type = "code";
        codeSet = codes(item.enum);
        if (choice) fail(`${name}.${prop}: an enum choice`);
      } else {
        // Inline primitives occur only as choice variants (`valueString`): the type is the suffix.
        if (!choice) fail(`${name}.${prop}: inline type outside a choice`);
        type = choice.suffix[0].toLowerCase() + choice.suffix.slice(1);
        const p = primitives.get(type);
        if (!p || p.json !== item.type) fail(`${name}.${prop}: inline ${item.type} is not primitive ${type}`);
        if ((item.pattern ?? "") !== (defs[type].pattern ?? "")) fail(`${name}.${prop}: inline pattern differs from ${type}`);
      }
      if (!primitives.has(type) && !defs[type] && type !== "Resource") fail(`${name}.${prop}: unknown type ${type}`);
      const isPrimitive = primitives.has(type);
      // Element.id has no companion (it is an XML attribute), like the bases' ids; Narrative.div neither.
      const plainValue = type === "xhtml" || (name === "Element" && prop === "id");
      if (isPrimitive && !plainValue && !names.has(`_${prop}`)) fail(`${name}.${prop}: primitive without a _${prop} companion`);
      if (!isPrimitive && names.has(`_${prop}`)) fail(`${name}.${prop}: complex with a companion`);
      if (choice && required.has(prop)) fail(`${name}.${prop}: a required choice variant`);
      rows.push({ name: prop, type, repeats, required: required.has(prop), choice: choice?.group ?? "", codeSet });
    }
    for (const r of required) if (!rows.some((row) => row.name === r)) fail(`${name}: required ${r} is inherited`);
    addOpenTypes(name, rows);
    types.push({ name, kind, base: base ?? "", rows });
  }
  return { primitives, types, codeSets };
}

function addOpenTypes(typeName, rows) {
  const groups = new Map();
  for (const row of rows) if (row.choice) groups.set(row.choice, [...(groups.get(row.choice) ?? []), row]);
  for (const [group, variants] of groups) {
    const types = new Set(variants.map((v) => v.type));
    if (!OPEN_TYPE_MARKERS.every((t) => types.has(t))) continue;
    const last = rows.indexOf(variants[variants.length - 1]);
    const add = OPEN_TYPE_ADDITIONS.filter((t) => !types.has(t)).map((t) => ({ name: `${group}${t}`, type: t, repeats: false, required: false, choice: group, codeSet: -1 }));
    if (add.some((a) => rows.some((r) => r.name === a.name))) fail(`${typeName}: open-type addition collides`);
    rows.splice(last + 1, 0, ...add);
  }
}

function structureModule({ schema }) {
  const { primitives, types, codeSets } = readStructure(schema);
  const lines = [];
  lines.push(
    "// Generated by scripts/gen-fhir-model.mjs from workers/fhir/definitions/stu3/fhir.schema.json (HL7 FHIR STU3 JSON Schema);",
    "// do not edit: change the script and run it again. Read through workers/fhir/model.ts.",
    "",
    "/** A primitive type: its JSON type and its lexical pattern (to match the whole value), if any. */",
    "export interface PrimitiveRow {",
    '  readonly json: "string" | "number" | "boolean";',
    "  readonly pattern?: string;",
    "}",
    "",
    "/**",
    " * One element: [JSON name, type, flags (1 = repeats, 2 = required), choice group (\"\" = none), code set (-1 = none)];",
    " * trailing defaults are left out. Types: a primitive, a data type, a backbone definition, or `Resource` (any resource).",
    " * Choice variants are expanded (`valueQuantity`, `valueString`) and name their group (`value`).",
    " */",
    "export type ElementRow = readonly [name: string, type: string, flags?: number, choice?: string, codeSet?: number];",
    "",
    "/** A type: kind, base (whose elements come first), and its own elements in definition order (= XML order). */",
    "export interface TypeRow {",
    "  readonly name: string;",
    '  readonly kind: "datatype" | "backbone" | "resource";',
    '  readonly base: "" | "Element" | "BackboneElement" | "Resource" | "DomainResource";',
    "  readonly elements: readonly ElementRow[];",
    "}",
    "",
    "/** The abstract bases' elements, in order. */",
    `export const BASE_ELEMENTS: Readonly<Record<"Element" | "BackboneElement" | "Resource" | "DomainResource", readonly ElementRow[]>> = {`,
  );
  for (const base of ["Element", "BackboneElement", "Resource", "DomainResource"]) {
    lines.push(`  ${base}: [${BASES[base].map(([n, t, r]) => JSON.stringify(r ? [n, t, 1] : [n, t])).join(", ")}],`);
  }
  lines.push("};", "", "export const PRIMITIVE_TYPES: readonly (readonly [name: string, row: PrimitiveRow])[] = [");
  for (const [name, p] of primitives) {
    lines.push(`  [${JSON.stringify(name)}, { json: ${JSON.stringify(p.json)}${p.pattern === undefined ? "" : `, pattern: ${JSON.stringify(p.pattern)}`} }],`);
  }
  lines.push("];", "", "/** Required-binding codes, shared by the elements that name them. */", "export const CODE_SETS: readonly (readonly string[])[] = [");
  for (const set of codeSets) lines.push(`  ${JSON.stringify(set)},`);
  lines.push("];", "", "export const TYPES: readonly TypeRow[] = [");
  for (const t of types) {
    const rows = t.rows.map((r) => {
      const flags = (r.repeats ? 1 : 0) | (r.required ? 2 : 0);
      const row = [r.name, r.type, flags, r.choice, r.codeSet];
      while (row.length > 2 && (row[row.length - 1] === -1 || row[row.length - 1] === "" || (row.length === 3 && row[2] === 0))) row.pop();
      return JSON.stringify(row);
    });
    lines.push(`  { name: ${JSON.stringify(t.name)}, kind: ${JSON.stringify(t.kind)}, base: ${JSON.stringify(t.base)}, elements: [${rows.join(", ")}] },`);
  }
  lines.push("];", "");
  return lines.join("\n");
}

// ---------------------------------------------------------------------------------------------------------------

const OUTPUTS = [{ path: "workers/fhir/definitions/structure.gen.ts", make: structureModule }];

function main() {
  const check = process.argv.includes("--check");
  const inputs = { schema: readJson(`${STU3}/fhir.schema.json`) };
  let stale = 0;
  for (const { path, make } of OUTPUTS) {
    const target = join(root, path);
    const text = make(inputs);
    const current = existsSync(target) ? readFileSync(target, "utf8") : undefined;
    if (current === text) continue;
    if (check) {
      stale++;
      console.error(`stale: ${path} (run: node scripts/gen-fhir-model.mjs)`);
    } else {
      writeFileSync(target, text);
      console.log(`wrote ${path} (${Buffer.byteLength(text)} bytes)`);
    }
  }
  process.exit(stale ? 1 : 0);
}

if (process.argv[1] && fileURLToPath(import.meta.url) === process.argv[1]) main();
