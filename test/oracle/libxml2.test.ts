/**
 * Differential check: our XSD validator (workers/shared/xsd) must reach the same verdict as libxml2
 * on every fixture/schema pair and on thousands of random mutations of valid lists. libxml2 runs
 * here in Node as the reference only; it is never part of the runtime (see xsd/index.ts for why).
 * A disagreement means our validator is wrong until shown otherwise.
 */
import fc from "fast-check";
import { XmlDocument, XsdValidator } from "libxml2-wasm";
import { readFileSync } from "node:fs";
import { afterAll, describe, expect, it } from "vitest";
import { compileSchema, validateXmlText, type CompiledSchema } from "../../workers/shared/xsd/index.ts";

const root = new URL("../../", import.meta.url);
const read = (p: string) => readFileSync(new URL(p, root), "utf8");

const SCHEMA_FILES = {
  "whitelist-1.0": "test/fixtures/medmij/release-1.0/xsd/MedMij_Whitelist.xsd",
  "zal-1.0": "test/fixtures/medmij/release-1.0/xsd/MedMij_Zorgaanbiederslijst-3.xsd",
  "ocl-1.0": "test/fixtures/medmij/release-1.0/xsd/MedMij_OAuthclientlist-3.xsd",
  "whitelist-1.1": "xsd/afsprakenstelsel-1.1/MedMij_Whitelist.xsd",
  "zal-1.1": "xsd/afsprakenstelsel-1.1/MedMij_Zorgaanbiederslijst.xsd",
  "ocl-1.1": "xsd/afsprakenstelsel-1.1/MedMij_OAuthclientlist.xsd",
  "gnl-1.1": "xsd/afsprakenstelsel-1.1/MedMij_Gegevensdienstnamenlijst.xsd",
  "ocl-release3": "xsd/medmij-edge/MedMij_OAuthclientlist-release3.xsd",
  portabiliteitsrapport: "xsd/medmij-edge/MedMij_Portabiliteitsrapport.xsd",
} as const;
type SchemaName = keyof typeof SCHEMA_FILES;

const ours = new Map<SchemaName, CompiledSchema>();
const theirs = new Map<SchemaName, XsdValidator>();
const disposables: { dispose(): void }[] = [];
for (const [name, path] of Object.entries(SCHEMA_FILES) as [SchemaName, string][]) {
  const text = read(path);
  ours.set(name, compileSchema(text));
  const doc = XmlDocument.fromString(text);
  const validator = XsdValidator.fromDoc(doc);
  theirs.set(name, validator);
  disposables.push(validator, doc);
}
afterAll(() => disposables.forEach((d) => d.dispose()));

function libxml2Accepts(xml: string, schema: SchemaName): boolean {
  let doc: XmlDocument;
  try {
    doc = XmlDocument.fromString(xml);
  } catch {
    return false;
  }
  try {
    theirs.get(schema)!.validate(doc);
    return true;
  } catch {
    return false;
  } finally {
    doc.dispose();
  }
}

const oursAccepts = (xml: string, schema: SchemaName) => validateXmlText(xml, ours.get(schema)!).ok;

