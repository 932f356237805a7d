/**
 * The STU3 XML -> JSON reader: Nictiz's own JSON twins are the oracle, and crafted XML covers what they do not
 * (alignment of repeating primitives, nested resources in every place, the errors).
 */
import { readFileSync, readdirSync } from "node:fs";
import { join } from "node:path";
import { DOMParser, XMLSerializer } from "@xmldom/xmldom";
import { describe, expect, it } from "vitest";
import { parseFhirXml, writeFhirXml } from "./index.mjs";
import { NICTIZ } from "./helpers.ts";

/** Every fixture Nictiz publishes as both .xml and .json. */
function twins(): string[] {
  const out: string[] = [];
  const walk = (dir: string) => {
    for (const entry of readdirSync(dir, { withFileTypes: true })) {
      const path = join(dir, entry.name);
      if (entry.isDirectory()) walk(path);
      else if (path.endsWith(".json") && path.includes("_reference")) out.push(path.slice(0, -".json".length));
    }
  };
  walk(NICTIZ);
  return out.sort();
}

/**
 * Narrative divs compared as XML, not as text: xmldom writes an empty XHTML element as <td></td> where Nictiz's
 * JSON has <td/>, and Nictiz's XML-to-JSON conversion turned an empty alt="" into alt="null" (the XML twin, the
 * source, has alt="").
 */
function canonicalDivs(value: unknown): unknown {
  if (Array.isArray(value)) return value.map(canonicalDivs);
  if (value === null || typeof value !== "object") return value;
  return Object.fromEntries(Object.entries(value).map(([k, v]) => [k, k === "div" && typeof v === "string" ? canonicalXhtml(v) : canonicalDivs(v)]));
}
function canonicalXhtml(div: string): string {
  const doc = new DOMParser().parseFromString(div.replaceAll('alt="null"', 'alt=""'), "text/xml");
  return new XMLSerializer().serializeToString(doc);
}

const fhir = (body: string) => `<Patient xmlns="http://hl7.org/fhir">${body}</Patient>`;

describe("parseFhirXml", () => {
  const pairs = twins();

  it("reads each of Nictiz's XML twins into exactly its JSON twin", () => {
    expect(pairs).toHaveLength(5);
    for (const base of pairs) {
      const fromXml = parseFhirXml(readFileSync(`${base}.xml`, "utf8"));
      const json = JSON.parse(readFileSync(`${base}.json`, "utf8"));
      expect(canonicalDivs(fromXml), base).toEqual(canonicalDivs(json));
    }
  });

  it("reads every vendored fixture", () => {
    const fixtures: string[] = [];
    const walk = (dir: string) => {
      for (const entry of readdirSync(dir, { withFileTypes: true })) {
        const path = join(dir, entry.name);
        if (entry.isDirectory()) walk(path);
        else if (path.endsWith(".xml") && path.includes("_reference")) fixtures.push(path);
      }
    };
    walk(NICTIZ);
    expect(fixtures.length).toBe(130);
    for (const path of fixtures) expect(() => parseFhirXml(readFileSync(path, "utf8")), path).not.toThrow();
  });

  it("types primitives after the model: booleans, numbers, strings", () => {
    const r = parseFhirXml(`<Observation xmlns="http://hl7.org/fhir"><id value="o"/><status value="final"/>
      <code><text value="x"/></code><valueQuantity><value value="72.50"/><unit value="kg"/></valueQuantity>
      <component><code><text value="d"/></code><valueString value="007"/></component></Observation>`);
    expect(r).toEqual({
      resourceType: "Observation", id: "o", status: "final", code: { text: "x" }, valueQuantity: { value: 72.5, unit: "kg" },
      component: [{ code: { text: "d" }, valueString: "007" }],
    });
    expect(parseFhirXml(fhir(`<active value="false"/><multipleBirthInteger value="2"/>`))).toEqual({ resourceType: "Patient", active: false, multipleBirthInteger: 2 });
  });

  it("puts ids and extensions of primitives in _name, repeating ones aligned with null", () => {
    const ext = (v: string) => `<extension url="http://e"><valueString value="${v}"/></extension>`;
    const r = parseFhirXml(fhir(`<name><given value="A"/><given id="g2">${ext("b")}</given><given value="C">${ext("c")}</given><given value="D"/></name>
      <birthDate value="2000-01-01" id="bd"/>`));
    expect(r).toEqual({
      resourceType: "Patient",
      name: [{ given: ["A", null, "C", "D"], _given: [null, { id: "g2", extension: [{ url: "http://e", valueString: "b" }] }, { extension: [{ url: "http://e", valueString: "c" }] }, null] }],
      birthDate: "2000-01-01", _birthDate: { id: "bd" },
    });
  });

  it("reads nested resources wherever FHIR puts them, element ids and extension urls, and the narrative as XHTML", () => {
    const r = parseFhirXml(`<Bundle xmlns="http://hl7.org/fhir"><type value="batch-response"/>
      <entry><resource><Patient><id value="p"/><text><status value="generated"/><div xmlns="http://www.w3.org/1999/xhtml"><p>Hi &amp; <b>bye</b></p></div></text>
        <contained><Organization><id value="o"/></Organization></contained><extension url="http://x"><valueBoolean value="true"/></extension></Patient></resource></entry>
      <entry id="e2"><response><status value="400"/><outcome><OperationOutcome><issue><severity value="error"/><code value="invalid"/></issue></OperationOutcome></outcome></response></entry>
    </Bundle>`);
    expect(r).toEqual({
      resourceType: "Bundle", type: "batch-response",
      entry: [
        { resource: { resourceType: "Patient", id: "p", text: { status: "generated", div: '<div xmlns="http://www.w3.org/1999/xhtml"><p>Hi &amp; <b>bye</b></p></div>' }, contained: [{ resourceType: "Organization", id: "o" }], extension: [{ url: "http://x", valueBoolean: true }] } },
        { id: "e2", response: { status: "400", outcome: { resourceType: "OperationOutcome", issue: [{ severity: "error", code: "invalid" }] } } },
      ],
    });
    const p = parseFhirXml(`<Parameters xmlns="http://hl7.org/fhir"><parameter><name value="a"/><resource><Patient><active value="true"/></Patient></resource>
      <part><name value="b"/><valueInteger value="3"/></part></parameter></Parameters>`);
    expect(p).toEqual({ resourceType: "Parameters", parameter: [{ name: "a", resource: { resourceType: "Patient", active: true }, part: [{ name: "b", valueInteger: 3 }] }] });
  });

  it("refuses what is not FHIR XML, naming the path", () => {
    expect(() => parseFhirXml(fhir(`<nickname value="x"/>`))).toThrow("Patient.nickname: unknown element");
    expect(() => parseFhirXml(fhir(`<active value="true" foo="1"/>`))).toThrow("Patient.active: unexpected attribute foo");
    expect(() => parseFhirXml(fhir(`<active value="yes"/>`))).toThrow('Patient.active: "yes" is not a boolean');
    expect(() => parseFhirXml(fhir(`<gender value="male"/><gender value="female"/>`))).toThrow("Patient.gender: given twice");
    expect(() => parseFhirXml(fhir(`<active/>`))).toThrow("Patient.active: a primitive needs a value or extensions");
    expect(() => parseFhirXml(fhir(`<name>text</name>`))).toThrow("Patient.name: unexpected text content");
    expect(() => parseFhirXml(fhir(`<text><status value="generated"/><div><p/></div></text>`))).toThrow("Patient.text.div: expected in namespace http://www.w3.org/1999/xhtml");
    expect(() => parseFhirXml(`<Patient/>`)).toThrow("Patient: not in the FHIR namespace");
    expect(() => parseFhirXml(`<Coding xmlns="http://hl7.org/fhir"/>`)).toThrow("Coding: not an STU3 resource type");
    expect(() => parseFhirXml(fhir(`<contained><Patient/><Patient/></contained>`))).toThrow("Patient.contained: must hold exactly one resource");
    expect(() => parseFhirXml(`<Patient xmlns="http://hl7.org/fhir">`)).toThrow(/not well-formed XML/);
  });
});

