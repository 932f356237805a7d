/**
 * The port of Nictiz's Touchstone rule assert_response_queryParamsInSelfLink.groovy, on crafted self links:
 * verbatim parameters, the reference-rewriting leniency both ways, URL decoding, and the cases where the Groovy
 * throws.
 */
import { describe, expect, it } from "vitest";
import { javaUrlDecode, queryParamsInSelfLink } from "./index.mjs";

const BASE = "https://fhir.example/fhir";
const rule = (requestUrl: string, selfLink: string | null) => queryParamsInSelfLink({ requestUrl, fhirPathValue: () => selfLink });

describe("assert-response-queryParamsInSelfLink", () => {
  it("passes when every parameter is in the self link verbatim, in any order and encoding", () => {
    expect(rule(`${BASE}/Observation?code=http://loinc.org%7C85354-9&_include=Observation:specimen`, `${BASE}/Observation?_include=Observation:specimen&code=http%3A%2F%2Floinc.org%7C85354-9&_count=50`)).toEqual({ passed: true });
    expect(rule(`${BASE}/Patient/$lastn?category=vital-signs`, `${BASE}/Observation/$lastn?category=vital-signs`)).toEqual({ passed: true });
  });

  it("fails on the first parameter the self link lacks", () => {
    expect(rule(`${BASE}/Observation?status=final&code=a`, `${BASE}/Observation?status=final`)).toEqual({ passed: false, message: "The requested parameter code=a was absent from the self link" });
    expect(rule(`${BASE}/DocumentReference?status=current&_include=DocumentReference:subject`, `${BASE}/DocumentReference?status=current`)).toEqual({
      passed: false, message: "The requested parameter _include=DocumentReference:subject was absent from the self link",
    });
  });

  it("accepts a reference the server gave a resource type, when the request had none", () => {
    expect(rule(`${BASE}/Observation?patient=123`, `${BASE}/Observation?patient=Patient/123`)).toEqual({ passed: true });
    expect(rule(`${BASE}/Observation?patient=123`, `${BASE}/Observation?patient=Patient%2F123`)).toEqual({ passed: true });
    expect(rule(`${BASE}/Observation?patient=123`, `${BASE}/Observation?patient=patient/123`)).toMatchObject({ passed: false }); // the type must be capitalised
    expect(rule(`${BASE}/Observation?patient=123`, `${BASE}/Observation?patient=456`)).toMatchObject({ passed: false });
  });

  it("accepts a reference the server stripped of its resource type, when the request had one", () => {
    expect(rule(`${BASE}/Observation?subject=Patient/abc-1`, `${BASE}/Observation?subject=abc-1`)).toEqual({ passed: true });
    expect(rule(`${BASE}/Observation?subject=Patient/abc-1`, `${BASE}/Observation?subject=Group/abc-1`)).toMatchObject({ passed: false });
  });

  it("keeps the Groovy's quirks: a regular expression built unescaped, `+` decoded as a space", () => {
    // The id goes into the pattern as is: "a.c" also matches "abc" in the self link.
    expect(rule(`${BASE}/Observation?patient=a.c`, `${BASE}/Observation?patient=Patient/abc`)).toEqual({ passed: true });
    // URLDecoder turns + into a space on both sides, so an unencoded + in a date matches an encoded space.
    expect(rule(`${BASE}/Observation?date=ge2024-01-01T00:00:00+01:00`, `${BASE}/Observation?date=ge2024-01-01T00:00:00%2001:00`)).toEqual({ passed: true });
  });

  it("fails where the Groovy throws: no query, no self link, a malformed escape", () => {
    expect(rule(`${BASE}/Patient`, `${BASE}/Patient`)).toMatchObject({ passed: false, message: expect.stringContaining("no query") as unknown });
    expect(rule(`${BASE}/Patient?name=x`, null)).toMatchObject({ passed: false, message: expect.stringContaining("no Bundle self link") as unknown });
    expect(() => rule(`${BASE}/Patient?name=%zz`, `${BASE}/Patient`)).toThrow("URLDecoder: Illegal hex characters in escape (%) pattern");
  });
});

describe("javaUrlDecode", () => {
  it("decodes as java.net.URLDecoder does with UTF-8", () => {
    expect(javaUrlDecode("a+b%20c%7C%C3%A9")).toBe("a b c|é");
    expect(javaUrlDecode("%FF")).toBe("\uFFFD");
    expect(() => javaUrlDecode("abc%2")).toThrow("URLDecoder: Incomplete trailing escape (%) pattern");
  });
});
