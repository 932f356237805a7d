/**
 * Nictiz's STU3 qualification material (test/fixtures/nictiz, see its SOURCES.md) as text, and the comparisons the
 * FHIR format tests need (the comparisons themselves are in canonical.ts).
 */
export { canonical, canonicalXml, comparableJson, substituteDates, type CanonicalElement } from "./canonical.ts";

const xmlFiles = import.meta.glob("../fixtures/nictiz/**/*.xml", { query: "?raw", import: "default", eager: true }) as Record<string, string>;
const jsonFiles = import.meta.glob("../fixtures/nictiz/**/_reference/**/*.json", { query: "?raw", import: "default", eager: true }) as Record<string, string>;

const PREFIX = "../fixtures/nictiz/";

/** Paths relative to test/fixtures/nictiz. */
export const XML_FIXTURES: readonly string[] = Object.keys(xmlFiles).map((k) => k.slice(PREFIX.length)).sort();
export const JSON_FIXTURES: readonly string[] = Object.keys(jsonFiles).map((k) => k.slice(PREFIX.length)).sort();

export function fixture(path: string): string {
  const text = xmlFiles[PREFIX + path] ?? jsonFiles[PREFIX + path];
  if (text === undefined) throw new Error(`no fixture ${path}`);
  return text;
}

/** Resources (under `_reference/`) as opposed to TestScripts. */
export const isTestScript = (path: string): boolean => !path.includes("/_reference/");

/**
 * Nictiz's TestScripts are not STU3 XML in three ways (R4 TestScript features, read leniently by their test engine):
 * `assert.stopTestOnFail` (R4 only), `TestScript.profile` written as a canonical `value` (a Reference in STU3), and one
 * operation with `description` before `resource`. This rewrites exactly those, so the rest can be round-tripped.
 */
export const TESTSCRIPT_DEVIATIONS = [
  /unknown element <stopTestOnFail> in TestScript_Assert/,
  /TestScript\.profile\[\d+\]: Reference is not a primitive type: a value attribute is not allowed here/,
  /element resource is out of order \(it belongs before description\)/,
] as const;

export function testScriptAsStu3(text: string): string {
  return text
    .replace(/\s*<stopTestOnFail value="(?:true|false)"\/>/g, "")
    .replace(/<profile(\s+id="[^"]*")?\s+value="([^"]*)"\s*\/>/g, (_, id: string | undefined, url: string) => `<profile${id ?? ""}><reference value="${url}"/></profile>`)
    .replace(/(<description value="[^"]*"\/>)(\s*)(<resource value="[^"]*"\/>)/g, "$3$2$1");
}
