/**
 * Loading: every vendored Nictiz script loads with every element understood, and an element the engine does not
 * implement is reported with its path, never dropped.
 */
import { readFileSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { DOMParser, type Element as XmlElement } from "@xmldom/xmldom";
import { describe, expect, it } from "vitest";
import { listCertScripts, listTestScripts, loadTestScript } from "./index.mjs";
import { NICTIZ, assertAction, oneTest, searchOperation, tempFiles, testScript } from "./helpers.ts";

const STANDARDS = ["BgZ-3-0", "LaboratoryResults-2-0", "PDFA-3-0", "SelfMeasurements-2-0"];
const ROLES = ["XIS-Server", "Serving-XIS", "Receiving-XIS", "PHR-Client", "Retrieving-PHR", "Sending-PHR", "_LoadResources"];

function vendoredScripts(): { standard: string; role: string; path: string }[] {
  return STANDARDS.flatMap((standard) =>
    ROLES.flatMap((role) => {
      try {
        return listCertScripts(join(NICTIZ, standard), role).map((path) => ({ standard, role, path }));
      } catch {
        return []; // this standard has no such role
      }
    }),
  );
}

describe("the vendored scripts", () => {
  const all = vendoredScripts();

  it("are 75: 50 XIS-side, 21 PHR-side and 4 load scripts", () => {
    const count = (roles: string[]) => all.filter((s) => roles.includes(s.role)).length;
    expect(all).toHaveLength(75);
    expect(count(["XIS-Server", "Serving-XIS", "Receiving-XIS"])).toBe(50);
    expect(count(["PHR-Client", "Retrieving-PHR", "Sending-PHR"])).toBe(21);
    expect(count(["_LoadResources"])).toBe(4);
  });

  it("all load, with no unsupported element", () => {
    for (const { path } of all) {
      const script = loadTestScript(path);
      expect(script.unsupported, path).toEqual([]);
      expect(script.tests.length, path).toBeGreaterThan(0);
    }
  });

  it("use these operation types, operators and assert elements", () => {
    const seen = { types: new Set<string>(), asserts: new Set<string>(), operators: new Set<string>() };
    for (const { path } of all) {
      const script = loadTestScript(path);
      for (const action of [...script.setup, ...script.tests.flatMap((t) => t.actions)]) {
        if (action.kind === "operation") seen.types.add(action.operation.type);
        else {
          for (const [k, v] of Object.entries(action.assert)) if (v !== undefined && v !== false) seen.asserts.add(k);
          if (action.assert.operator) seen.operators.add(action.assert.operator);
        }
      }
    }
    expect([...seen.types].sort()).toEqual(["batch", "get", "purge", "read", "search", "transaction", "update"]);
    expect([...seen.operators].sort()).toEqual(["equals", "in", "notContains", "notEquals"]);
    for (const element of ["responseCode", "direction", "resource", "expression", "value", "headerField", "requestURL", "validateProfileId", "ruleId", "stopTestOnFail", "warningOnly"]) {
      expect(seen.asserts, element).toContain(element);
    }
  });

  it("use these operation and assert elements, counted with xmldom alone (the loader reads each of them)", () => {
    const under = { operation: new Set<string>(), assert: new Set<string>() };
    for (const { path } of all) {
      const doc = new DOMParser().parseFromString(readFileSync(path, "utf8"), "text/xml");
      for (const kind of ["operation", "assert"] as const) {
        for (const el of Array.from(doc.getElementsByTagName(kind))) {
          for (let c = el.firstChild; c; c = c.nextSibling) if (c.nodeType === 1) under[kind].add((c as XmlElement).localName ?? "");
        }
      }
    }
    expect([...under.operation].sort()).toEqual(["accept", "contentType", "description", "destination", "encodeRequestUrl", "origin", "params", "requestHeader", "resource", "responseId", "sourceId", "type", "url"]);
    expect([...under.assert].sort()).toEqual(["description", "direction", "expression", "extension", "headerField", "operator", "requestURL", "resource", "responseCode", "stopTestOnFail", "validateProfileId", "value", "warningOnly"]);
  });
});

describe("request bodies", () => {
  it("never need JSON turned into XML: each body fixture is in the operation's format, or XML for a JSON operation", () => {
    const pairs = new Set<string>();
    for (const { path } of vendoredScripts()) {
      const script = loadTestScript(path);
      for (const action of [...script.setup, ...script.tests.flatMap((t) => t.actions)]) {
        if (action.kind !== "operation" || action.operation.sourceId === undefined) continue;
        pairs.add(`${action.operation.contentType ?? "(none)"} <- ${script.fixtures[action.operation.sourceId]?.format}`);
      }
    }
    expect([...pairs].sort()).toEqual(["(none) <- xml", "json <- json", "xml <- xml"]); // (none): the PHR-side scripts, whose bodies the PGO sends
  });
});

describe("listCertScripts / listTestScripts", () => {
  it("list the TestScripts of a role, sorted, and refuse a missing role", () => {
    const scripts = listCertScripts(join(NICTIZ, "BgZ-3-0"), "XIS-Server");
    expect(scripts.map((p) => p.split("/").at(-1))).toEqual([
      "medmij-bgz-xis-1-1-serve-bgz-json.xml", "medmij-bgz-xis-1-1-serve-bgz-xml.xml",
      "medmij-bgz-xis-1-2-serve-bgz-json.xml", "medmij-bgz-xis-1-2-serve-bgz-xml.xml",
    ]);
    expect(() => listCertScripts(join(NICTIZ, "BgZ-3-0"), "Serving-XIS")).toThrow(/no directory/);
  });

  it("leave out XML files that are not TestScripts", () => {
    const dir = tempFiles({ "a.xml": testScript(oneTest(searchOperation("Patient", ""))), "b.xml": `<Patient xmlns="http://hl7.org/fhir"/>` });
    expect(listTestScripts(dir).map((p) => p.split("/").at(-1))).toEqual(["a.xml"]);
  });
});

describe("a script's model", () => {
  it("keeps variables, fixtures (with their text), profiles, rules and properties", () => {
    const script = loadTestScript(join(NICTIZ, "PDFA-3-0/MedMij/Cert/XIS-Server/medmij-pdfa-xis-3-1-receive-1-document-json.xml"));
    expect(script.properties).toMatchObject({ role: { name: "XIS-Server" } });
    expect(script.profiles).toEqual({ "Bundle-profile": "http://hl7.org/fhir/StructureDefinition/Bundle" });
    expect(script.fixtures["scenario-3-1-bundle-fixture"]).toMatchObject({ format: "json" });
    expect(script.fixtures["scenario-3-1-bundle-fixture"]?.text).toContain('"resourceType": "Bundle"');
    expect(script.variables.find((v) => v.name === "T")).toEqual({ name: "T", defaultValue: "${CURRENTDATE}" });
    expect(script.destinations).toEqual([{ index: 1, profile: "FHIR-Server", systemUnderTest: true }]);
    const rules = loadTestScript(join(NICTIZ, "BgZ-3-0/MedMij/Cert/XIS-Server/medmij-bgz-xis-1-1-serve-bgz-json.xml")).rules;
    expect(rules["assert-response-queryParamsInSelfLink"]?.port).toBeTypeOf("function");
  });
});

describe("what the engine does not implement", () => {
  function load(body: string, extraFiles: Record<string, string> = {}) {
    const dir = tempFiles({ "s.xml": testScript(body), ...extraFiles });
    return loadTestScript(join(dir, "s.xml"));
  }

  it("is listed with its path, at every level", () => {
    const script = load(
      `<metadata><capability><required value="true"/></capability></metadata>` +
      `<variable><name value="h"/><headerField value="Location"/><sourceId value="r"/></variable>` +
      oneTest(
        `<action><operation><type><code value="search"/></type><resource value="Patient"/><targetId value="x"/></operation></action>` +
        `<action><operation><type><code value="patch"/></type><resource value="Patient"/></operation></action>` +
        assertAction(`<path value="fhir:Patient"/>`) +
        assertAction(`<expression value="true"/><operator value="matches"/>`) +
        assertAction(`<expression value="true"/><resource value="Patient"/>`) +
        assertAction(`<description value="nothing"/>`) +
        assertAction(`<extension url="http://example.org/unknown"/><expression value="true"/>`) +
        assertAction(`<extension url="http://touchstone.aegis.net/touchstone/fhir/testing/StructureDefinition/testscript-assert-rule"><extension url="ruleId"><valueId value="undeclared"/></extension></extension>`) +
        `<action><nts:thing xmlns:nts="http://nictiz.nl/xsl/testscript"/></action>`,
      ),
    );
    expect(script.unsupported).toEqual([
      "TestScript.metadata",
      "TestScript.variable[0].headerField",
      "TestScript.test[0].action[0].operation.targetId",
      "TestScript.test[0].action[1].operation.type=patch",
      "TestScript.test[0].action[2].assert.path",
      "TestScript.test[0].action[2].assert: checks nothing",
      "TestScript.test[0].action[3].assert.operator=matches",
      "TestScript.test[0].action[4].assert: checks expression and resource at once",
      "TestScript.test[0].action[5].assert: checks nothing",
      "TestScript.test[0].action[6].assert.extension (http://example.org/unknown)",
      "TestScript.test[0].action[7].assert.extension: rule undeclared is not declared by the script",
      "TestScript.test[0].action[8].thing",
    ]);
    expect(script.tests[0]?.actions[0]?.unsupported).toEqual(["TestScript.test[0].action[0].operation.targetId"]);
  });

  it("includes a rule whose Groovy file is not the one ported", () => {
    const groovy = readFileSync(join(NICTIZ, "BgZ-3-0/MedMij/Cert/_reference/rules/assert_response_queryParamsInSelfLink.groovy"), "utf8");
    const rule = (path: string) =>
      `<extension url="http://touchstone.aegis.net/touchstone/fhir/testing/StructureDefinition/testscript-rule">` +
      `<extension url="ruleId"><valueId value="r"/></extension><extension url="path"><valueString value="${path}"/></extension></extension>`;
    const use = oneTest(assertAction(`<extension url="http://touchstone.aegis.net/touchstone/fhir/testing/StructureDefinition/testscript-assert-rule"><extension url="ruleId"><valueId value="r"/></extension></extension>`));
    expect(load(rule("rules/same.groovy") + use, { "rules/same.groovy": groovy }).unsupported).toEqual([]);
    expect(load(rule("rules/changed.groovy") + use, { "rules/changed.groovy": `${groovy}\n// changed` }).unsupported).toEqual([
      "TestScript.test[0].action[0].assert.extension: rule r: rules/changed.groovy is not the Groovy source this engine ported (its SHA-256 differs)",
    ]);
  });

  it("includes fixtures the engine would have to create or delete, and refuses a missing fixture file", () => {
    const fixture = (auto: string, file: string) => `<fixture id="f"><autocreate value="${auto}"/><autodelete value="false"/><resource><reference value="${file}"/></resource></fixture>`;
    expect(load(fixture("true", "p.xml") + oneTest(searchOperation("Patient", "")), { "p.xml": `<Patient xmlns="http://hl7.org/fhir"/>` }).unsupported).toEqual(["TestScript.fixture[0].autocreate=true"]);
    const dir = tempFiles({});
    writeFileSync(join(dir, "s.xml"), testScript(fixture("false", "missing.xml")));
    expect(() => loadTestScript(join(dir, "s.xml"))).toThrow(/fixture f refers to missing.xml, which does not exist/);
  });
});