/** (file, schema) pairs: every fixture against every schema of its list kind, plus the project's own lists. */
const PAIRS: [string, SchemaName][] = [
  ...["release-1.0/examples/MedMij_Whitelist_example.xml", "release-1.1/examples/MedMij_Whitelist_example.xml", "release-1.1/variants/Zorgdoc-python__whitelist_example.xml",
    "impl-fixtures/GIDS-Python-OAuth/whitelist.xml", "impl-fixtures/Zorgdoc-java/WhitelistExample1.xml", "impl-fixtures/Zorgdoc-java/WhitelistExampleSingle.xml",
    "impl-fixtures/Zorgdoc-python/whitelist_example_single.xml", "impl-fixtures/nl-mgo-dvp-proxy/whitelist.xml"].flatMap((f): [string, SchemaName][] => [
    [`test/fixtures/medmij/${f}`, "whitelist-1.0"], [`test/fixtures/medmij/${f}`, "whitelist-1.1"]]),
  ...["release-1.0/examples/MedMij_Zorgaanbiederslijst_example.xml", "release-1.1/examples/MedMij_Zorgaanbiederslijst_example.xml", "release-1.0/variants/PHP-initial__MedMij_Zorgaanbiederslijst_example.xml",
    "impl-fixtures/GIDS-Python-OAuth/zal.xml", "impl-fixtures/GIDS-Python-OAuth/zal@47fb6b7.xml", "impl-fixtures/GIDS-Python-OAuth/zal@fcebff7.xml",
    "impl-fixtures/Zorgdoc-java/ZALExampleSingle.xml", "impl-fixtures/nl-mgo-localization/zakl_dummy.xml", "later-2.x/MedMij_Zorgaanbiederslijst_example.9.3.xml",
    "later-2.x/MedMij_Zorgaanbiederskoppellijst_example.5.1.xml"].flatMap((f): [string, SchemaName][] => [
    [`test/fixtures/medmij/${f}`, "zal-1.0"], [`test/fixtures/medmij/${f}`, "zal-1.1"]]),
  ...["release-1.0/examples/MedMij_OAuthclientlist_example.xml", "release-1.1/examples/MedMij_OAuthclientlist_example.xml", "release-1.0/variants/PHP-initial__MedMij_OAuthclientlist_example.xml",
    "impl-fixtures/GIDS-Python-OAuth/ocl.xml"].flatMap((f): [string, SchemaName][] => [
    [`test/fixtures/medmij/${f}`, "ocl-1.0"], [`test/fixtures/medmij/${f}`, "ocl-1.1"], [`test/fixtures/medmij/${f}`, "ocl-release3"]]),
  ["test/fixtures/medmij/release-1.1/examples/MedMij_Gegevensdienstnamenlijst_example.xml", "gnl-1.1"],
  ["test/fixtures/medmij/release-1.1/variants/GIDS-python-oauth__MedMij_Gegevensdienstnamenlijst_example.xml", "gnl-1.1"],
  ["kv-seed/lists/MedMij_Zorgaanbiederslijst.xml", "zal-1.1"],
  ["kv-seed/lists/MedMij_Whitelist.xml", "whitelist-1.1"],
  ["kv-seed/lists/MedMij_OAuthclientlist.xml", "ocl-release3"],
  ["kv-seed/lists/MedMij_OAuthclientlist.xml", "ocl-1.1"],
  ["kv-seed/lists/MedMij_Gegevensdienstnamenlijst.xml", "gnl-1.1"],
];

describe("same verdict as libxml2 on every fixture", () => {
  it.each(PAIRS)("%s against %s", (file, schema) => {
    const xml = read(file);
    expect(oursAccepts(xml, schema)).toBe(libxml2Accepts(xml, schema));
  });

  it("on the vendor Portabiliteitsrapport examples (in the project's namespace)", () => {
    for (const f of ["medmij-portability-report.xml", "medmij-portability-report-empty.xml"]) {
      const xml = read(`test/fixtures/medmij/portabiliteitsrapport/${f}`).replace("/PortabiliteitsRapport/release1/", "/portabiliteitsrapport/release1/");
      expect(libxml2Accepts(xml, "portabiliteitsrapport")).toBe(true);
      expect(oursAccepts(xml, "portabiliteitsrapport")).toBe(true);
    }
  });
});

// ---- random mutations of valid documents --------------------------------------------------------

const VALID: [string, SchemaName][] = [
  ["xsd-valid whitelist", "whitelist-1.1"],
  ["xsd-valid zal", "zal-1.1"],
  ["xsd-valid ocl3", "ocl-release3"],
  ["xsd-valid gnl", "gnl-1.1"],
  ["xsd-valid report", "portabiliteitsrapport"],
];
const VALID_TEXT: Record<string, string> = {
  "xsd-valid whitelist": read("test/fixtures/medmij/release-1.1/examples/MedMij_Whitelist_example.xml"),
  "xsd-valid zal": read("kv-seed/lists/MedMij_Zorgaanbiederslijst.xml"),
  "xsd-valid ocl3": read("kv-seed/lists/MedMij_OAuthclientlist.xml"),
  "xsd-valid gnl": read("test/fixtures/medmij/release-1.1/examples/MedMij_Gegevensdienstnamenlijst_example.xml"),
  "xsd-valid report": read("test/fixtures/medmij/portabiliteitsrapport/medmij-portability-report.xml").replace("/PortabiliteitsRapport/release1/", "/portabiliteitsrapport/release1/"),
};

