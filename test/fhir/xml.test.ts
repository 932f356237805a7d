/**
 * G-6 ("servers speak FHIR JSON and FHIR XML"): FHIR STU3 XML ⇄ JSON on Nictiz's qualification material, exactly
 * (trees compared canonically), and strict refusal of what FHIR XML does not allow.
 */
import { describe, expect, it } from "vitest";
import { FhirFormatError, parseFhirJson, stringifyFhirJson, type FhirObject } from "../../workers/fhir/formats/json.ts";
import { fhirJsonToXml, fhirXmlToJson } from "../../workers/fhir/formats/xml.ts";
import { TESTSCRIPT_DEVIATIONS, XML_FIXTURES, canonicalXml, comparableJson, fixture, isTestScript, testScriptAsStu3 } from "./fixtures.ts";

const RESOURCES = XML_FIXTURES.filter((p) => !isTestScript(p));
const TESTSCRIPTS = XML_FIXTURES.filter(isTestScript);
const TWINS = RESOURCES.filter((p) => {
  try {
    fixture(p.replace(/\.xml$/, ".json"));
    return true;
  } catch {
    return false;
  }
});

function refusal(f: () => unknown): FhirFormatError {
  try {
    f();
  } catch (e) {
    if (e instanceof FhirFormatError) return e;
    throw new Error(`expected a FhirFormatError, got ${String(e)}`);
  }
  throw new Error("expected a FhirFormatError, got a result");
}

describe("Nictiz fixtures", () => {
  it("are all here: resources and TestScripts, with JSON twins", () => {
    expect(RESOURCES.length).toBe(130);
    expect(TESTSCRIPTS.length).toBe(75);
    expect(TWINS.length).toBe(5);
  });

  it.each(RESOURCES)("%s: XML → JSON → XML is the same tree", (path) => {
    const text = fixture(path);
    const xml = fhirJsonToXml(fhirXmlToJson(text));
    expect(canonicalXml(xml)).toEqual(canonicalXml(text));
  });

  it.each(TESTSCRIPTS)("%s: refused only for its R4-isms; as STU3, XML → JSON → XML is the same tree", (path) => {
    const text = fixture(path);
    const e = refusal(() => fhirXmlToJson(text));
    expect(TESTSCRIPT_DEVIATIONS.some((d) => d.test(e.message)), e.message).toBe(true);
    const stu3 = testScriptAsStu3(text);
    expect(canonicalXml(fhirJsonToXml(fhirXmlToJson(stu3)))).toEqual(canonicalXml(stu3));
  });

  it.each(TWINS)("%s: XML → JSON equals Nictiz's JSON twin, and the twin → XML equals the XML", (path) => {
    const text = fixture(path);
    // Nictiz's converter wrote the XML's empty `alt=""` of the narrative's <img> as `alt="null"`: that one slip undone.
    const twinText = fixture(path.replace(/\.xml$/, ".json"));
    expect(twinText.includes('alt=\\"null\\"')).toBe(text.includes('alt=""'));
    const twin = parseFhirJson(twinText.replaceAll('alt=\\"null\\"', 'alt=\\"\\"'));
    expect(comparableJson(fhirXmlToJson(text))).toEqual(comparableJson(twin));
    expect(canonicalXml(fhirJsonToXml(twin))).toEqual(canonicalXml(text));
  });
});

