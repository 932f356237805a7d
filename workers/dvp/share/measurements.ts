/**
 * The Person's own measurements as zib-profiled FHIR STU3 Observations in a `batch` Bundle, as Nictiz's
 * SelfMeasurements 2.0 Sending-PHR scripts expect (SPEC G-6): a Patient entry and one Observation per measurement,
 * `urn:uuid` fullUrls, no resource ids on the POST entries, `meta.profile` on each, codings with system, code and
 * display, references with display, identifiers with system and value (the measurement's own id, so a provider
 * receiving it twice can tell).
 */
import type { GlucoseMoment, MeasurementKind, OwnMeasurement } from "../own-data.ts";
import type { PgoPerson } from "../persons.ts";
import { patientOf, patientReference } from "./patient.ts";

const LOINC = "http://loinc.org";
const UCUM = "http://unitsofmeasure.org";
const ZIB = "http://nictiz.nl/fhir/StructureDefinition/";
const VITAL_SIGNS = { coding: [{ system: "http://hl7.org/fhir/observation-category", code: "vital-signs", display: "Vital Signs" }] };
const LAB_FINDING = { coding: [{ system: "http://snomed.info/sct", code: "49581000146104", display: "bevinding betreffende laboratoriumonderzoek" }] };

interface Zib {
  readonly profile: string;
  readonly category: Record<string, unknown>;
  readonly code: string;
  readonly display: string;
  /** Unit as shown and as UCUM code. */
  readonly unit: readonly [string, string];
}

const ZIBS: Readonly<Record<Exclude<MeasurementKind, "glucose">, Zib>> = {
  bloeddruk: { profile: `${ZIB}zib-BloodPressure`, category: VITAL_SIGNS, code: "85354-9", display: "Blood pressure panel with all children optional", unit: ["mmHg", "mm[Hg]"] },
  gewicht: { profile: `${ZIB}zib-BodyWeight`, category: VITAL_SIGNS, code: "29463-7", display: "Lichaamsgewicht [massa] in ^patiënt", unit: ["kg", "kg"] },
  lengte: { profile: `${ZIB}zib-BodyHeight`, category: VITAL_SIGNS, code: "8302-2", display: "Lichaamslengte", unit: ["cm", "cm"] },
  hartslag: { profile: `${ZIB}zib-HeartRate`, category: VITAL_SIGNS, code: "8867-4", display: "Heart rate", unit: ["/min", "/min"] },
};

/** Glucose (zib GlucoseLevel, Nictiz's vitalsign-bloodglucose): the LOINC code says when it was measured. */
const GLUCOSE: Readonly<Record<GlucoseMoment, readonly [string, string]>> = {
  willekeurig: ["14743-9", "Glucose [mol/volume] in capillair bloed d.m.v. glucometer"],
  nuchter: ["14770-2", "Glucose^na vasten [mol/volume] in capillair bloed d.m.v. glucometer"],
  "na-maaltijd": ["14760-3", "Glucose^2 uur na maaltijd [mol/volume] in capillair bloed"],
};

const quantity = (value: number, [unit, code]: readonly [string, string]) => ({ value, unit, system: UCUM, code });
const coding = (code: string, display: string) => ({ coding: [{ system: LOINC, code, display }] });

/** One measurement as its zib's Observation, about and by the Patient at `patientUrl`. */
export function observationOf(m: OwnMeasurement, person: Pick<PgoPerson, "naam">, patientUrl: string): Record<string, unknown> {
  const who = patientReference(patientUrl, person);
  const common = { identifier: [{ system: "urn:ietf:rfc:3986", value: `urn:uuid:${m.id}` }], status: "final", subject: who, effectiveDateTime: m.at, performer: [who] };
  if (m.kind === "glucose") {
    const [code, display] = GLUCOSE[m.moment ?? "willekeurig"];
    return { resourceType: "Observation", meta: { profile: [`${ZIB}vitalsign-bloodglucose`] }, ...common, category: [LAB_FINDING], code: coding(code, display), valueQuantity: quantity(m.values[0]!, ["mmol/l", "mmol/L"]) };
  }
  const zib = ZIBS[m.kind];
  const head = { resourceType: "Observation", meta: { profile: [zib.profile] }, ...common, category: [zib.category], code: coding(zib.code, zib.display) };
  if (m.kind !== "bloeddruk") return { ...head, valueQuantity: quantity(m.values[0]!, zib.unit) };
  return {
    ...head,
    component: [
      { code: coding("8480-6", "Intravasculaire systolische bloeddruk [druk] in arterieel vaatstelsel"), valueQuantity: quantity(m.values[0]!, zib.unit) },
      { code: coding("8462-4", "Intravasculaire diastolische bloeddruk [druk] in arterieel vaatstelsel"), valueQuantity: quantity(m.values[1]!, zib.unit) },
    ],
  };
}

/** The batch a PGO sends: the Patient, then every measurement (oldest first). */
export function measurementsBundle(measurements: readonly OwnMeasurement[], person: Pick<PgoPerson, "naam">): Record<string, unknown> {
  const patientUrl = `urn:uuid:${crypto.randomUUID()}`;
  const sorted = [...measurements].sort((a, b) => Date.parse(a.at) - Date.parse(b.at));
  return {
    resourceType: "Bundle",
    type: "batch",
    entry: [
      { fullUrl: patientUrl, resource: patientOf(person), request: { method: "POST", url: "Patient" } },
      ...sorted.map((m) => ({ fullUrl: `urn:uuid:${crypto.randomUUID()}`, resource: observationOf(m, person, patientUrl), request: { method: "POST", url: "Observation" } })),
    ],
  };
}

/** The ranges the form accepts per kind (beyond them a typing error is far likelier than a measurement). */
export const MEASUREMENT_RANGES: Readonly<Record<MeasurementKind, readonly (readonly [number, number])[]>> = {
  bloeddruk: [[40, 300], [20, 200]],
  gewicht: [[0.5, 500]],
  lengte: [[20, 260]],
  hartslag: [[20, 250]],
  glucose: [[0.5, 50]],
};
