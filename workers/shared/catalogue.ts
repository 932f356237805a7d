/**
 * The part of the MedMij catalogue this project implements (SPEC G-1, G-5): per Gegevensdienst its
 * use case and, per system role, the FHIR STU3 resources and interactions the Resource Server offers.
 * A Gegevensdienst is either collected (Verzamelen: the PGO reads) or shared (Delen: the PGO sends).
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
  readonly systeemrollen: Readonly<Record<string, SysteemrolSpec>>;
}

const BGZ_RESOURCES = [
  "Patient", "Coverage", "Consent", "Condition", "Observation", "NutritionOrder", "Flag", "AllergyIntolerance",
  "MedicationStatement", "MedicationRequest", "MedicationDispense", "Medication", "DeviceUseStatement", "Device",
  "Immunization", "Procedure", "Encounter", "ProcedureRequest", "Appointment", "Practitioner", "PractitionerRole", "Organization",
] as const;

export const CATALOGUE: Readonly<Record<string, GegevensdienstSpec>> = {
  "48": {
    id: "48",
    useCase: "verzamelen",
    systeemrollen: { "MM-1.2-BZB-FHIR": { useCase: "verzamelen", resources: BGZ_RESOURCES } },
  },
  "24": {
    id: "24",
    useCase: "verzamelen",
    systeemrollen: { "LAB-1.2-LRB-FHIR": { useCase: "verzamelen", resources: ["Observation", "Specimen", "DiagnosticReport", "Patient"] } },
  },
  "51": {
    id: "51",
    useCase: "verzamelen",
    systeemrollen: {
      "MM-1.2-PLB-FHIR": { useCase: "verzamelen", resources: ["DocumentManifest", "DocumentReference"] },
      "MM-1.2-PDB-FHIR": { useCase: "verzamelen", resources: ["DocumentReference", "Binary"] },
    },
  },
  "5": {
    id: "5",
    useCase: "delen",
    systeemrollen: { "MM-1.2-MVS-FHIR": { useCase: "delen", resources: ["Observation", "Bundle"] } },
  },
};

export function gegevensdienstSpec(id: string): GegevensdienstSpec | undefined {
  return Object.hasOwn(CATALOGUE, id) ? CATALOGUE[id] : undefined;
}
