/**
 * The part of the MedMij catalogue this project implements (SPEC G-1, G-5, G-6): per Gegevensdienst its use case,
 * the Nictiz information standard that defines it, and per system role the FHIR STU3 resources the Resource
 * Server offers. A Gegevensdienst is either collected (Verzamelen: the PGO reads) or shared (Delen: the PGO sends).
 *
 * `restrict` is what a Gegevensdienst's view of a provider's records is, where one record holds more than the
 * Gegevensdienst: token search parameters every resource of that type must meet (AS-6), applied in store mode by
 * the FhirStore and in upstream mode by the RS on every search and every answer (with the deployment's own
 * `restrict` from FHIR_UPSTREAMS on top).
 *
 * Two Gegevensdiensten are local to this project's network (ids above 1000, said so in the local lists' comments
 * and the README): MedMij's list has no Gegevensdienst for a PGO sending documents, nor one for collecting the
 * self measurements Nictiz's Serving-XIS scripts serve, and the qualification scripts for both exist.
 */
export type UseCase = "verzamelen" | "delen";

export interface SysteemrolSpec {
  readonly useCase: UseCase;
  /** FHIR STU3 resource types reachable under the resource endpoint. */
  readonly resources: readonly string[];
}

export interface GegevensdienstSpec {
  readonly id: string;
  readonly useCase: UseCase;
  /** The Nictiz information standard (`output/STU3/<standard>` in Nictiz-testscripts, SPEC G-6). */
  readonly standard: string;
  readonly systeemrollen: Readonly<Record<string, SysteemrolSpec>>;
  /** Per resource type, a query of token parameters (`category=a,b`) every resource of that type meets. */
  readonly restrict?: Readonly<Record<string, string>>;
  /** Not on MedMij's own list: a Gegevensdienst of this project's local network. */
  readonly local?: true;
}

/** Shared resources that come along with a Person's own (by _include, or a read of what their records name). */
const SHARED = ["Practitioner", "PractitionerRole", "Organization", "Location", "Medication"] as const;

const BGZ_RESOURCES = [
  "Patient", "Coverage", "Consent", "Condition", "Observation", "NutritionOrder", "Flag", "AllergyIntolerance",
  "MedicationStatement", "MedicationRequest", "MedicationDispense", "DeviceUseStatement", "Device", "Immunization",
  "ImmunizationRecommendation", "Procedure", "Encounter", "ProcedureRequest", "Appointment", "DeviceRequest",
  "RelatedPerson", "Specimen", ...SHARED,
] as const;

/** Laboratory results: zib LaboratoryTestResult (SNOMED 49581000146104) and the BgZ's lab category 275711006. */
const LAB_CATEGORIES = "http://snomed.info/sct|49581000146104,http://snomed.info/sct|275711006,http://hl7.org/fhir/observation-category|laboratory";
/**
 * Self measurements (SelfMeasurements 2.0): the zibs BloodPressure, BodyWeight, BodyHeight, HeartRate, GlucoseLevel
 * (three LOINC codes: glucose is a lab finding by category, so the codes, not the category, say what is in view),
 * BodyTemperature and O2Saturation.
 */
const SELF_MEASUREMENTS = ["85354-9", "29463-7", "8302-2", "8306-3", "8308-9", "8867-4", "14760-3", "14743-9", "14770-2", "8310-5", "2708-6", "59408-5"].map((c) => `http://loinc.org|${c}`).join(",");

export const CATALOGUE: Readonly<Record<string, GegevensdienstSpec>> = {
  "48": {
    id: "48",
    useCase: "verzamelen",
    standard: "BgZ-3-0",
    systeemrollen: { "MM-1.2-BZB-FHIR": { useCase: "verzamelen", resources: BGZ_RESOURCES } },
  },
  "24": {
    id: "24",
    useCase: "verzamelen",
    standard: "LaboratoryResults-2-0",
    systeemrollen: { "LAB-1.2-LRB-FHIR": { useCase: "verzamelen", resources: ["Observation", "Specimen", "DiagnosticReport", "Patient", ...SHARED] } },
    restrict: { Observation: `category=${LAB_CATEGORIES}` },
  },
  "51": {
    id: "51",
    useCase: "verzamelen",
    standard: "PDFA-3-0",
    systeemrollen: {
      "MM-1.2-PLB-FHIR": { useCase: "verzamelen", resources: ["DocumentManifest", "DocumentReference", "Patient", ...SHARED] },
      "MM-1.2-PDB-FHIR": { useCase: "verzamelen", resources: ["DocumentReference", "Binary", "Patient", ...SHARED] },
    },
  },
  "5": {
    id: "5",
    useCase: "delen",
    standard: "SelfMeasurements-2-0",
    systeemrollen: { "MM-1.2-MVS-FHIR": { useCase: "delen", resources: ["Observation", "Patient", "Bundle"] } },
    restrict: { Observation: `code=${SELF_MEASUREMENTS}` },
  },
  "1005": {
    id: "1005",
    useCase: "verzamelen",
    standard: "SelfMeasurements-2-0",
    systeemrollen: { "LOCAL-MVV-FHIR": { useCase: "verzamelen", resources: ["Observation", "Patient", ...SHARED] } },
    restrict: { Observation: `code=${SELF_MEASUREMENTS}` },
    local: true,
  },
  "1051": {
    id: "1051",
    useCase: "delen",
    standard: "PDFA-3-0",
    systeemrollen: { "LOCAL-PDS-FHIR": { useCase: "delen", resources: ["DocumentReference", "DocumentManifest", "Binary", "Patient", "Bundle"] } },
    local: true,
  },
};

export function gegevensdienstSpec(id: string): GegevensdienstSpec | undefined {
  return Object.hasOwn(CATALOGUE, id) ? CATALOGUE[id] : undefined;
}
