/**
 * Which zib (Dutch clinical information building block) a resource is, and so in which section of the Person's page
 * it belongs, in the order of the Basisgegevensset Zorg (BgZ 3.0) with laboratory results, measurements and
 * documents added. A resource is recognised by its zib profile (meta.profile) first, then by its codes and
 * categories as Nictiz's information standards query them (workers/dvp/collect/plan.ts), so data from a provider
 * that leaves out the profile lands in the same place.
 */
import { type R, codeIn, hasCode, hasProfile, instant, obj, objs } from "./fhir-read.ts";

const LOINC = "http://loinc.org";
const SNOMED = "http://snomed.info/sct";
const OBS_CATEGORY = "http://hl7.org/fhir/observation-category";

export type SectionKey =
  | "patient"
  | "betaler"
  | "behandelaanwijzingen"
  | "wilsverklaringen"
  | "functioneren"
  | "problemen"
  | "woonsituatie"
  | "drugsgebruik"
  | "alcoholgebruik"
  | "tabaksgebruik"
  | "voedingsadviezen"
  | "waarschuwingen"
  | "allergieen"
  | "medicatiegebruik"
  | "medicatieafspraken"
  | "toedieningsafspraken"
  | "hulpmiddelen"
  | "vaccinaties"
  | "metingen"
  | "laboratorium"
  | "verrichtingen"
  | "contacten"
  | "geplande-zorg"
  | "documenten"
  | "overig";

/** The sections in the order a Person reads them, with their headings. */
export const SECTIONS: readonly { readonly key: SectionKey; readonly title: string }[] = [
  { key: "patient", title: "Persoonsgegevens en huisarts" },
  { key: "waarschuwingen", title: "Waarschuwingen" },
  { key: "allergieen", title: "Allergieën en intoleranties" },
  { key: "problemen", title: "Problemen" },
  { key: "medicatiegebruik", title: "Medicatiegebruik" },
  { key: "medicatieafspraken", title: "Medicatieafspraken" },
  { key: "toedieningsafspraken", title: "Toedieningsafspraken" },
  { key: "metingen", title: "Metingen" },
  { key: "laboratorium", title: "Laboratoriumuitslagen" },
  { key: "vaccinaties", title: "Vaccinaties" },
  { key: "contacten", title: "Contacten" },
  { key: "verrichtingen", title: "Verrichtingen" },
  { key: "geplande-zorg", title: "Geplande zorg" },
  { key: "hulpmiddelen", title: "Medische hulpmiddelen" },
  { key: "documenten", title: "Documenten" },
  { key: "behandelaanwijzingen", title: "Behandelaanwijzingen" },
  { key: "wilsverklaringen", title: "Wilsverklaringen" },
  { key: "functioneren", title: "Functionele of mentale status" },
  { key: "woonsituatie", title: "Woonsituatie" },
  { key: "drugsgebruik", title: "Drugsgebruik" },
  { key: "alcoholgebruik", title: "Alcoholgebruik" },
  { key: "tabaksgebruik", title: "Tabaksgebruik" },
  { key: "voedingsadviezen", title: "Voedingsadviezen" },
  { key: "betaler", title: "Betaler (zorgverzekering)" },
  { key: "overig", title: "Overige gegevens" },
];

/** The kinds of measurement shown as a chart (zib BloodPressure, BodyWeight, …; SelfMeasurements 2.0). */
export type VitalKind = "bloeddruk" | "gewicht" | "lengte" | "hartslag" | "glucose" | "temperatuur" | "saturatie" | "ademfrequentie";

export const VITAL_KINDS: readonly { readonly kind: VitalKind; readonly title: string; readonly codes: readonly string[]; readonly profiles: readonly string[]; readonly unit: string }[] = [
  { kind: "bloeddruk", title: "Bloeddruk", codes: ["85354-9", "55284-4"], profiles: ["zib-BloodPressure"], unit: "mmHg" },
  { kind: "gewicht", title: "Gewicht", codes: ["29463-7", "3141-9"], profiles: ["zib-BodyWeight"], unit: "kg" },
  { kind: "lengte", title: "Lengte", codes: ["8302-2", "8306-3", "8308-9"], profiles: ["zib-BodyHeight"], unit: "cm" },
  { kind: "hartslag", title: "Hartslag", codes: ["8867-4"], profiles: ["zib-HeartRate"], unit: "/min" },
  { kind: "glucose", title: "Glucose", codes: ["14760-3", "14743-9", "14770-2"], profiles: ["vitalsign-bloodglucose", "zib-GlucoseLevel"], unit: "mmol/l" },
  { kind: "temperatuur", title: "Lichaamstemperatuur", codes: ["8310-5"], profiles: ["zib-BodyTemperature"], unit: "°C" },
  { kind: "saturatie", title: "Zuurstofsaturatie", codes: ["2708-6", "59408-5"], profiles: ["zib-O2Saturation"], unit: "%" },
  { kind: "ademfrequentie", title: "Ademhalingsfrequentie", codes: ["9279-1"], profiles: ["zib-Respiration"], unit: "/min" },
];