describe("the mapping, case by case", () => {
  const NS = 'xmlns="http://hl7.org/fhir"';

  it("primitive arrays with ids and extensions get parallel _name arrays with nulls (json.html)", () => {
    const xml = `<Patient ${NS}><name><given value="A"/><given id="g2"><extension url="http://x"><valueCode value="IN"/></extension></given><given value="C"/></name></Patient>`;
    const json = fhirXmlToJson(xml);
    expect(json).toEqual({
      resourceType: "Patient",
      name: [{ given: ["A", null, "C"], _given: [null, { id: "g2", extension: [{ url: "http://x", valueCode: "IN" }] }, null] }],
    });
    expect(canonicalXml(fhirJsonToXml(json))).toEqual(canonicalXml(xml));
  });

  it("a repeating element is an array even with one item; a single one is not", () => {
    const json = fhirXmlToJson(`<Observation ${NS}><status value="final"/><code><coding><code value="x"/></coding></code></Observation>`);
    expect(json).toEqual({ resourceType: "Observation", status: "final", code: { coding: [{ code: "x" }] } });
  });

  it("Resource.id is an element, Element.id and Extension.url are attributes", () => {
    const xml = `<Observation ${NS}><id value="o1"/><extension id="e1" url="http://x"><valueBoolean value="true"/></extension><status value="final"/><code id="c1"><text value="t"/></code></Observation>`;
    const json = fhirXmlToJson(xml);
    expect(json).toEqual({ resourceType: "Observation", id: "o1", extension: [{ id: "e1", url: "http://x", valueBoolean: true }], status: "final", code: { id: "c1", text: "t" } });
    const back = fhirJsonToXml(json);
    expect(back).toContain('<extension id="e1" url="http://x">');
    expect(back).toContain('<id value="o1"/>');
    expect(canonicalXml(back)).toEqual(canonicalXml(xml));
  });

  it("booleans, integers and decimals become JSON booleans and numbers, decimals exactly", () => {
    const xml = `<Observation ${NS}><extension url="http://x"><valueInteger value="12"/></extension><status value="final"/><code><text value="t"/></code><valueQuantity><value value="1.50"/></valueQuantity><referenceRange><low><value value="0.000"/></low><high><value value="-0.5"/></high></referenceRange></Observation>`;
    const json = fhirXmlToJson(xml);
    const text = stringifyFhirJson(json);
    expect(text).toContain('"valueQuantity":{"value":1.50}');
    expect(text).toContain('"low":{"value":0.000}');
    expect(text).toContain('"high":{"value":-0.5}');
    expect(text).toContain('"valueInteger":12');
    const again = fhirJsonToXml(parseFhirJson(text));
    expect(again).toContain('<value value="1.50"/>');
    expect(again).toContain('<value value="0.000"/>');
    expect(canonicalXml(again)).toEqual(canonicalXml(xml));
  });

  it("contained resources and Bundle entry resources are wrapped in an element named by their type", () => {
    const json = parseFhirJson(JSON.stringify({
      resourceType: "Bundle",
      type: "collection",
      entry: [{ resource: { resourceType: "Observation", contained: [{ resourceType: "Patient", id: "p" }], status: "final", code: { text: "x" } } }],
    }));
    const xml = fhirJsonToXml(json);
    expect(xml).toMatch(/<entry>\s*<resource>\s*<Observation>\s*<contained>\s*<Patient>\s*<id value="p"\/>\s*<\/Patient>\s*<\/contained>/);
    expect(fhirXmlToJson(xml)).toEqual(json);
  });

  it("the narrative is XHTML in its namespace in XML and a serialized div in JSON, escaped both ways", () => {
    const xml = `<Basic ${NS}><text><status value="generated"/><div xmlns="http://www.w3.org/1999/xhtml"><p class="a&amp;b">1 &lt; 2 &amp; "q"</p><br/></div></text><code><text value="x"/></code></Basic>`;
    const json = fhirXmlToJson(xml);
    expect((json["text"] as { div: string }).div).toBe('<div xmlns="http://www.w3.org/1999/xhtml"><p class="a&amp;b">1 &lt; 2 &amp; "q"</p><br/></div>');
    const back = fhirJsonToXml(json);
    expect(back).toContain('<div xmlns="http://www.w3.org/1999/xhtml"><p class="a&amp;b">1 &lt; 2 &amp; "q"</p><br/></div>');
    expect(canonicalXml(back)).toEqual(canonicalXml(xml));
  });

  it("a prefixed XHTML narrative is read and written unprefixed", () => {
    const json = fhirXmlToJson(`<Basic ${NS} xmlns:h="http://www.w3.org/1999/xhtml"><text><status value="generated"/><h:div><h:p>x</h:p></h:div></text><code><text value="x"/></code></Basic>`);
    expect((json["text"] as { div: string }).div).toBe('<div xmlns="http://www.w3.org/1999/xhtml"><p>x</p></div>');
  });

  it("attribute values keep tabs, newlines and carriage returns (as character references)", () => {
    const json = parseFhirJson(JSON.stringify({ resourceType: "Basic", code: { text: "a\tb\nc\r\nd \"e\" <f> & g" } }));
    const xml = fhirJsonToXml(json);
    expect(xml).toContain('<text value="a&#9;b&#10;c&#13;&#10;d &quot;e&quot; &lt;f&gt; &amp; g"/>');
    expect(fhirXmlToJson(xml)).toEqual(json);
  });

  it("writes the XML declaration, the FHIR namespace on the root, elements in definition order", () => {
    const json = parseFhirJson('{"code":{"text":"x"},"status":"final","resourceType":"Observation","id":"a"}');
    expect(fhirJsonToXml(json)).toBe(
      `<?xml version="1.0" encoding="UTF-8"?>\n<Observation ${NS}>\n  <id value="a"/>\n  <status value="final"/>\n  <code>\n    <text value="x"/>\n  </code>\n</Observation>\n`,
    );
  });

  it("Binary.content is a base64Binary primitive", () => {
    const xml = `<Binary ${NS}><contentType value="application/pdf"/><content value="JVBERi0="/></Binary>`;
    expect(fhirXmlToJson(xml)).toEqual({ resourceType: "Binary", contentType: "application/pdf", content: "JVBERi0=" });
  });

  it("comments are ignored", () => {
    expect(fhirXmlToJson(`<!-- a --><Basic ${NS}><!-- b --><code><!-- c --><text value="x"/></code></Basic>`)).toEqual({ resourceType: "Basic", code: { text: "x" } });
  });
});