/** Text values that probe the simple types: dates, numbers, hostnames, names, URIs, lengths. */
const VALUE = fc.oneof(
  fc.constantFrom("0", "-1", "+7", "007", "1e3", " 12 ", "99999999999999999999999", "", " ", "a", "A.nl", "a.nl", "a..nl", "-a.nl", "a-.nl", "a.b-c.d",
    "1.2.3", "x@medmij", "abc@medmij", "Abc@medmij", "ab1@medmij", "https://a.nl", "https://a.nl/x", "https://a.nl:443/x", "https://a.nl/x?y", "http://a.nl",
    "https://A.nl", "2019-02-29T00:00:00Z", "2020-02-29T00:00:00Z", "2020-02-29T24:00:00Z", "2020-02-29T24:00:01Z", "2020-13-01T00:00:00Z", "2020-01-01T00:00:00+14:00",
    "2020-01-01T00:00:00+14:01", "2020-01-01T00:00:00.123Z", "0000-01-01T00:00:00Z", "2020-01-01T00:00:00", "2020-01-01", "x".repeat(31), "x".repeat(51), "xx", "xxx"),
  fc.string({ maxLength: 12 }),
);

type Mutation =
  | { kind: "text"; index: number; value: string }
  | { kind: "drop"; index: number }
  | { kind: "duplicate"; index: number }
  | { kind: "swap"; index: number }
  | { kind: "case"; index: number }
  | { kind: "insert"; index: number; name: string };

const MUTATION: fc.Arbitrary<Mutation> = fc.oneof(
  fc.record({ kind: fc.constant("text" as const), index: fc.nat(), value: VALUE }),
  fc.record({ kind: fc.constant("drop" as const), index: fc.nat() }),
  fc.record({ kind: fc.constant("duplicate" as const), index: fc.nat() }),
  fc.record({ kind: fc.constant("swap" as const), index: fc.nat() }),
  fc.record({ kind: fc.constant("case" as const), index: fc.nat() }),
  fc.record({ kind: fc.constant("insert" as const), index: fc.nat(), name: fc.constantFrom("Hostname", "Volgnummer", "Gegevensdienst", "Extra", "GegevensdienstId") }),
);

const escape = (s: string) => s.replace(/&/g, "&amp;").replace(/</g, "&lt;").replace(/>/g, "&gt;");

/** Apply a mutation to the n-th leaf element (text) or the n-th element (structure), by text surgery. */
function mutate(xml: string, m: Mutation): string {
  const leaves = [...xml.matchAll(/<([A-Za-z]+)>([^<]*)<\/\1>/g)];
  const elements = [...xml.matchAll(/<([A-Za-z]+)>[\s\S]*?<\/\1>/g)].filter((e) => !e[0].startsWith(`<${xml.match(/<([A-Za-z]+)[ >]/)![1]}>`));
  if (m.kind === "text" && leaves.length) {
    const leaf = leaves[m.index % leaves.length]!;
    return xml.slice(0, leaf.index) + `<${leaf[1]}>${escape(m.value)}</${leaf[1]}>` + xml.slice(leaf.index! + leaf[0].length);
  }
  if (m.kind === "case" && leaves.length) {
    const leaf = leaves[m.index % leaves.length]!;
    return xml.slice(0, leaf.index) + `<${leaf[1]}>${escape(leaf[2]!.toUpperCase())}</${leaf[1]}>` + xml.slice(leaf.index! + leaf[0].length);
  }
  if (!elements.length) return xml;
  const el = elements[m.index % elements.length]!;
  const at = el.index!;
  const end = at + el[0].length;
  switch (m.kind) {
    case "drop":
      return xml.slice(0, at) + xml.slice(end);
    case "duplicate":
      return xml.slice(0, end) + el[0] + xml.slice(end);
    case "insert":
      return xml.slice(0, at) + `<${m.name}>x</${m.name}>` + xml.slice(at);
    case "swap": {
      const next = elements.find((e) => e.index! >= end);
      if (!next) return xml;
      return xml.slice(0, at) + next[0] + xml.slice(end, next.index) + el[0] + xml.slice(next.index! + next[0].length);
    }
    default:
      return xml;
  }
}

describe("same verdict as libxml2 on random mutations", () => {
  it.each(VALID)("%s (%s)", (key, schema) => {
    const base = VALID_TEXT[key]!;
    expect(libxml2Accepts(base, schema)).toBe(true);
    let rejected = 0;
    fc.assert(
      fc.property(fc.array(MUTATION, { minLength: 1, maxLength: 3 }), (mutations) => {
        const xml = mutations.reduce(mutate, base);
        const theirVerdict = libxml2Accepts(xml, schema);
        if (!theirVerdict) rejected++;
        expect(oursAccepts(xml, schema), xml).toBe(theirVerdict);
      }),
      { numRuns: 800, seed: 20261123 },
    );
    // The mutations must actually probe the validator, not only produce valid documents.
    expect(rejected).toBeGreaterThan(200);
  });
});
