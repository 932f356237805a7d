// FHIRPath for the TestScript engine: fhirpath.js with its STU3 model, compiled expressions cached.
//
// One leniency, Touchstone's: its FHIRPath engine (HAPI's) compares type names without regard to case
// (Base.hasType uses equalsIgnoreCase), and Nictiz's scripts rely on it: every search scenario has
// `Bundle.descendants().where($this.is(coding))`, which fhirpath.js rejects ("coding" is not a type). So a type
// name in is(), as(), ofType() or the is/as operators that is not an STU3 type, but matches exactly one when case
// is ignored, is read as that type. String literals and backquoted names are left alone.
import fhirpath from "fhirpath";
import stu3 from "fhirpath/fhir-context/stu3";

/** lower-case type name -> the STU3 type names it matches */
const TYPES_BY_LOWER_CASE = new Map();
for (const type of /** @type {Set<string>} */ (stu3.availableTypes)) {
  TYPES_BY_LOWER_CASE.set(type.toLowerCase(), [...(TYPES_BY_LOWER_CASE.get(type.toLowerCase()) ?? []), type]);
}

/** @type {Map<string, (resource: unknown, env?: Record<string, unknown>) => unknown[]>} */
const compiled = new Map();

/**
 * Evaluates `expression` on `resource` with the STU3 model; `%name` environment variables come from `env`
 * (fhirpath.js itself provides %resource, %rootResource, %context, %ucum and %sct).
 * @param {unknown} resource FHIR JSON
 * @param {string} expression
 * @param {Record<string, unknown>} [env]
 * @returns {unknown[]}
 */
export function evaluateFhirPath(resource, expression, env = {}) {
  let fn = compiled.get(expression);
  if (!fn) {
    fn = /** @type {(resource: unknown, env?: Record<string, unknown>) => unknown[]} */ (fhirpath.compile(typeNamesAsTouchstone(expression), stu3));
    compiled.set(expression, fn);
  }
  return fn(resource, env);
}

/**
 * A FHIRPath result item as the string TestScript compares: primitives as themselves, anything else as JSON.
 * @param {unknown} item
 */
export function itemText(item) {
  return item !== null && typeof item === "object" ? JSON.stringify(item) : String(item);
}

/**
 * The names an expression uses as environment variables (`%name` or %`name`), minus FHIRPath's own.
 * @param {string} expression
 * @returns {string[]}
 */
export function environmentNames(expression) {
  const names = new Set();
  for (const m of expression.matchAll(/%(?:`([^`]+)`|([A-Za-z_][A-Za-z0-9_]*))/g)) names.add(m[1] ?? m[2]);
  for (const own of ["resource", "rootResource", "context", "ucum", "sct", "loinc", "terminologies", "factory"]) names.delete(own);
  return [...names];
}

/**
 * Rewrites type names that only differ in case from an STU3 type (see the file comment).
 * @param {string} expression
 * @returns {string}
 */
export function typeNamesAsTouchstone(expression) {
  /** @param {string} name */
  const canonical = (name) => {
    if (stu3.availableTypes.has(name)) return name;
    const matches = TYPES_BY_LOWER_CASE.get(name.toLowerCase());
    return matches?.length === 1 ? matches[0] : name;
  };
  // Outside string literals ('...', with \' escapes) and backquoted identifiers only.
  return expression.split(/('(?:[^'\\]|\\.)*'|`[^`]*`)/).map((part, i) => (i % 2 === 1 ? part : part
    .replace(/\b(is|as|ofType)(\s*\(\s*)([A-Za-z]+)(?=\s*\))/g, (_, fn, open, name) => `${fn}${open}${canonical(name)}`)
    .replace(/\b(is|as)(\s+)([A-Za-z]+)\b(?!\s*\()/g, (_, op, space, name) => `${op}${space}${canonical(name)}`))).join("");
}