describe("refusals (FhirFormatError with a path, never a crash)", () => {
  const NS = 'xmlns="http://hl7.org/fhir"';
  const cases: readonly (readonly [string, string, RegExp])[] = [
    ["malformed XML", `<Patient ${NS}><active value="true"></Patient>`, /^not well-formed XML: end tag 'Patient' does not match start tag 'active'/],
    ["a DOCTYPE", `<!DOCTYPE Patient [<!ENTITY x "y">]><Patient ${NS}/>`, /document type declarations are not allowed/],
    ["no namespace", "<Patient><active value=\"true\"/></Patient>", /element <Patient> is not in the FHIR namespace/],
    ["a wrong namespace on the root", `<Patient xmlns="http://hl7.org/fhir/x"/>`, /is not in the FHIR namespace/],
    ["a wrong namespace on a child", `<Patient ${NS}><active xmlns="urn:x" value="true"/></Patient>`, /^Patient: element <active> must be in the namespace http:\/\/hl7.org\/fhir/],
    ["an XHTML element outside the narrative", `<Patient ${NS}><div xmlns="http://www.w3.org/1999/xhtml"/></Patient>`, /^Patient: unknown element <div> in Patient/],
    ["a FHIR div as narrative", `<Basic ${NS}><text><status value="generated"/><div>x</div></text></Basic>`, /^Basic.text: element <div> must be in the namespace http:\/\/www.w3.org\/1999\/xhtml/],
    ["a foreign element in the narrative", `<Basic ${NS}><text><status value="generated"/><div xmlns="http://www.w3.org/1999/xhtml"><x:script xmlns:x="urn:evil"/></div></text></Basic>`, /^Basic.text.div: element <x:script> in the narrative is not XHTML/],
    ["an unknown resource type", `<Foo ${NS}/>`, /<Foo> is not a FHIR STU3 resource type/],
    ["an unknown element", `<Patient ${NS}><nickname value="x"/></Patient>`, /^Patient: unknown element <nickname> in Patient/],
    ["__proto__ as an element", `<Patient ${NS}><__proto__ value="x"/></Patient>`, /^Patient: unknown element <__proto__> in Patient/],
    ["an unexpected attribute", `<Patient ${NS}><active value="true" foo="1"/></Patient>`, /^Patient.active: unexpected attribute foo on <active>/],
    ["an attribute on the root", `<Patient ${NS} id="x"/>`, /^Patient: unexpected attribute id on <Patient>/],
    ["text content", `<Patient ${NS}><active value="true">yes</active></Patient>`, /^Patient.active: text content is not allowed in active/],
    ["text between elements", `<Patient ${NS}>hello<active value="true"/></Patient>`, /^Patient: text content is not allowed in Patient/],
    ["a value attribute on a complex element", `<Patient ${NS}><name value="x"/></Patient>`, /^Patient.name\[0\]: HumanName is not a primitive type: a value attribute is not allowed here/],
    ["an empty primitive", `<Patient ${NS}><active/></Patient>`, /^Patient.active: the element has neither a value nor extensions/],
    ["an empty value attribute", `<Patient ${NS}><gender value=""/></Patient>`, /^Patient.gender: attribute value is empty/],
    ["an empty complex element", `<Patient ${NS}><name/></Patient>`, /^Patient.name\[0\]: the element is empty/],
    ["a non-repeating element twice", `<Patient ${NS}><active value="true"/><active value="false"/></Patient>`, /^Patient: element active appears more than once/],
    ["elements out of order", `<Patient ${NS}><gender value="male"/><active value="true"/></Patient>`, /^Patient: element active is out of order \(it belongs before gender\)/],
    ["a repeating element interrupted", `<Patient ${NS}><name><given value="a"/><prefix value="b"/><given value="c"/></name></Patient>`, /^Patient.name\[0\]: element given is out of order/],
    ["two choice variants", `<Observation ${NS}><status value="final"/><code><text value="x"/></code><valueString value="a"/><valueBoolean value="true"/></Observation>`, /only one of value\[x\] is allowed \(valueString and valueBoolean\)/],
    ["a bad boolean", `<Patient ${NS}><active value="yes"/></Patient>`, /^Patient.active: "yes" is not a boolean/],
    ["a number JSON cannot carry", `<Observation ${NS}><status value="final"/><code><text value="x"/></code><valueQuantity><value value="+1.5"/></valueQuantity></Observation>`, /"\+1.5" is not a valid decimal/],
    ["a resource id with extensions", `<Patient ${NS}><id value="a"><extension url="u"><valueString value="v"/></extension></id></Patient>`, /^Patient.id: id cannot have an id or extensions here/],
    ["id as an element of a data type", `<Patient ${NS}><name><id value="x"/></name></Patient>`, /^Patient.name\[0\]: unknown element <id> in HumanName/],
    ["an empty contained", `<Patient ${NS}><contained/></Patient>`, /^Patient.contained\[0\]: contained holds no resource/],
    ["two resources in one container", `<Patient ${NS}><contained><Basic><code><text value="x"/></code></Basic><Basic><code><text value="y"/></code></Basic></contained></Patient>`, /contained holds exactly one resource/],
    ["a processing instruction", `<Patient ${NS}><?evil x?><active value="true"/></Patient>`, /processing instructions are not allowed in FHIR XML/],
    ["an undefined entity", `<Patient ${NS}><gender value="&xxe;"/></Patient>`, /entity 'xxe' is not defined/],
  ];

  it.each(cases)("%s", (_, xml, message) => {
    expect(refusal(() => fhirXmlToJson(xml)).message).toMatch(message);
  });

  it("reports the line of the offending element", () => {
    const e = refusal(() => fhirXmlToJson(`<Patient ${NS}>\n  <active value="true"/>\n  <bogus value="x"/>\n</Patient>`));
    expect(e.line).toBe(3);
    expect(e.path).toBe("Patient");
  });

  it("deep nesting is refused by the parser's bound, not by the stack", () => {
    const deep = `<Patient ${NS}>${"<extension url=\"u\">".repeat(200)}${"</extension>".repeat(200)}</Patient>`;
    expect(refusal(() => fhirXmlToJson(deep)).message).toMatch(/elements nested deeper than 128/);
  });

  it("oversized input is refused before parsing, and the message does not echo it", () => {
    const big = `<Patient ${NS}><gender value="${"x".repeat(1000)}"/></Patient>`;
    const e = refusal(() => fhirXmlToJson(big, { maxLength: 500 }));
    expect(e.message).toBe("the XML is longer than 500 characters");
  });

  it("too many nodes are refused", () => {
    const many = `<Patient ${NS}><name>${'<given value="x"/>'.repeat(2000)}</name></Patient>`;
    expect(refusal(() => fhirXmlToJson(many, { maxNodes: 1000 })).message).toMatch(/more than 1000 nodes/);
  });

  it("a huge element name in an error is clipped", () => {
    const name = "a".repeat(100_000);
    const e = refusal(() => fhirXmlToJson(`<Patient ${NS}><${name}/></Patient>`));
    expect(e.message.length).toBeLessThan(300);
  });
});

