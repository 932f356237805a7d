// validateProfileId for the base STU3 structure: HL7's official STU3 JSON schema
// (workers/fhir/definitions/stu3/fhir.schema.json, HL7's file, not product code) with ajv, applied to the resource
// and to every resource nested in it (contained, Bundle.entry.resource, Bundle.entry.response.outcome,
// Parameters.parameter.resource), each against its own type so an error names the resource it is in.
//
// What this does not evaluate, and says so in every verdict: conformance to the profiles a resource claims in
// meta.profile beyond the base definition (Nictiz's http://fhir.nl/... and http://nictiz.nl/... profiles), and
// the STU3 invariants and terminology bindings that the schema cannot express (only required code lists are in it).
//
// One deliberate reading of HL7's schema: its `pattern`s are written the XSD way, to match a whole value, while
// JSON Schema applies a pattern anywhere in the string ("2020-13" would pass as a date because "2020" matches).
// They are anchored here, as FHIR means them (the empty patterns, HL7's "no constraint", are dropped). One pattern, code's `[^\s]+([\s]?[^\s]+)*`, backtracks
// exponentially once anchored; it is replaced by the equivalent `[^\s]+(\s[^\s]+)*` (the same strings: no leading,
// trailing or double whitespace).
//
// And one correction: HL7's STU3 schema leaves the Quantity profiles Age, Count, Distance, Duration and Money out of
// every open-type choice (Extension.value[x], Parameters.parameter.value[x], ElementDefinition.fixed[x], ...),
// although STU3 allows every data type there (Nictiz's fixtures carry valueDuration extensions). They are added to
// each definition that has an open choice, recognised by its having both <name>Quantity and <name>Signature.
import Ajv from "ajv";
import { readFileSync } from "node:fs";
import { createRequire } from "node:module";

const require = createRequire(import.meta.url);
const SCHEMA_URL = new URL("../../workers/fhir/definitions/stu3/fhir.schema.json", import.meta.url);
const SCHEMA_ID = "http://hl7.org/fhir/json-schema/3.0";
const BASE_PROFILE = /^http:\/\/hl7\.org\/fhir\/StructureDefinition\/([A-Za-z]+)$/;
const EQUIVALENT_PATTERNS = new Map([["[^\\s]+([\\s]?[^\\s]+)*", "^[^\\s]+(\\s[^\\s]+)*$"]]);
const MAX_ERRORS = 8;
const QUANTITY_PROFILES = ["Age", "Count", "Distance", "Duration", "Money"];

/** Not evaluated by any base-structure verdict. */
export const INVARIANTS_NOT_EVALUATED = "STU3 invariants (FHIRPath constraints) and terminology bindings other than the schema's required code lists";

/** @type {{ ajv: Ajv, resourceTypes: Set<string> } | undefined} */
let compiled;

function schema() {
  if (!compiled) {
    const json = JSON.parse(readFileSync(SCHEMA_URL, "utf8"));
    anchorPatterns(json);
    addQuantityProfilesToOpenChoices(json.definitions);
    json.$id = SCHEMA_ID;
    const ajv = new Ajv({ strict: false, allErrors: true, unicodeRegExp: false });
    ajv.addMetaSchema(require("ajv/lib/refs/json-schema-draft-06.json"));
    ajv.addSchema(json);
    compiled = { ajv, resourceTypes: new Set(Object.keys(json.discriminator.mapping)) };
  }
  return compiled;
}

/** @param {Record<string, { properties?: Record<string, unknown> }>} definitions */
function addQuantityProfilesToOpenChoices(definitions) {
  for (const { properties } of Object.values(definitions)) {
    if (!properties) continue;
    for (const name of Object.keys(properties)) {
      const choice = name.endsWith("Signature") ? name.slice(0, -"Signature".length) : undefined;
      if (choice === undefined || !(`${choice}Quantity` in properties)) continue;
      for (const type of QUANTITY_PROFILES) properties[`${choice}${type}`] ??= { $ref: `#/definitions/${type}` };
    }
  }
}

/** @param {unknown} node */
function anchorPatterns(node) {
  if (node === null || typeof node !== "object") return;
  const o = /** @type {Record<string, unknown>} */ (node);
  if (o.pattern === "") delete o.pattern; // HL7 writes an empty pattern for "no constraint" (string, uri, instant, ...)
  else if (typeof o.pattern === "string") o.pattern = EQUIVALENT_PATTERNS.get(o.pattern) ?? `^(?:${o.pattern})$`;
  for (const v of Object.values(o)) anchorPatterns(v);
}

/**
 * @typedef {object} ProfileVerdict
 * @property {"passed" | "failed" | "notEvaluated"} outcome the base-structure verdict; notEvaluated when the
 *   profile itself is not a base STU3 resource definition
 * @property {string[]} errors where and why the structure is wrong
 * @property {string[]} notEvaluated the parts that were not checked, with the reason
 */

