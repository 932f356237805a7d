/**
 * Delen of "Meetwaarden vitale functies" (GD 5): what the Person enters becomes a FHIR STU3
 * Observation (LOINC-coded, UCUM units), sent as one resource.
 */
export type Measurement =
  | { readonly kind: "bloeddruk"; readonly systolic: number; readonly diastolic: number }
  | { readonly kind: "gewicht"; readonly kg: number };

const LOINC = "http://loinc.org";
const UCUM = "http://unitsofmeasure.org";

export function parseMeasurement(form: URLSearchParams): Measurement | undefined {
  const kind = form.get("kind");
  const num = (name: string, min: number, max: number) => {
    const raw = form.get(name) ?? "";
    const v = Number(raw.replace(",", "."));
    return raw.trim() !== "" && Number.isFinite(v) && v >= min && v <= max ? v : undefined;
  };
  if (kind === "bloeddruk") {
    const systolic = num("systolic", 40, 300);
    const diastolic = num("diastolic", 20, 200);
    return systolic !== undefined && diastolic !== undefined ? { kind, systolic, diastolic } : undefined;
  }
  if (kind === "gewicht") {
    const kg = num("kg", 0.5, 500);
    return kg !== undefined ? { kind, kg } : undefined;
  }
  return undefined;
}

export function observationOf(m: Measurement, at: Date): Record<string, unknown> {
  const base = {
    resourceType: "Observation",
    status: "final",
    category: [{ coding: [{ system: "http://hl7.org/fhir/observation-category", code: "vital-signs", display: "Vital Signs" }] }],
    effectiveDateTime: at.toISOString(),
  };
  if (m.kind === "gewicht") {
    return { ...base, code: { coding: [{ system: LOINC, code: "29463-7", display: "Lichaamsgewicht" }] }, valueQuantity: { value: m.kg, unit: "kg", system: UCUM, code: "kg" } };
  }
  const mmHg = (value: number) => ({ value, unit: "mmHg", system: UCUM, code: "mm[Hg]" });
  return {
    ...base,
    code: { coding: [{ system: LOINC, code: "85354-9", display: "Bloeddruk" }] },
    component: [
      { code: { coding: [{ system: LOINC, code: "8480-6", display: "Systolische bloeddruk" }] }, valueQuantity: mmHg(m.systolic) },
      { code: { coding: [{ system: LOINC, code: "8462-4", display: "Diastolische bloeddruk" }] }, valueQuantity: mmHg(m.diastolic) },
    ],
  };
}