describe("JSON → XML refusals", () => {
  const cases: readonly (readonly [string, string, RegExp])[] = [
    ["an unknown property", '{"resourceType":"Patient","nickname":"x"}', /^Patient: unknown property "nickname" in Patient/],
    ["an array where single", '{"resourceType":"Patient","active":[true]}', /^Patient.active: active does not repeat/],
    ["a single where array", '{"resourceType":"Patient","name":{"family":"x"}}', /^Patient.name: name repeats: a JSON array is expected/],
    ["a string for a boolean", '{"resourceType":"Patient","active":"true"}', /^Patient.active: boolean must be a JSON boolean/],
    ["an empty string", '{"resourceType":"Patient","gender":""}', /^Patient.gender: an empty string is not allowed/],
    ["an empty object", '{"resourceType":"Patient","maritalStatus":{}}', /^Patient.maritalStatus: an empty object is not allowed/],
    ["an empty array", '{"resourceType":"Patient","name":[]}', /^Patient.name: an array is never empty/],
    ["misaligned _given", '{"resourceType":"Patient","name":[{"given":["a","b"],"_given":[null]}]}', /given and _given have different lengths/],
    ["a null item without extension", '{"resourceType":"Patient","name":[{"given":["a",null]}]}', /^Patient.name\[0\].given\[1\]: an item has neither a value nor extensions/],
    ["_id on a resource", '{"resourceType":"Patient","id":"a","_id":{"extension":[{"url":"u","valueString":"v"}]}}', /unknown property "_id" in Patient/],
    ["_url on an extension", '{"resourceType":"Patient","extension":[{"url":"u","_url":{"id":"x"},"valueString":"v"}]}', /unknown property "_url" in Extension/],
    ["a control character", '{"resourceType":"Patient","gender":"a\\u0001"}', /holds U\+0001, which XML cannot carry/],
    ["a lone surrogate", '{"resourceType":"Patient","gender":"a\\ud800"}', /holds U\+D800/],
    ["a narrative that is not XHTML", '{"resourceType":"Basic","text":{"status":"generated","div":"<div>x</div>"},"code":{"text":"x"}}', /^Basic.text.div: the narrative must be a <div> in the XHTML namespace/],
    ["a narrative that is not XML", '{"resourceType":"Basic","text":{"status":"generated","div":"<div xmlns=\\"http://www.w3.org/1999/xhtml\\"><b></div>"},"code":{"text":"x"}}', /the narrative is not well-formed XHTML/],
    ["a narrative with a DOCTYPE", '{"resourceType":"Basic","text":{"status":"generated","div":"<!DOCTYPE div><div xmlns=\\"http://www.w3.org/1999/xhtml\\"/>"},"code":{"text":"x"}}', /document type declarations are not allowed/],
    ["two choice variants", '{"resourceType":"Observation","status":"final","code":{"text":"x"},"valueString":"a","valueBoolean":true}', /only one of value\[x\] is allowed/],
  ];

  it.each(cases)("%s", (_, json, message) => {
    expect(refusal(() => fhirJsonToXml(parseFhirJson(json))).message).toMatch(message);
  });

  it("refuses JSON nested absurdly deep (only possible when built in code) instead of overflowing the stack", () => {
    let ext: FhirObject = { url: "u", valueString: "x" };
    for (let i = 0; i < 10_000; i++) ext = { url: "u", extension: [ext] };
    expect(refusal(() => fhirJsonToXml({ resourceType: "Patient", extension: [ext] })).message).toMatch(/nested deeper than 256 elements/);
  });

  it("refuses a value that is not a resource", () => {
    expect(refusal(() => fhirJsonToXml([] as never)).message).toMatch(/a resource must be a JSON object/);
    expect(refusal(() => fhirJsonToXml({ resourceType: "Nope" })).message).toMatch(/"Nope" is not a FHIR STU3 resource/);
  });
});
