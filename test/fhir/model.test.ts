/**
 * The STU3 structure model generated from HL7's JSON Schema, checked against an independent source: fhirpath.js's
 * STU3 model (built from HL7's StructureDefinitions) for choice groups and repetition.
 */
import stu3 from "fhirpath/fhir-context/stu3";
import { describe, expect, it } from "vitest";
import { backboneDefinition, choiceVariants, element, elementsInOrder, isPrimitiveType, isResourceType, primitiveType, resourceTypes, typeDefinition, typeNames } from "../../workers/fhir/model.ts";

/** Walks `Observation.component.value` to the type that owns its last segment. */
function owner(path: string): { type: string; name: string } | undefined {
  const [root, ...segments] = path.split(".");
  let type = root!;
  for (const segment of segments.slice(0, -1)) {
    const el = element(type, segment);
    if (el === undefined) return undefined;
    type = el.type;
  }
  return { type, name: segments[segments.length - 1]! };
}

const capitalized = (t: string) => t[0]!.toUpperCase() + t.slice(1);

describe("the model", () => {
  it("knows the 117 STU3 resource types and nothing else as one", () => {
    expect(resourceTypes.length).toBe(117);
    for (const t of ["Patient", "Observation", "Bundle", "Binary", "DocumentReference", "TestScript"]) expect(isResourceType(t)).toBe(true);
    for (const t of ["Resource", "DomainResource", "Element", "HumanName", "Observation_Component", "__proto__", "constructor", "toString"]) expect(isResourceType(t)).toBe(false);
    expect(typeDefinition("__proto__")).toBeUndefined();
    expect(element("Patient", "__proto__")).toBeUndefined();
    expect(element("Patient", "constructor")).toBeUndefined();
  });

  it("lists elements in definition order, the bases' first", () => {
    expect(elementsInOrder("Observation").slice(0, 12).map((e) => e.name)).toEqual([
      "id", "meta", "implicitRules", "language", "text", "contained", "extension", "modifierExtension", "identifier", "basedOn", "status", "category",
    ]);
    expect(elementsInOrder("Bundle").slice(0, 5).map((e) => e.name)).toEqual(["id", "meta", "implicitRules", "language", "identifier"]);
    expect(elementsInOrder("Observation_Component").slice(0, 4).map((e) => e.name)).toEqual(["id", "extension", "modifierExtension", "code"]);
    expect(elementsInOrder("Coding").map((e) => e.name)).toEqual(["id", "extension", "system", "version", "code", "display", "userSelected"]);
    expect(elementsInOrder("Nope")).toEqual([]);
  });

  it("resolves expanded choice names to their variant and group", () => {
    const v = element("Observation", "valueQuantity");
    expect(v).toMatchObject({ type: "Quantity", kind: "complex", choice: "value", repeats: false });
    expect(element("Observation", "valueDateTime")).toMatchObject({ type: "dateTime", kind: "primitive", choice: "value", companion: true });
    expect(element("Observation", "value")).toBeUndefined();
    expect(element("Observation", "valueDateTime")!.order).toBe(v!.order);
    expect(choiceVariants("Observation", "effective").map((e) => e.name)).toEqual(["effectiveDateTime", "effectivePeriod"]);
    // Extension.value[x] is the open type, including the Quantity profiles the schema leaves out (datatypes.html#open).
    expect(element("Extension", "valueDuration")).toMatchObject({ type: "Duration", choice: "value" });
  });

  it("knows repetition, minimum cardinality and required bindings", () => {
    expect(element("Patient", "name")).toMatchObject({ repeats: true, required: false, type: "HumanName" });
    expect(element("Observation", "code")).toMatchObject({ repeats: false, required: true });
    expect(element("Extension", "url")).toMatchObject({ required: true, xmlAttribute: true, companion: false });
    expect([...element("Observation", "status")!.codes!]).toEqual(["registered", "preliminary", "final", "amended", "corrected", "cancelled", "entered-in-error", "unknown"]);
  });

  it("says which values are XML attributes and which primitives take a _name companion", () => {
    expect(element("Patient", "id")).toMatchObject({ type: "id", xmlAttribute: false, companion: false });
    expect(element("HumanName", "id")).toMatchObject({ type: "string", xmlAttribute: true, companion: false });
    expect(element("Observation_Component", "id")).toMatchObject({ xmlAttribute: true });
    expect(element("Patient", "birthDate")).toMatchObject({ companion: true, xmlAttribute: false });
    expect(element("Narrative", "div")).toMatchObject({ kind: "xhtml", companion: false });
    expect(element("Bundle_Entry", "resource")).toMatchObject({ kind: "resource", type: "Resource" });
    expect(element("Patient", "contained")).toMatchObject({ kind: "resource", repeats: true });
    expect(element("Binary", "content")).toMatchObject({ kind: "primitive", type: "base64Binary" });
  });

  it("finds backbone definitions through the element's type", () => {
    expect(backboneDefinition("Observation", "component")?.name).toBe("Observation_Component");
    expect(backboneDefinition("Bundle", "entry")?.name).toBe("Bundle_Entry");
    expect(backboneDefinition("Questionnaire_Item", "item")?.name).toBe("Questionnaire_Item");
    expect(backboneDefinition("Observation", "code")).toBeUndefined();
    expect(typeDefinition("Observation_Component")?.kind).toBe("backbone");
    // `resourceType` is a real element of these two backbones (a Coding / CodeableConcept).
    expect(element("Claim_Payee", "resourceType")?.type).toBe("Coding");
  });

  it("has the primitive types with anchored patterns", () => {
    expect(isPrimitiveType("decimal")).toBe(true);
    expect(isPrimitiveType("Quantity")).toBe(false);
    expect(typeDefinition("dateTime")).toMatchObject({ kind: "primitive", elements: [] });
    const date = primitiveType("date")!.pattern!;
    expect(["2020", "2020-01", "2020-01-31", "-0044"].every((d) => date.test(d))).toBe(true);
    expect(["2020-1", "2020-01-01T00:00:00Z", "x2020", "2020-13"].some((d) => date.test(d))).toBe(false);
    expect(primitiveType("code")!.pattern!.test("a b")).toBe(true);
    expect(primitiveType("code")!.pattern!.test("a  b")).toBe(false);
    expect(primitiveType("instant")!.pattern!.test("2020-01-01T10:00:00Z")).toBe(true);
    expect(primitiveType("instant")!.pattern!.test("2020-01-01")).toBe(false);
  });

  it("the code pattern does not backtrack (the schema's form is exponential on failing input)", () => {
    // With the schema's own pattern this input would not finish within the test's time-out.
    expect(primitiveType("code")!.pattern!.test(`${"a".repeat(50_000)}  `)).toBe(false);
  });
});

