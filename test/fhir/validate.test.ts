/**
 * Structural validation against the STU3 base structure: every Nictiz resource passes; targeted breakages are
 * reported at the right FHIRPath-like location with a message fit for an OperationOutcome.
 */
import { describe, expect, it } from "vitest";
import { parseFhirJson, type FhirJson, type FhirObject } from "../../workers/fhir/formats/json.ts";
import { fhirXmlToJson } from "../../workers/fhir/formats/xml.ts";
import { validateStructure, type StructureIssue } from "../../workers/fhir/validate.ts";
import { JSON_FIXTURES, XML_FIXTURES, fixture, isTestScript, substituteDates, testScriptAsStu3 } from "./fixtures.ts";

const OBS = { resourceType: "Observation", status: "final", code: { text: "x" } } as const;
const check = (resource: unknown): StructureIssue[] => validateStructure(resource as FhirJson);
/** Through the real parser, so decimals and duplicates behave as on a request. */
const checkText = (text: string): StructureIssue[] => validateStructure(parseFhirJson(text));

describe("Nictiz's material is valid STU3 structure", () => {
  it.each(XML_FIXTURES.filter((p) => !isTestScript(p)))("%s", (path) => {
    expect(validateStructure(fhirXmlToJson(substituteDates(fixture(path))))).toEqual([]);
  });

  it.each(JSON_FIXTURES)("%s (JSON)", (path) => {
    expect(validateStructure(parseFhirJson(substituteDates(fixture(path))))).toEqual([]);
  });

  it("and so are the TestScripts once their R4-isms are rewritten", () => {
    const problems = XML_FIXTURES.filter(isTestScript).flatMap((p) => validateStructure(fhirXmlToJson(substituteDates(testScriptAsStu3(fixture(p))))).map((i) => `${p}: ${i.location}: ${i.message}`));
    expect(problems).toEqual([]);
  });

  it("date placeholders are substituted as the engine does", () => {
    expect(substituteDates("${DATE, T, D, -24}|${DATE, T, D,-5}|${CURRENTDATE}", new Date("2026-03-01T12:00:00Z"))).toBe("2026-02-05|2026-02-24|2026-03-01");
  });
});