describe("writeFhirXml", () => {
  it("writes every vendored fixture and Nictiz's JSON twins back into XML that reads as the same JSON", () => {
    const files: string[] = [];
    const walk = (dir: string) => {
      for (const entry of readdirSync(dir, { withFileTypes: true })) {
        const path = join(dir, entry.name);
        if (entry.isDirectory()) walk(path);
        else if (/\.(xml|json)$/.test(path) && path.includes("_reference") && !path.includes("/rules/")) files.push(path);
      }
    };
    walk(NICTIZ);
    expect(files.length).toBe(135);
    for (const path of files) {
      const text = readFileSync(path, "utf8");
      const json = path.endsWith(".json") ? JSON.parse(text) : parseFhirXml(text);
      const xml = writeFhirXml(json);
      expect(xml.startsWith(`<?xml version="1.0" encoding="UTF-8"?>\n<${String(json.resourceType)} xmlns="http://hl7.org/fhir">`), path).toBe(true);
      expect(canonicalDivs(parseFhirXml(xml)), path).toEqual(canonicalDivs(json));
    }
  });

  it("puts ids and extension urls in attributes, escapes values, aligns repeating primitives, nests resources", () => {
    const resource = {
      resourceType: "Bundle", id: "b", type: "batch-response",
      entry: [
        { id: "e1", link: [{ relation: "self", url: "https://x/?a=1&b=<2>" }], resource: { resourceType: "Patient", id: "p", name: [{ given: ["A", null, "C"], _given: [null, { id: "g2", extension: [{ url: "http://e", valueString: 'say "hi"\nthere' }] }, null] }], active: true, multipleBirthInteger: 2 } },
        { response: { status: "201 Created", outcome: { resourceType: "OperationOutcome", issue: [{ severity: "information", code: "informational" }] } } },
      ],
    };
    const xml = writeFhirXml(resource);
    expect(xml).toContain('<entry id="e1"><link><relation value="self"/><url value="https://x/?a=1&amp;b=&lt;2&gt;"/></link>');
    expect(xml).toContain('<given value="A"/><given id="g2"><extension url="http://e"><valueString value="say &quot;hi&quot;&#10;there"/></extension></given><given value="C"/>');
    expect(xml).toContain("<outcome><OperationOutcome><issue>");
    expect(parseFhirXml(xml)).toEqual(resource);
  });
});