describe("against fhirpath.js's STU3 model (from the StructureDefinitions)", () => {
  it("every choice group matches: same variants, the open type aside", () => {
    const problems: string[] = [];
    for (const [path, types] of Object.entries(stu3.choiceTypePaths)) {
      // fhirpath lists `ElementDefinition.extension.value` with two types; no such element exists.
      if (path === "ElementDefinition.extension.value") continue;
      const at = owner(path);
      const mine = at === undefined ? [] : choiceVariants(at.type, at.name).map((e) => capitalized(e.type));
      const missing = types.filter((t) => !mine.includes(t));
      // The schema's open type adds the metadata types (datatypes.html lists them among the open types in later releases).
      const extra = mine.filter((t) => !types.includes(t) && !(types.length > 30 && ["ContactDetail", "Contributor", "DataRequirement", "Dosage", "ParameterDefinition", "RelatedArtifact", "TriggerDefinition", "UsageContext"].includes(t)));
      if (missing.length > 0 || extra.length > 0) problems.push(`${path}: missing ${missing.join(",")} extra ${extra.join(",")}`);
    }
    expect(problems).toEqual([]);
    // And no group of ours is unknown to fhirpath: as many groups as it has paths (each group once, however reached).
    const groups = new Set<string>();
    for (const t of typeNames) for (const e of elementsInOrder(t)) if (e.choice !== undefined) groups.add(`${t}.${e.choice}`);
    expect(groups.size).toBe(Object.keys(stu3.choiceTypePaths).length - 1);
  });

  it("repetition agrees for every element path fhirpath knows", () => {
    const problems: string[] = [];
    let compared = 0;
    for (const path of Object.keys(stu3.path2Type)) {
      // fhirpath also lists the abstract bases and the primitives' own id/extension, which the schema has no types for.
      const root = path.split(".")[0]!;
      if (typeDefinition(root) === undefined || isPrimitiveType(root)) continue;
      const at = owner(path);
      if (at === undefined) continue;
      const el = element(at.type, at.name);
      if (el === undefined) {
        if (stu3.choiceTypePaths[path] === undefined) problems.push(`${path}: not in the model`);
        continue;
      }
      compared++;
      if ((stu3.path2Repeating[path] === true) !== el.repeats) problems.push(`${path}: repeats ${el.repeats}`);
    }
    expect(problems).toEqual([]);
    expect(compared).toBeGreaterThan(4000);
  });
});