describe("refusals, each at its location", () => {
  const cases: readonly (readonly [string, unknown, string, StructureIssue["code"], RegExp])[] = [
    ["an unknown element", { resourceType: "Patient", nickname: "x" }, "Patient.nickname", "structure", /unknown element "nickname" in Patient/],
    ["an unknown element deep down", { ...OBS, component: [{ code: { text: "a" } }, { code: { text: "b", colour: "red" } }] }, "Observation.component[1].code.colour", "structure", /unknown element "colour" in CodeableConcept/],
    ["an array where single", { resourceType: "Patient", active: [true] }, "Patient.active", "structure", /active does not repeat: a JSON array is not allowed/],
    ["a single where array", { resourceType: "Patient", name: { family: "x" } }, "Patient.name", "structure", /name repeats: a JSON array is expected/],
    ["a missing required element", { resourceType: "Observation", status: "final" }, "Observation.code", "required", /code is required \(minimum 1\) in Observation/],
    ["a missing required element in a backbone", { ...OBS, component: [{ valueString: "x" }] }, "Observation.component[0].code", "required", /code is required/],
    ["a missing Extension.url", { resourceType: "Patient", extension: [{ valueString: "x" }] }, "Patient.extension[0].url", "required", /url is required/],
    ["a string for a boolean", { resourceType: "Patient", active: "true" }, "Patient.active", "value", /boolean must be a JSON boolean/],
    ["a number for a string", { resourceType: "Patient", gender: 1 }, "Patient.gender", "value", /code must be a JSON string/],
    ["a bad date", { resourceType: "Patient", birthDate: "1970-13-01" }, "Patient.birthDate", "value", /"1970-13-01" is not a valid date/],
    ["a dateTime with a time but no zone", { ...OBS, effectiveDateTime: "2020-01-01T10:00:00" }, "Observation.effectiveDateTime", "value", /is not a valid dateTime/],
    ["an instant without time", { ...OBS, issued: "2020-01-01" }, "Observation.issued", "value", /"2020-01-01" is not a valid instant/],
    ["a bad id", { resourceType: "Patient", id: "a_b" }, "Patient.id", "value", /"a_b" is not a valid id/],
    ["a too long id", { resourceType: "Patient", id: "a".repeat(65) }, "Patient.id", "value", /is not a valid id/],
    ["a code with two spaces", { resourceType: "Patient", gender: "fe  male" }, "Patient.gender", "value", /"fe {2}male" is not a valid code/],
    ["a uri with a space", { resourceType: "Patient", implicitRules: "http://a b" }, "Patient.implicitRules", "value", /is not a valid uri/],
    ["an oid without urn:oid:", { resourceType: "Patient", extension: [{ url: "u", valueOid: "1.2.3" }] }, "Patient.extension[0].valueOid", "value", /"1.2.3" is not a valid oid/],
    ["bad base64", { resourceType: "Binary", contentType: "application/pdf", content: "abc" }, "Binary.content", "value", /not valid base64Binary/],
    ["an empty string", { resourceType: "Patient", gender: "" }, "Patient.gender", "value", /an empty string is not allowed/],
    ["an empty object", { resourceType: "Patient", maritalStatus: {} }, "Patient.maritalStatus", "structure", /an empty object is not allowed/],
    ["an empty array", { resourceType: "Patient", name: [] }, "Patient.name", "structure", /an empty array is not allowed/],
    ["a null", { resourceType: "Patient", gender: null }, "Patient.gender", "structure", /null is not allowed here/],
    ["a null in an array of objects", { resourceType: "Patient", name: [null] }, "Patient.name[0]", "structure", /null is not allowed here/],
    ["a null primitive without extension", { resourceType: "Patient", name: [{ given: ["a", null] }] }, "Patient.name[0].given[1]", "structure", /neither a value nor extensions/],
    ["misaligned _given", { resourceType: "Patient", name: [{ given: ["a", "b"], _given: [null] }] }, "Patient.name[0].given", "structure", /different lengths \(2 and 1\)/],
    ["an empty companion", { resourceType: "Patient", _gender: {} }, "Patient.gender", "structure", /an empty object is not allowed/],
    ["an unknown element in a companion", { resourceType: "Patient", _gender: { foo: 1 } }, "Patient.gender.foo", "structure", /unknown element "foo" in Element/],
    ["a companion of a complex element", { resourceType: "Patient", name: [{ family: "x" }], _name: [{ id: "a" }] }, "Patient.name", "structure", /name cannot have an id or extensions/],
    ["a companion of Resource.id", { resourceType: "Patient", id: "a", _id: { id: "b" } }, "Patient.id", "structure", /id cannot have an id or extensions/],
    ["a companion of Extension.url", { resourceType: "Patient", extension: [{ url: "u", _url: { id: "b" }, valueString: "x" }] }, "Patient.extension[0].url", "structure", /url cannot have an id or extensions/],
    ["a bad required code", { ...OBS, status: "done" }, "Observation.status", "code-invalid", /"done" is not a code of the required binding \(one of registered, preliminary, final/],
    ["a bad required code in an array", { resourceType: "AllergyIntolerance", patient: { reference: "Patient/1" }, category: ["food", "drink"] }, "AllergyIntolerance.category[1]", "code-invalid", /"drink" is not a code/],
    ["two choice variants", { ...OBS, valueQuantity: { value: 1 }, valueString: "x" }, "Observation.valueString", "structure", /only one of value\[x\] is allowed \(valueQuantity is also present\)/],
    ["two choice variants, one only as a companion", { ...OBS, valueString: "x", _valueBoolean: { id: "b" } }, "Observation.valueBoolean", "structure", /only one of value\[x\]/],
    ["resourceType on a data type", { resourceType: "Patient", name: [{ resourceType: "HumanName", family: "x" }] }, "Patient.name[0].resourceType", "structure", /resourceType belongs on resources only/],
    ["an unknown resource type", { resourceType: "Patients" }, "Resource", "structure", /"Patients" is not a FHIR STU3 resource type/],
    ["no resourceType", { id: "x" }, "Resource", "required", /resourceType is missing/],
    ["a contained resource in a contained resource", { ...OBS, contained: [{ resourceType: "Patient", id: "p", contained: [{ resourceType: "Patient", id: "q" }] }] }, "Observation.contained[0].contained", "invariant", /cannot contain resources \(dom-2\)/],
    ["a contained resource without an id", { ...OBS, contained: [{ resourceType: "Patient", gender: "male" }] }, "Observation.contained[0]", "required", /a contained resource must have an id/],
    ["a contained resource with narrative", { ...OBS, contained: [{ resourceType: "Patient", id: "p", text: { status: "generated", div: '<div xmlns="http://www.w3.org/1999/xhtml">x</div>' } }] }, "Observation.contained[0].text", "invariant", /dom-1/],
    ["a broken Bundle entry", { resourceType: "Bundle", type: "collection", entry: [{ resource: { resourceType: "Observation", status: "final" } }] }, "Bundle.entry[0].resource.code", "required", /code is required/],
    ["a div without the XHTML namespace", { resourceType: "Basic", code: { text: "x" }, text: { status: "generated", div: "<div>x</div>" } }, "Basic.text.div", "value", /must be a <div> in the XHTML namespace/],
    ["a div that is not XML", { resourceType: "Basic", code: { text: "x" }, text: { status: "generated", div: '<div xmlns="http://www.w3.org/1999/xhtml"><p></div>' } }, "Basic.text.div", "value", /not well-formed XHTML/],
    ["a div that is a p", { resourceType: "Basic", code: { text: "x" }, text: { status: "generated", div: '<p xmlns="http://www.w3.org/1999/xhtml">x</p>' } }, "Basic.text.div", "value", /must be a <div>/],
    ["a div with a script", { resourceType: "Basic", code: { text: "x" }, text: { status: "generated", div: '<div xmlns="http://www.w3.org/1999/xhtml">x<script>alert(1)</script></div>' } }, "Basic.text.div", "invariant", /<script> is not allowed in a narrative \(txt-1\)/],
    ["a div with an event handler", { resourceType: "Basic", code: { text: "x" }, text: { status: "generated", div: '<div xmlns="http://www.w3.org/1999/xhtml"><p onclick="x()">x</p></div>' } }, "Basic.text.div", "invariant", /attribute onclick on <p> is not allowed/],
    ["a div with a javascript: link", { resourceType: "Basic", code: { text: "x" }, text: { status: "generated", div: '<div xmlns="http://www.w3.org/1999/xhtml"><a href=" java&#9;script:x()">x</a></div>' } }, "Basic.text.div", "invariant", /a script URL in href/],
    ["an empty div", { resourceType: "Basic", code: { text: "x" }, text: { status: "generated", div: '<div xmlns="http://www.w3.org/1999/xhtml"> </div>' } }, "Basic.text.div", "invariant", /no content \(txt-2\)/],
    ["a missing div", { resourceType: "Basic", code: { text: "x" }, text: { status: "generated" } }, "Basic.text.div", "required", /div is required/],
    ["a control character", { resourceType: "Patient", gender: "a\u0001" }, "Patient.gender", "value", /holds U\+0001/],
  ];

  it.each(cases)("%s", (_, resource, location, code, message) => {
    const issues = check(resource);
    expect(issues.length, JSON.stringify(issues)).toBeGreaterThan(0);
    expect(issues[0]).toMatchObject({ location, code });
    expect(issues[0]!.message).toMatch(message);
  });

  const numbers: readonly (readonly [string, string, string, RegExp])[] = [
    ["a decimal with an exponent (STU3's decimal has none)", '{"resourceType":"Observation","status":"final","code":{"text":"x"},"valueQuantity":{"value":1e3}}', "Observation.valueQuantity.value", /"1e3" is not a valid decimal/],
    ["a fractional integer", '{"resourceType":"Patient","multipleBirthInteger":1.5}', "Patient.multipleBirthInteger", /"1.5" is not a valid integer/],
    ["an integer written with a point", '{"resourceType":"Patient","multipleBirthInteger":2.0}', "Patient.multipleBirthInteger", /"2.0" is not a valid integer/],
    ["an integer out of range", '{"resourceType":"Patient","multipleBirthInteger":2147483648}', "Patient.multipleBirthInteger", /outside the range of integer/],
    ["a positiveInt of 0", '{"resourceType":"Patient","extension":[{"url":"u","valuePositiveInt":0}]}', "Patient.extension[0].valuePositiveInt", /"0" is not a valid positiveInt/],
    ["a negative unsignedInt", '{"resourceType":"Patient","extension":[{"url":"u","valueUnsignedInt":-1}]}', "Patient.extension[0].valueUnsignedInt", /"-1" is not a valid unsignedInt/],
    ["a decimal as a string", '{"resourceType":"Observation","status":"final","code":{"text":"x"},"valueQuantity":{"value":"1.5"}}', "Observation.valueQuantity.value", /decimal must be a JSON number/],
  ];

  it.each(numbers)("%s", (_, text, location, message) => {
    const issues = checkText(text);
    expect(issues[0]).toMatchObject({ location, code: "value" });
    expect(issues[0]!.message).toMatch(message);
  });
});

describe("accepts", () => {
  it("decimals kept exactly, within the pattern", () => {
    expect(checkText('{"resourceType":"Observation","status":"final","code":{"text":"x"},"valueQuantity":{"value":1.50}}')).toEqual([]);
    expect(checkText('{"resourceType":"Observation","status":"final","code":{"text":"x"},"valueQuantity":{"value":12345678901234567890.000}}')).toEqual([]);
  });

  it("a primitive with only extensions, also where it is required", () => {
    expect(check({ resourceType: "Observation", _status: { extension: [{ url: "http://hl7.org/fhir/StructureDefinition/data-absent-reason", valueCode: "unknown" }] }, code: { text: "x" } })).toEqual([]);
  });

  it("aligned primitive arrays with nulls", () => {
    expect(check({ resourceType: "Patient", name: [{ given: ["a", null, "c"], _given: [null, { extension: [{ url: "u", valueCode: "IN" }] }, null] }] })).toEqual([]);
    expect(check({ resourceType: "Patient", name: [{ _given: [{ id: "g" }] }] })).toEqual([]);
  });

  it("resourceType where STU3 has an element of that name (Claim.payee.resourceType)", () => {
    const claim = { resourceType: "Claim", payee: { type: { text: "x" }, resourceType: { code: "organization" } } };
    expect(check(claim)).toEqual([]);
  });

  it("a resource with only its type", () => {
    expect(check({ resourceType: "Basic", code: { text: "x" } })).toEqual([]);
    expect(check({ resourceType: "Patient" })).toEqual([]);
  });
});

describe("bounded", () => {
  it("stops after maxIssues with a too-costly issue", () => {
    const bad: FhirObject = { resourceType: "Patient" };
    for (let i = 0; i < 50; i++) bad[`x${i}`] = 1;
    const issues = validateStructure(bad, { maxIssues: 10 });
    expect(issues.length).toBe(11);
    expect(issues[10]).toMatchObject({ code: "too-costly" });
  });

  it("a resource nested deeper than the limit (built in code) is reported, not a stack overflow", () => {
    let ext: FhirObject = { url: "u", valueString: "x" };
    for (let i = 0; i < 10_000; i++) ext = { url: "u", extension: [ext] };
    const issues = check({ resourceType: "Patient", extension: [ext] });
    expect(issues).toEqual([expect.objectContaining({ code: "too-costly" })]);
  });

  it("__proto__ from JSON.parse is an unknown element, and nothing is polluted", () => {
    const issues = check(JSON.parse('{"resourceType":"Patient","__proto__":{"active":true}}'));
    expect(issues[0]).toMatchObject({ location: "Patient.__proto__", code: "structure" });
    expect(({} as Record<string, unknown>)["active"]).toBeUndefined();
  });

  it("quotes input at most 40 characters", () => {
    const issues = check({ resourceType: "Patient", birthDate: "9".repeat(10_000) });
    expect(issues[0]!.message.length).toBeLessThan(100);
  });
});