/** LOINC codes of blood pressure's components (zib BloodPressure). */
export const SYSTOLIC = ["8480-6"];
export const DIASTOLIC = ["8462-4"];

/** The glucose moments of SelfMeasurements 2.0, by LOINC code. */
export const GLUCOSE_MOMENT: Readonly<Record<string, string>> = { "14743-9": "willekeurig moment", "14770-2": "nuchter", "14760-3": "2 uur na de maaltijd" };

export function vitalKindOf(r: R): VitalKind | undefined {
  for (const v of VITAL_KINDS) if (v.profiles.some((p) => hasProfile(r, p))) return v.kind;
  for (const v of VITAL_KINDS) if (hasCode(r.code, LOINC, ...v.codes)) return v.kind;
  return undefined;
}

/** Laboratory results: zib LaboratoryTestResult by profile, SNOMED category 49581000146104 or 275711006, or FHIR's `laboratory`. */
export function isLab(r: R): boolean {
  return hasProfile(r, "zib-LaboratoryTestResult-Observation") || hasCode(r.category, SNOMED, "49581000146104", "275711006") || hasCode(r.category, OBS_CATEGORY, "laboratory");
}

function observationSection(r: R): SectionKey {
  if (vitalKindOf(r)) return "metingen";
  if (hasProfile(r, "zib-FunctionalOrMentalStatus") || hasCode(r.category, SNOMED, "118228005", "384821006")) return "functioneren";
  if (hasProfile(r, "zib-LivingSituation") || hasCode(r.code, SNOMED, "365508006")) return "woonsituatie";
  if (hasProfile(r, "zib-DrugUse") || hasCode(r.code, SNOMED, "228366006")) return "drugsgebruik";
  if (hasProfile(r, "zib-AlcoholUse") || hasCode(r.code, SNOMED, "228273003")) return "alcoholgebruik";
  if (hasProfile(r, "zib-TobaccoUse") || hasCode(r.code, SNOMED, "365980008")) return "tabaksgebruik";
  if (isLab(r)) return "laboratorium";
  // Another vital sign (a code this PGO has no chart kind for) is still a measurement.
  if (hasCode(r.category, OBS_CATEGORY, "vital-signs")) return "metingen";
  return "overig";
}

/** A Consent is a treatment directive (zib TreatmentDirective) or an advance directive (zib AdvanceDirective). */
function consentSection(r: R): SectionKey {
  if (hasProfile(r, "zib-TreatmentDirective") || hasCode(r.category, SNOMED, "11291000146105")) return "behandelaanwijzingen";
  return "wilsverklaringen";
}

/**
 * Resources that are not shown by themselves, only through what refers to them (an included huisarts, a
 * medication's product, a device, a specimen, a document's Binary).
 */
const SUPPORTING = new Set(["Practitioner", "PractitionerRole", "Organization", "Location", "Medication", "Device", "Specimen", "RelatedPerson", "Binary", "OperationOutcome", "Bundle"]);

/** The section a resource belongs in; undefined for supporting resources. */
export function sectionOf(r: R): SectionKey | undefined {
  switch (r.resourceType) {
    case "Patient":
      return "patient";
    case "Coverage":
      return "betaler";
    case "Consent":
      return consentSection(r);
    case "Observation":
      return observationSection(r);
    case "DiagnosticReport":
      return "laboratorium";
    case "Condition":
      return "problemen";
    case "NutritionOrder":
      return "voedingsadviezen";
    case "Flag":
      return "waarschuwingen";
    case "AllergyIntolerance":
      return "allergieen";
    case "MedicationStatement":
      return "medicatiegebruik";
    case "MedicationRequest":
      return "medicatieafspraken";
    case "MedicationDispense":
      return "toedieningsafspraken";
    case "DeviceUseStatement":
      return "hulpmiddelen";
    case "Immunization":
      return "vaccinaties";
    case "Procedure":
      return "verrichtingen";
    case "Encounter":
      return "contacten";
    case "ProcedureRequest":
    case "ImmunizationRecommendation":
    case "Appointment":
    case "DeviceRequest":
      return "geplande-zorg";
    case "DocumentReference":
    case "DocumentManifest":
      return "documenten";
    default:
      return typeof r.resourceType === "string" && SUPPORTING.has(r.resourceType) ? undefined : "overig";
  }
}

/** zib-Medication-PeriodOfUse: the period a medication agreement or administration agreement covers. */
export const PERIOD_OF_USE = "http://nictiz.nl/fhir/StructureDefinition/zib-Medication-PeriodOfUse";

/** A medication agreement (MedicationRequest) whose period of use starts after `now` is planned care too (BgZ). */
export function isFutureMedicationRequest(r: R, now: Date): boolean {
  if (r.resourceType !== "MedicationRequest") return false;
  const period = objs(r.extension).find((e) => e.url === PERIOD_OF_USE)?.valuePeriod ?? obj(obj(r.dispenseRequest)?.validityPeriod);
  const start = instant(obj(period)?.start);
  return start !== undefined && start > now.getTime();
}

/** The first LOINC code of an Observation, to group measurements without a chart kind. */
export function loincOf(r: R): string | undefined {
  return codeIn(r.code, LOINC);
}