/**
 * Validates `resource` against the base STU3 profile `profileUrl` (http://hl7.org/fhir/StructureDefinition/<Type>).
 * @param {unknown} resource FHIR JSON
 * @param {string} profileUrl
 * @returns {ProfileVerdict}
 */
export function validateProfile(resource, profileUrl) {
  const base = BASE_PROFILE.exec(profileUrl);
  const { resourceTypes } = schema();
  if (!base || !resourceTypes.has(/** @type {string} */ (base[1]))) {
    return { outcome: "notEvaluated", errors: [], notEvaluated: [`profile ${profileUrl}: only the base STU3 resource definitions can be validated here`] };
  }
  if (!isResource(resource)) return { outcome: "failed", errors: ["the message has no FHIR resource"], notEvaluated: [] };
  const errors = resource.resourceType === base[1] ? [] : [`the resource is a ${resource.resourceType}, the profile is for ${base[1]}`];
  errors.push(...validateStructure(resource));
  const claimed = [...new Set(resourcesIn(resource, "").flatMap(({ resource: r }) => claimedProfiles(r)))];
  const notEvaluated = [INVARIANTS_NOT_EVALUATED];
  if (claimed.length > 0) notEvaluated.unshift(`conformance to the profiles claimed in meta.profile (no validator for them here): ${claimed.join(", ")}`);
  return { outcome: errors.length === 0 ? "passed" : "failed", errors: summarise(errors), notEvaluated };
}

/**
 * The base-structure errors of a resource and of every resource nested in it, each error once, at the innermost
 * resource it is in.
 * @param {{ resourceType: string }} resource
 * @returns {string[]}
 */
export function validateStructure(resource) {
  const { ajv, resourceTypes } = schema();
  /** @type {string[]} */
  const errors = [];
  const all = resourcesIn(resource, "");
  for (const { resource: r, pointer } of all) {
    if (!resourceTypes.has(r.resourceType)) {
      errors.push(`${pointer || "/"}: ${JSON.stringify(r.resourceType)} is not an STU3 resource type`);
      continue;
    }
    const validate = /** @type {import("ajv").ValidateFunction} */ (ajv.getSchema(`${SCHEMA_ID}#/definitions/${r.resourceType}`));
    if (validate(r)) continue;
    const nested = all.filter((n) => n.pointer.startsWith(`${pointer}/`)).map((n) => n.pointer);
    for (const e of validate.errors ?? []) {
      const at = pointer + e.instancePath;
      if (nested.some((n) => at === n || at.startsWith(`${n}/`))) continue; // reported by that resource itself
      errors.push(`${at || "/"}: ${e.message}${detail(e.params)}`);
    }
  }
  return [...new Set(errors)];
}

/**
 * The resource and every resource in it, with its JSON pointer ("" for the root).
 * @param {{ resourceType: string }} resource
 * @param {string} pointer
 * @returns {{ resource: { resourceType: string }, pointer: string }[]}
 */
function resourcesIn(resource, pointer) {
  /** @type {{ resource: { resourceType: string }, pointer: string }[]} */
  const out = [{ resource, pointer }];
  /**
   * @param {unknown} node
   * @param {string} at
   */
  const walk = (node, at) => {
    if (node === null || typeof node !== "object") return;
    for (const [key, value] of Object.entries(node)) {
      const here = `${at}/${key}`;
      if (isResource(value)) out.push(...resourcesIn(value, here));
      else walk(value, here);
    }
  };
  walk(resource, pointer);
  return out;
}

/**
 * @param {unknown} value
 * @returns {value is { resourceType: string }}
 */
function isResource(value) {
  return value !== null && typeof value === "object" && !Array.isArray(value) && typeof (/** @type {{ resourceType?: unknown }} */ (value).resourceType) === "string";
}

/**
 * The profiles a resource claims besides the base definition of its own type.
 * @param {{ resourceType: string, meta?: { profile?: unknown } }} resource
 * @returns {string[]}
 */
function claimedProfiles(resource) {
  const profiles = Array.isArray(resource.meta?.profile) ? resource.meta.profile : [];
  return profiles.filter((p) => typeof p === "string" && p !== `http://hl7.org/fhir/StructureDefinition/${resource.resourceType}`);
}

/** @param {Record<string, unknown>} params */
function detail(params) {
  if ("additionalProperty" in params) return ` (${params.additionalProperty})`;
  if ("allowedValues" in params) return ` (${/** @type {unknown[]} */ (params.allowedValues).join(", ")})`;
  if ("allowedValue" in params) return ` (${params.allowedValue})`;
  return "";
}

/** @param {string[]} errors */
function summarise(errors) {
  return errors.length <= MAX_ERRORS ? errors : [...errors.slice(0, MAX_ERRORS), `and ${errors.length - MAX_ERRORS} more`];
}
