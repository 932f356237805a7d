/**
 * FHIR JSON in and out: decimals kept exactly (the text is the value: `1.50` is not `1.5`), bounded input, and
 * refusals that are safe to show a client.
 */
import { describe, expect, it } from "vitest";
import { FhirFormatError, decimalFromText, decimalText, decimalValue, exactDecimals, isDecimal, parseFhirJson, stringifyFhirJson, type FhirObject } from "../../workers/fhir/formats/json.ts";
import { fhirJsonToXml, fhirXmlToJson } from "../../workers/fhir/formats/xml.ts";
import { JSON_FIXTURES, comparableJson, fixture } from "./fixtures.ts";

function refusal(f: () => unknown): FhirFormatError {
  try {
    f();
  } catch (e) {
    if (e instanceof FhirFormatError) return e;
    throw new Error(`expected a FhirFormatError, got ${String(e)}`);
  }
  throw new Error("expected a FhirFormatError, got a result");
}

const quantity = (value: string) => `{"resourceType":"Observation","status":"final","code":{"text":"x"},"valueQuantity":{"value":${value},"unit":"kg"}}`;

describe("decimals are kept exactly", () => {
  it("workerd has JSON.rawJSON and the reviver's source text", () => {
    expect(exactDecimals).toBe(true);
  });

  it.each(["1.50", "0.000", "-0.5", "1e3", "1E-7", "-0", "12345678901234567890", "0.1000000000000000055511151231257827", "3.0"])(
    "%s survives JSON → JSON and JSON → XML → JSON",
    (n) => {
      const text = quantity(n);
      const parsed = parseFhirJson(text);
      expect(stringifyFhirJson(parsed)).toBe(text);
      const xml = fhirJsonToXml(parsed);
      expect(xml).toContain(`<value value="${n}"/>`);
      expect(stringifyFhirJson(fhirXmlToJson(xml))).toBe(text);
    },
  );

  it("numbers that round-trip stay plain numbers", () => {
    const value = (parseFhirJson(quantity("70.2"))["valueQuantity"] as FhirObject)["value"];
    expect(value).toBe(70.2);
    expect(isDecimal(value)).toBe(false);
  });

  it("the helpers give a decimal's exact text and its numeric value", () => {
    const v = (parseFhirJson(quantity("1.50"))["valueQuantity"] as FhirObject)["value"];
    expect(isDecimal(v)).toBe(true);
    if (!isDecimal(v)) return;
    expect(decimalText(v)).toBe("1.50");
    expect(decimalValue(v)).toBe(1.5);
    expect(decimalText(70.2)).toBe("70.2");
    expect(decimalText(decimalFromText("12345678901234567890"))).toBe("12345678901234567890");
    expect(decimalFromText("5")).toBe(5);
    expect(() => decimalFromText("1,5")).toThrow(FhirFormatError);
  });

  it("pretty output keeps decimals too", () => {
    expect(stringifyFhirJson(parseFhirJson(quantity("2.500")), { pretty: true })).toContain('"value": 2.500');
  });
});

describe("Nictiz's JSON fixtures", () => {
  it("are the five resource twins", () => {
    expect(JSON_FIXTURES.length).toBe(5);
  });

  it.each(JSON_FIXTURES)("%s: JSON → XML → JSON is the same resource, decimals exactly", (path) => {
    const parsed = parseFhirJson(fixture(path));
    const back = fhirXmlToJson(fhirJsonToXml(parsed));
    expect(comparableJson(back)).toEqual(comparableJson(parsed));
    expect(stringifyFhirJson(back)).toBe(stringifyFhirJson(parsed));
  });
});

describe("refusals", () => {
  const cases: readonly (readonly [string, string, RegExp])[] = [
    ["not JSON", "{nope", /^the body is not valid JSON( \(at character \d+\))?$/],
    ["an array", "[]", /a FHIR resource must be a JSON object/],
    ["a string", '"Patient"', /a FHIR resource must be a JSON object/],
    ["null", "null", /a FHIR resource must be a JSON object/],
    ["no resourceType", '{"id":"x"}', /the JSON object has no resourceType/],
    ["a numeric resourceType", '{"resourceType":1}', /the JSON object has no resourceType/],
    ["an unknown resourceType", '{"resourceType":"Patients"}', /resourceType "Patients" is not a FHIR STU3 resource/],
    ["a duplicate property", '{"resourceType":"Patient","gender":"male","gender":"female"}', /property "gender" appears twice in one object/],
    ["a duplicate property hidden by an escape", '{"resourceType":"Patient","gender":"male","gend\\u0065r":"female"}', /property "gender" appears twice/],
    ["a nested duplicate", '{"resourceType":"Patient","name":[{"family":"a","family":"b"}]}', /property "family" appears twice/],
    ["__proto__", '{"resourceType":"Patient","__proto__":{"polluted":true}}', /property name "__proto__" is not a FHIR element name/],
    ["an odd property name", '{"resourceType":"Patient","a-b":1}', /property name "a-b" is not a FHIR element name/],
  ];

  it.each(cases)("%s", (_, text, message) => {
    expect(refusal(() => parseFhirJson(text)).message).toMatch(message);
  });

  it("the same name in sibling objects is not a duplicate", () => {
    expect(() => parseFhirJson('{"resourceType":"Patient","name":[{"family":"a"},{"family":"b"}],"contact":[{"name":{"family":"c"}}]}')).not.toThrow();
  });

  it("strings that look like keys are not mistaken for them", () => {
    const parsed = parseFhirJson('{"resourceType":"Basic","code":{"text":"a\\":\\"b"},"id":"x"}') as FhirObject;
    expect(parsed["id"]).toBe("x");
  });

  it("nothing reaches Object.prototype", () => {
    expect(() => parseFhirJson('{"resourceType":"Patient","constructor":{"prototype":{"polluted":true}}}')).not.toThrow();
    expect(({} as Record<string, unknown>)["polluted"]).toBeUndefined();
  });

  it("deep nesting is refused before JSON.parse", () => {
    const deep = `{"resourceType":"Patient","extension":${'[{"url":"u","extension":'.repeat(100)}[]${"}]".repeat(100)}}`;
    expect(refusal(() => parseFhirJson(deep)).message).toBe("the JSON is nested deeper than 128 levels");
    const deeper = `{"resourceType":"Basic","x":${"[".repeat(100_000)}${"]".repeat(100_000)}}`;
    expect(refusal(() => parseFhirJson(deeper)).message).toMatch(/nested deeper/);
  });

  it("oversized input is refused without echoing it", () => {
    const big = `{"resourceType":"Basic","code":{"text":"${"x".repeat(10_000)}"}}`;
    expect(refusal(() => parseFhirJson(big, { maxLength: 1000 })).message).toBe("the JSON is longer than 1000 characters");
  });

  it("too many values are refused", () => {
    const many = `{"resourceType":"Patient","name":[{"given":[${'"x",'.repeat(5000)}"y"]}]}`;
    expect(refusal(() => parseFhirJson(many, { maxValues: 1000 })).message).toBe("the JSON has more than 1000 values");
  });

  it("a syntax error's message does not quote the input", () => {
    const secret = "999999990";
    const e = refusal(() => parseFhirJson(`{"resourceType":"Patient","identifier":[{"value":"${secret}"}]`));
    expect(e.message).not.toContain(secret);
  });

  it("a long unknown resourceType is quoted briefly", () => {
    const e = refusal(() => parseFhirJson(`{"resourceType":"${"A".repeat(10_000)}"}`));
    expect(e.message.length).toBeLessThan(120);
  });
});
