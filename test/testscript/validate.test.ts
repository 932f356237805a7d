/**
 * validateProfileId: the base STU3 structure from HL7's JSON schema, for the resource and every resource in it;
 * the profiles the resources claim are reported as not evaluated, never as passed.
 */
import { readFileSync } from "node:fs";
import { join } from "node:path";
import { beforeAll, describe, expect, it } from "vitest";
import { evaluateAssert, parseFhirXml, validateProfile, type Message } from "./index.mjs";
import { NICTIZ } from "./helpers.ts";

const BUNDLE = "http://hl7.org/fhir/StructureDefinition/Bundle";
const fixtureBundle = () =>
  parseFhirXml(readFileSync(join(NICTIZ, "SelfMeasurements-2-0/MedMij/Cert/_reference/resources-serve-receive/medmij-selfmeasurements-serve-receive-scenario-2-2-bundle.xml"), "utf8")
    .replace(/\$\{DATE, T, D, ?-?\d+\}/g, "2024-03-01")) as { entry: { resource: Record<string, unknown> }[] } & Record<string, unknown>;

beforeAll(() => {
  validateProfile({ resourceType: "Basic" }, "http://hl7.org/fhir/StructureDefinition/Basic"); // compiles the schema (a few seconds)
}, 60_000);

describe("validateProfile", () => {
  it("passes a valid fixture Bundle and names the Nictiz profiles it could not check", () => {
    const verdict = validateProfile(fixtureBundle(), BUNDLE);
    expect(verdict.outcome).toBe("passed");
    expect(verdict.errors).toEqual([]);
    expect(verdict.notEvaluated[0]).toBe(
      "conformance to the profiles claimed in meta.profile (no validator for them here): http://fhir.nl/fhir/StructureDefinition/nl-core-patient, http://nictiz.nl/fhir/StructureDefinition/zib-BloodPressure",
    );
    expect(verdict.notEvaluated[1]).toMatch(/^STU3 invariants/);
  });

  it("fails a broken Bundle, each error at the resource it is in", () => {
    const broken = fixtureBundle();
    broken.type = "searchsett";
    const [first, second] = broken.entry;
    if (!first || !second) throw new Error("the fixture has entries");
    first.resource.gender = "vrouw";
    first.resource.birthDate = "1988-13-01"; // "1988" alone would match HL7's unanchored pattern
    second.resource.foo = 1;
    second.resource.contained = [{ resourceType: "Patient", active: "yes" }, { resourceType: "Nonsense" }];
    const verdict = validateProfile(broken, BUNDLE);
    expect(verdict.outcome).toBe("failed");
    expect(verdict.errors).toEqual([
      "/type: must be equal to one of the allowed values (document, message, transaction, transaction-response, batch, batch-response, history, searchset, collection)",
      "/entry/0/resource/gender: must be equal to one of the allowed values (male, female, other, unknown)",
      expect.stringMatching(/^\/entry\/0\/resource\/birthDate: must match pattern/) as unknown,
      "/entry/1/resource: must NOT have additional properties (foo)",
      "/entry/1/resource/contained/0/active: must be boolean",
      '/entry/1/resource/contained/1: "Nonsense" is not an STU3 resource type',
    ]);
  });

  it("checks the resource type against the profile's, and leaves other profiles not evaluated", () => {
    expect(validateProfile({ resourceType: "OperationOutcome", issue: [{ severity: "error", code: "invalid" }] }, BUNDLE)).toMatchObject({
      outcome: "failed", errors: ["the resource is a OperationOutcome, the profile is for Bundle"],
    });
    expect(validateProfile(fixtureBundle(), "http://nictiz.nl/fhir/StructureDefinition/zib-BloodPressure")).toEqual({
      outcome: "notEvaluated", errors: [],
      notEvaluated: ["profile http://nictiz.nl/fhir/StructureDefinition/zib-BloodPressure: only the base STU3 resource definitions can be validated here"],
    });
  });

  it("accepts the Quantity profiles in open choices (valueDuration), which HL7's STU3 schema leaves out", () => {
    const withDuration = { resourceType: "Patient", extension: [{ url: "http://example.org/e", valueDuration: { value: 3, unit: "d", system: "http://unitsofmeasure.org", code: "d" } }] };
    expect(validateProfile(withDuration, "http://hl7.org/fhir/StructureDefinition/Patient")).toMatchObject({ outcome: "passed" });
  });
});

describe("a validateProfileId assert", () => {
  const assert = { validateProfileId: "Bundle-profile", warningOnly: false, stopTestOnFail: false };
  const ctx = (resource: Record<string, unknown>) => ({
    exchange: { request: { method: "GET", url: "https://x/fhir/Observation", headers: {} }, response: { status: 200, headers: {}, resource } satisfies Message },
    source: () => undefined, profiles: { "Bundle-profile": BUNDLE }, rules: {}, substitute: (t: string) => t, variable: () => undefined,
  });

  it("passes with the claimed profiles listed as not evaluated, and fails with the errors", () => {
    const passed = evaluateAssert(assert, ctx(fixtureBundle()));
    expect(passed.outcome).toBe("passed");
    expect(passed.notEvaluated?.[0]).toContain("http://nictiz.nl/fhir/StructureDefinition/zib-BloodPressure");
    const failed = evaluateAssert(assert, ctx({ ...fixtureBundle(), type: "nope" }));
    expect(failed).toMatchObject({ outcome: "failed", message: expect.stringMatching(/^does not conform to http:\/\/hl7\.org\/fhir\/StructureDefinition\/Bundle: \/type: must be equal/) as unknown });
  });
});
