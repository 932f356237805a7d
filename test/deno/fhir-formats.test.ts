/**
 * Deno: the FHIR formats (workers/fhir/formats) behave as in workerd (G-6): Nictiz's fixtures round-trip XML → JSON
 * → XML as the same tree, the JSON twin matches, and decimals keep their exact text (JSON.rawJSON and the
 * reviver's source text exist on Deno as on workerd).
 */
import assert from "node:assert/strict";
import { exactDecimals, parseFhirJson, stringifyFhirJson } from "../../workers/fhir/formats/json.ts";
import { fhirJsonToXml, fhirXmlToJson } from "../../workers/fhir/formats/xml.ts";
import { validateStructure } from "../../workers/fhir/validate.ts";
import { canonicalXml, comparableJson, substituteDates } from "../fhir/canonical.ts";

const NICTIZ = new URL("../fixtures/nictiz/", import.meta.url);
const read = (path: string) => Deno.readTextFile(new URL(path, NICTIZ));

const FIXTURES = [
  "PDFA-3-0/MedMij/Cert/_reference/resources/medmij-pdfa-Bundle-kwalificatie2.xml",
  "PDFA-3-0/MedMij/Cert/_reference/resources/medmij-pdfa-Binary-kwalificatie5.xml",
  "SelfMeasurements-2-0/MedMij/Cert/_reference/resources-serve-receive/medmij-selfmeasurements-serve-receive-scenario-2-1-bundle.xml",
  "BgZ-3-0/MedMij/Cert/_reference/resources/medmij-bgz-medicationagreement-ts-01.xml",
  "LaboratoryResults-2-0/MedMij/Cert/_reference/resources-query-send/medmij-laboratoryresults-observation2-BloodGlucose.xml",
] as const;

Deno.test("FHIR formats on Deno: round trips, the JSON twin, exact decimals", async (t) => {
  for (const path of FIXTURES) {
    await t.step(`${path.split("/").pop()}: XML → JSON → XML is the same tree`, async () => {
      const text = await read(path).catch(() => undefined);
      if (text === undefined) throw new Error(`missing fixture ${path}`);
      const started = performance.now();
      const json = fhirXmlToJson(text);
      const read1 = performance.now() - started;
      const xml = fhirJsonToXml(json);
      const write1 = performance.now() - started - read1;
      assert.deepEqual(canonicalXml(xml), canonicalXml(text));
      assert.deepEqual(validateStructure(fhirXmlToJson(substituteDates(text))), []);
      if (text.length > 1_000_000) console.log(`Deno, ${text.length} characters: XML → JSON ${read1.toFixed(1)} ms, JSON → XML ${write1.toFixed(1)} ms`);
    });
  }

  await t.step("the PDF/A Bundle matches Nictiz's JSON twin both ways", async () => {
    const path = "PDFA-3-0/MedMij/Cert/_reference/resources/medmij-pdfa-Bundle-kwalificatie2";
    const text = await read(`${path}.xml`);
    // Nictiz's converter wrote the narrative <img>'s empty alt="" as alt="null" (see test/fhir/xml.test.ts).
    const twin = parseFhirJson((await read(`${path}.json`)).replaceAll('alt=\\"null\\"', 'alt=\\"\\"'));
    assert.deepEqual(comparableJson(fhirXmlToJson(text)), comparableJson(twin));
    assert.deepEqual(canonicalXml(fhirJsonToXml(twin)), canonicalXml(text));
  });

  await t.step("decimals keep their exact text through JSON and XML", () => {
    assert.equal(exactDecimals, true);
    for (const n of ["1.50", "0.000", "-0.5", "1e3", "12345678901234567890"]) {
      const text = `{"resourceType":"Observation","status":"final","code":{"text":"x"},"valueQuantity":{"value":${n}}}`;
      const parsed = parseFhirJson(text);
      assert.equal(stringifyFhirJson(parsed), text);
      const xml = fhirJsonToXml(parsed);
      assert.ok(xml.includes(`<value value="${n}"/>`), xml);
      assert.equal(stringifyFhirJson(fhirXmlToJson(xml)), text);
    }
  });
});
