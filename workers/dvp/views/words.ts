/**
 * The Dutch words a Person reads for FHIR's codes (issue 17: no English on a page). Status codes, genders, kinds of
 * contact, time units: every one the views show is mapped here; a code without a Dutch word is shown as "onbekend"
 * (statuses) or left out, never as the English code. Code displays that come in the data are shown as they are.
 */

type Words = Readonly<Record<string, string>>;

const word = (table: Words, code: unknown, fallback = "onbekend"): string => (typeof code === "string" && Object.hasOwn(table, code) ? table[code]! : fallback);

/** The outcome of a run (PersonStore's CollectionInput.outcome). */
export const OUTCOME: Words = { completed: "voltooid", failed: "mislukt", denied: "geweigerd" };
export const outcomeWord = (c: unknown): string => word(OUTCOME, c);

/** Verzamelen and Delen as the Person says them. */
export const USE_CASE: Words = { verzamelen: "Opgehaald", delen: "Gedeeld" };
export const useCaseWord = (c: unknown): string => word(USE_CASE, c);

/**
 * The status codes of the STU3 resources the views show, one table: the same code means the same across them
 * (request-status, event-status, observation-status, medication-statement-status, and the rest).
 */
export const STATUS: Words = {
  // request-status, event-status, medication-*-status
  draft: "concept",
  active: "actief",
  suspended: "onderbroken",
  "on-hold": "onderbroken",
  completed: "afgerond",
  "entered-in-error": "foutief ingevoerd",
  cancelled: "geannuleerd",
  stopped: "gestopt",
  intended: "voorgenomen",
  preparation: "in voorbereiding",
  "in-progress": "bezig",
  aborted: "afgebroken",
  unknown: "onbekend",
  "not-taken": "niet ingenomen",
  // observation-status, diagnostic-report-status
  registered: "geregistreerd",
  preliminary: "voorlopig",
  final: "definitief",
  amended: "gewijzigd",
  corrected: "gecorrigeerd",
  partial: "gedeeltelijk",
  appended: "aangevuld",
  // encounter-status
  planned: "gepland",
  arrived: "aangekomen",
  triaged: "ingedeeld",
  onleave: "met verlof",
  finished: "afgerond",
  // appointment-status
  proposed: "voorgesteld",
  pending: "in afwachting",
  booked: "gepland",
  fulfilled: "afgerond",
  noshow: "niet verschenen",
  // flag-status, device-statement-status, nutrition-order-status
  inactive: "niet actief",
  requested: "aangevraagd",
  received: "ontvangen",
  accepted: "geaccepteerd",
  // document-reference-status, document-manifest-status
  current: "actueel",
  superseded: "vervangen",
  // consent-state-codes (draft, proposed, active, inactive and entered-in-error are above)
  rejected: "afgewezen",
};
export const statusWord = (c: unknown): string => word(STATUS, c);

/** Condition and AllergyIntolerance clinicalStatus. */
export const CLINICAL_STATUS: Words = { active: "actief", recurrence: "teruggekeerd", inactive: "niet actief", remission: "in remissie", resolved: "verholpen" };
export const VERIFICATION_STATUS: Words = {
  provisional: "voorlopig",
  differential: "differentiaaldiagnose",
  confirmed: "bevestigd",
  refuted: "weerlegd",
  "entered-in-error": "foutief ingevoerd",
  unknown: "onbekend",
  unconfirmed: "niet bevestigd",
};
export const clinicalStatusWord = (c: unknown): string => word(CLINICAL_STATUS, c);
export const verificationStatusWord = (c: unknown): string => word(VERIFICATION_STATUS, c);

export const CRITICALITY: Words = { low: "laag", high: "hoog", "unable-to-assess": "niet te beoordelen" };
export const SEVERITY: Words = { mild: "licht", moderate: "matig", severe: "ernstig" };
export const ALLERGY_CATEGORY: Words = { food: "voedsel", medication: "geneesmiddel", environment: "omgeving", biologic: "biologisch" };
export const ALLERGY_TYPE: Words = { allergy: "allergie", intolerance: "intolerantie" };

export const GENDER: Words = { male: "man", female: "vrouw", other: "anders", unknown: "onbekend" };

