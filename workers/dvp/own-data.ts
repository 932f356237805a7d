/**
 * What the Person keeps in the PGO themselves, to share with a provider (Delen, SPEC G-1): measurements they
 * enter and documents they upload. Stored in their PersonStore; shared as zib-profiled FHIR (workers/dvp/share/).
 */

/** The kinds of self measurement the PGO offers, each one zib (Nictiz SelfMeasurements 2.0). */
export type MeasurementKind = "bloeddruk" | "gewicht" | "lengte" | "hartslag" | "glucose";

/** Glucose: at any moment (LOINC 14743-9), fasting (14770-2), two hours after a meal (14760-3). */
export type GlucoseMoment = "willekeurig" | "nuchter" | "na-maaltijd";

export interface OwnMeasurement {
  readonly id: string;
  readonly kind: MeasurementKind;
  /** When it was measured (ISO 8601 with offset). */
  readonly at: string;
  /** bloeddruk: systolic and diastolic in mmHg; gewicht kg; lengte cm; hartslag /min; glucose mmol/L. */
  readonly values: readonly number[];
  /** glucose only: when it was measured relative to a meal (its LOINC code says so). */
  readonly moment?: GlucoseMoment;
  /** When it was entered, and when last shared (ISO 8601). */
  readonly enteredAt: string;
  readonly sharedAt: string | null;
}

export interface OwnDocument {
  readonly id: string;
  readonly title: string;
  /** The document kind (a code from DOCUMENT_TYPES). */
  readonly type: string;
  readonly contentType: "application/pdf";
  readonly size: number;
  readonly uploadedAt: string;
  readonly sharedAt: string | null;
}

/**
 * The document kinds the upload form offers: the SNOMED CT document types of Nictiz's PDF/A fixtures for what a
 * PGO sends (ontslagbrief, verwijsbrief), and LOINC's for what providers most often produce.
 */
export const DOCUMENT_TYPES: readonly { readonly code: string; readonly system: string; readonly display: string; readonly naam: string }[] = [
  { code: "11071000146104", system: "http://snomed.info/sct", display: "ontslagbrief", naam: "Ontslagbrief" },
  { code: "11051000146107", system: "http://snomed.info/sct", display: "verwijsbrief", naam: "Verwijsbrief" },
  { code: "11488-4", system: "http://loinc.org", display: "Consult Note", naam: "Consultverslag" },
  { code: "18842-5", system: "http://loinc.org", display: "Discharge summary", naam: "Samenvatting bij ontslag" },
  { code: "73575-3", system: "http://loinc.org", display: "Radiology Consult note", naam: "Radiologieverslag" },
];
