/**
 * SPEC L-1, L-3, L-4, L-9, P-4: every public list example and implementation fixture is accepted or
 * rejected by its XSD, and every rejection names the element and the rule it broke.
 */
import { describe, expect, it } from "vitest";
import gnlVariantXsd from "../../fixtures/medmij/release-1.1/variants/PHP__MedMij_Gegevensdienstnamenlijst.xsd";
import oclVariantXsd from "../../fixtures/medmij/release-1.1/variants/PHP__MedMij_OAuthclientlist.xsd";
import wlVariantXsd from "../../fixtures/medmij/release-1.1/variants/PHP__MedMij_Whitelist.xsd";
import zalVariantXsd from "../../fixtures/medmij/release-1.1/variants/PHP__MedMij_Zorgaanbiederslijst.xsd";
import zalJavaXsd from "../../fixtures/medmij/release-1.1/variants/Zorgdoc-java__ZAL.xsd";
import gnlJavaXsd from "../../fixtures/medmij/release-1.1/variants/Zorgdoc-java__Gegevensdienstnamenlijst.xsd";
import dotnetWlXsd from "../../fixtures/medmij/release-1.0/variants/Dotnet__Whitelist.xsd";
import { compileSchema, validateXmlText } from "../../../workers/shared/xsd/index.ts";
import { CASES, FIXTURE_PATHS, SCHEMAS, fixture, portabilityExample } from "../../helpers/fixtures.ts";

const compiled = Object.fromEntries(Object.entries(SCHEMAS).map(([k, v]) => [k, compileSchema(v)]));

describe("public fixtures", () => {
  it("every XML fixture in test/fixtures/medmij is covered by a case", () => {
    const covered = new Set(CASES.map((c) => c.file));
    const xmlLists = FIXTURE_PATHS.filter((p) => !p.startsWith("portabiliteitsrapport/"));
    expect(xmlLists.filter((p) => !covered.has(p))).toEqual([]);
  });

  it.each(CASES.map((c) => [c.file, c.schema, c] as const))("%s against %s", (file, schema, c) => {
    const result = validateXmlText(fixture(file), compiled[schema]!);
    if (c.valid) {
      expect(result.ok ? [] : result.errors).toEqual([]);
    } else {
      expect(result.ok).toBe(false);
      if (!result.ok) expect(result.errors[0]!.message).toMatch(c.reason!);
    }
  });

  it.each(["medmij-portability-report.xml", "medmij-portability-report-empty.xml"] as const)(
    "P-4: the vendor Portabiliteitsrapport %s validates against the project's XSD",
    (name) => {
      expect(validateXmlText(portabilityExample(name), compiled.portabiliteitsrapport!)).toMatchObject({ ok: true });
    },
  );
});

describe("schema variants", () => {
  it.each([
    ["PHP whitelist", wlVariantXsd, "release-1.1/examples/MedMij_Whitelist_example.xml", "release-1.0/examples/MedMij_Whitelist_example.xml"],
    ["PHP ZAL", zalVariantXsd, "release-1.1/examples/MedMij_Zorgaanbiederslijst_example.xml", "impl-fixtures/GIDS-Python-OAuth/zal@47fb6b7.xml"],
    ["Zorgdoc ZAL", zalJavaXsd, "release-1.1/examples/MedMij_Zorgaanbiederslijst_example.xml", "impl-fixtures/GIDS-Python-OAuth/zal@fcebff7.xml"],
    ["PHP OAuthclientlist", oclVariantXsd, "release-1.1/examples/MedMij_OAuthclientlist_example.xml", "release-1.1/examples/MedMij_Whitelist_example.xml"],
    ["PHP GNL", gnlVariantXsd, "release-1.1/examples/MedMij_Gegevensdienstnamenlijst_example.xml", "release-1.1/examples/MedMij_OAuthclientlist_example.xml"],
    ["Zorgdoc GNL", gnlJavaXsd, "release-1.1/variants/GIDS-python-oauth__MedMij_Gegevensdienstnamenlijst_example.xml", "release-1.1/examples/MedMij_Whitelist_example.xml"],
    ["Dotnet whitelist (1.0)", dotnetWlXsd, "release-1.0/examples/MedMij_Whitelist_example.xml", "release-1.1/examples/MedMij_Whitelist_example.xml"],
  ])("%s compiles and judges like the original", (_name, xsd, validFile, invalidFile) => {
    const schema = compileSchema(xsd);
    expect(validateXmlText(fixture(validFile), schema).ok).toBe(true);
    expect(validateXmlText(fixture(invalidFile), schema).ok).toBe(false);
  });
});