/** HL7 v3 MaritalStatus. */
export const MARITAL_STATUS: Words = {
  A: "huwelijk nietig verklaard",
  D: "gescheiden",
  I: "huwelijk nietig",
  L: "gescheiden van tafel en bed",
  M: "gehuwd",
  P: "polygaam",
  S: "nooit gehuwd",
  T: "samenwonend",
  U: "ongehuwd",
  W: "weduwe of weduwnaar",
};

/** HL7 v3 RoleCode, the family relations a contact person most often has. */
export const ROLE_CODE: Words = {
  WIFE: "echtgenote",
  HUSB: "echtgenoot",
  SPS: "echtgeno(o)t(e)",
  DOMPART: "partner",
  MTH: "moeder",
  FTH: "vader",
  PRN: "ouder",
  DAU: "dochter",
  SON: "zoon",
  CHILD: "kind",
  SIS: "zus",
  BRO: "broer",
  SIB: "broer of zus",
  GRMTH: "grootmoeder",
  GRFTH: "grootvader",
  FRND: "vriend(in)",
  NBOR: "buur",
  GUARD: "voogd",
  FAMMEMB: "familielid",
};

/** HL7 v3 ActCode: the class of an Encounter. */
export const ENCOUNTER_CLASS: Words = {
  IMP: "opname",
  ACUTE: "acute opname",
  NONAC: "niet-acute opname",
  AMB: "polikliniekbezoek",
  EMER: "spoedeisende hulp",
  HH: "thuisbezoek",
  FLD: "bezoek buiten de instelling",
  VR: "virtueel contact",
  SS: "dagopname",
  OBSENC: "observatie",
  PRENC: "pre-opname",
};

/** UCUM time units: singular and plural. */
const TIME_UNITS: Readonly<Record<string, readonly [string, string]>> = {
  s: ["seconde", "seconden"],
  min: ["minuut", "minuten"],
  h: ["uur", "uur"],
  d: ["dag", "dagen"],
  wk: ["week", "weken"],
  mo: ["maand", "maanden"],
  a: ["jaar", "jaar"],
};

/** "30 dagen", "1 week"; undefined for a unit without a Dutch word. */
export function timeUnit(code: unknown, n: number): string | undefined {
  if (typeof code !== "string" || !Object.hasOwn(TIME_UNITS, code)) return undefined;
  const [one, many] = TIME_UNITS[code]!;
  return n === 1 ? one : many;
}

/** "per dag", "per 8 uur" (a dosage's period). */
export function perPeriod(period: number, unit: unknown): string | undefined {
  const w = timeUnit(unit, period);
  if (!w) return undefined;
  return period === 1 ? `per ${w}` : `per ${String(period).replace(".", ",")} ${w}`;
}

/** FHIR resource types a Person may see named, in Dutch. */
export const RESOURCE_TYPE: Words = {
  Patient: "patiënt",
  Observation: "meting of bevinding",
  Condition: "probleem",
  AllergyIntolerance: "allergie",
  MedicationStatement: "medicatiegebruik",
  MedicationRequest: "medicatieafspraak",
  MedicationDispense: "toedieningsafspraak",
  Immunization: "vaccinatie",
  ImmunizationRecommendation: "geplande vaccinatie",
  Encounter: "contact",
  Procedure: "verrichting",
  ProcedureRequest: "geplande verrichting",
  Appointment: "afspraak",
  DeviceRequest: "aangevraagd hulpmiddel",
  DeviceUseStatement: "medisch hulpmiddel",
  Coverage: "betaler",
  Consent: "wilsverklaring",
  NutritionOrder: "voedingsadvies",
  Flag: "waarschuwing",
  DocumentReference: "document",
  DocumentManifest: "verzameling documenten",
  Binary: "bestand",
  DiagnosticReport: "onderzoeksverslag",
  Specimen: "monster",
  Practitioner: "zorgverlener",
  PractitionerRole: "rol van een zorgverlener",
  Organization: "zorgaanbieder",
  Location: "locatie",
  Medication: "geneesmiddel",
  Device: "hulpmiddel",
  RelatedPerson: "contactpersoon",
  OperationOutcome: "melding van de zorgaanbieder",
  Bundle: "bundel",
};
export const resourceTypeWord = (t: unknown): string => word(RESOURCE_TYPE, t, "gegevens");
