// FHIR STU3 test data of the local network: per Zorgaanbieder, per Gegevensdienst, the resources of
// the three test Persons of the DigiD simulator. Built from compact definitions so every resource is
// consistent (references, identifiers). Plain JS so both the workers' tests and Node scripts load it.

export const PERSONS = [
  { key: "jansen", bsn: "999990019", family: "Jansen", given: "Johan", gender: "male", birthDate: "1961-04-12" },
  { key: "devries", bsn: "999990020", family: "de Vries", given: "Petra", gender: "female", birthDate: "1978-09-30" },
  { key: "bakker", bsn: "999990032", family: "Bakker", given: "Anouk", gender: "female", birthDate: "1990-01-22" },
];

const BSN_SYSTEM = "http://fhir.nl/fhir/NamingSystem/bsn";
const SNOMED = "http://snomed.info/sct";
const LOINC = "http://loinc.org";
const UCUM = "http://unitsofmeasure.org";
const meta = (profile) => ({ profile: [profile], lastUpdated: "2026-10-01T08:00:00Z" });
const cc = (system, code, display) => ({ coding: [{ system, code, display }], text: display });

// A minimal, valid one-page PDF ("Ontslagbrief"), base64.
const PDF =
  "JVBERi0xLjQKMSAwIG9iago8PC9UeXBlL0NhdGFsb2cvUGFnZXMgMiAwIFI+PmVuZG9iagoyIDAgb2JqCjw8L1R5cGUvUGFnZXMvS2lkc1szIDAgUl0vQ291bnQgMT4+ZW5kb2JqCjMgMCBvYmoKPDwvVHlwZS9QYWdlL1BhcmVudCAyIDAgUi9NZWRpYUJveFswIDAgNTk1IDg0Ml0+PmVuZG9iagp0cmFpbGVyCjw8L1Jvb3QgMSAwIFI+PgolJUVPRgo=";

function patient(p, provider) {
  return {
    resourceType: "Patient",
    id: `pat-${p.key}`,
    meta: meta("http://fhir.nl/fhir/StructureDefinition/nl-core-patient"),
    identifier: [{ system: BSN_SYSTEM, value: p.bsn }],
    name: [{ use: "official", family: p.family, given: [p.given] }],
    gender: p.gender,
    birthDate: p.birthDate,
    managingOrganization: { display: provider },
  };
}

function bgz(p, provider) {
  const subject = { reference: `Patient/pat-${p.key}` };
  return [
    patient(p, provider),
    { resourceType: "Condition", id: `con-${p.key}-1`, clinicalStatus: "active", verificationStatus: "confirmed", category: [cc(SNOMED, "439401001", "Diagnosis")], code: cc(SNOMED, "38341003", "Hypertensie"), subject, onsetDateTime: "2015-03-01" },
    { resourceType: "Condition", id: `con-${p.key}-2`, clinicalStatus: p.key === "bakker" ? "active" : "resolved", verificationStatus: "confirmed", category: [cc(SNOMED, "439401001", "Diagnosis")], code: cc(SNOMED, "195967001", "Astma"), subject, onsetDateTime: "2004-06-15" },
    { resourceType: "AllergyIntolerance", id: `all-${p.key}`, clinicalStatus: "active", verificationStatus: "confirmed", category: ["medication"], criticality: "high", code: cc(SNOMED, "91936005", "Allergie voor penicilline"), patient: subject },
    { resourceType: "Medication", id: `med-${p.key}`, code: { coding: [{ system: "urn:oid:2.16.840.1.113883.2.4.4.10", code: "2478889", display: "Metoprolol tablet 50mg" }], text: "Metoprolol tablet 50mg" } },
    { resourceType: "MedicationStatement", id: `ms-${p.key}`, status: "active", category: cc("urn:oid:2.16.840.1.113883.2.4.3.11.60.20.77.5.3", "6", "Medicatiegebruik"), medicationReference: { reference: `Medication/med-${p.key}` }, subject, taken: "y", dosage: [{ text: "1 maal per dag 1 tablet" }] },
    { resourceType: "Immunization", id: `imm-${p.key}`, status: "completed", notGiven: false, vaccineCode: cc("urn:oid:2.16.840.1.113883.2.4.4.7", "J07BX03", "COVID-19 vaccin"), patient: subject, date: "2021-05-20", primarySource: true },
    {
      resourceType: "Observation", id: `bp-${p.key}`, status: "final", category: [cc("http://hl7.org/fhir/observation-category", "vital-signs", "Vital Signs")],
      code: cc(LOINC, "85354-9", "Bloeddruk"), subject, effectiveDateTime: "2026-09-15T10:30:00+02:00",
      component: [
        { code: cc(LOINC, "8480-6", "Systolische bloeddruk"), valueQuantity: { value: 138, unit: "mmHg", system: UCUM, code: "mm[Hg]" } },
        { code: cc(LOINC, "8462-4", "Diastolische bloeddruk"), valueQuantity: { value: 86, unit: "mmHg", system: UCUM, code: "mm[Hg]" } },
      ],
    },
    { resourceType: "Observation", id: `bw-${p.key}`, status: "final", category: [cc("http://hl7.org/fhir/observation-category", "vital-signs", "Vital Signs")], code: cc(LOINC, "29463-7", "Lichaamsgewicht"), subject, effectiveDateTime: "2026-09-15T10:35:00+02:00", valueQuantity: { value: 81.5, unit: "kg", system: UCUM, code: "kg" } },
  ];
}

function lab(p) {
  const subject = { reference: `Patient/pat-${p.key}` };
  const result = (id, code, display, value, unit, ucum, low, high) => ({
    resourceType: "Observation", id: `lab-${p.key}-${id}`, status: "final", category: [cc("http://hl7.org/fhir/observation-category", "laboratory", "Laboratory")],
    code: cc(LOINC, code, display), subject, effectiveDateTime: "2026-10-02T08:15:00+02:00",
    valueQuantity: { value, unit, system: UCUM, code: ucum },
    referenceRange: [{ low: { value: low, unit, system: UCUM, code: ucum }, high: { value: high, unit, system: UCUM, code: ucum } }],
  });
  return [
    patient(p, "laboratorium"),
    result("hb", "718-7", "Hemoglobine", 8.9, "mmol/l", "mmol/L", 8.5, 11.0),
    result("glu", "15074-8", "Glucose", 6.1, "mmol/l", "mmol/L", 4.0, 7.8),
    result("kreat", "14682-9", "Kreatinine", 92, "umol/l", "umol/L", 60, 110),
  ];
}

function documenten(p, provider) {
  const subject = { reference: `Patient/pat-${p.key}` };
  return [
    { resourceType: "Binary", id: `bin-${p.key}`, contentType: "application/pdf", content: PDF },
    {
      resourceType: "DocumentReference", id: `doc-${p.key}`, status: "current", type: cc(LOINC, "18842-5", "Ontslagbrief"), subject, indexed: "2026-10-03T09:00:00+02:00",
      author: [{ display: provider }], description: "Ontslagbrief",
      content: [{ attachment: { contentType: "application/pdf", url: `Binary/bin-${p.key}`, title: "Ontslagbrief.pdf" } }],
    },
    { resourceType: "DocumentManifest", id: `man-${p.key}`, status: "current", subject, created: "2026-10-03T09:00:00+02:00", content: [{ pReference: { reference: `DocumentReference/doc-${p.key}` } }] },
  ];
}

const BUILDERS = { 48: bgz, 24: lab, 51: documenten };

/** Which Persons each provider has data of, and for which Verzamelen Gegevensdiensten. */
const CARE = {
  "umcharderwijk@medmij": { persons: ["jansen", "devries", "bakker"], gegevensdiensten: ["48", "24", "51"] },
  "huisartsenpraktijkdelinde@medmij": { persons: ["jansen", "devries"], gegevensdiensten: ["48"] },
  "ziekenhuisoost@medmij": { persons: ["jansen", "bakker"], gegevensdiensten: ["48", "24", "51"] },
};

/**
 * A Zorgaanbieder's records: one copy of each resource (a Patient appears once, whatever the Gegevensdiensten
 * that show it). The Patients carry their BSN: the store ties every resource to a Person through it, and never
 * serves it (SPEC ).
 */
export function fhirResources(zorgaanbieder) {
  const care = CARE[zorgaanbieder];
  if (!care) return [];
  const byKey = new Map();
  for (const gd of care.gegevensdiensten) {
    for (const key of care.persons) {
      const p = PERSONS.find((x) => x.key === key);
      for (const r of BUILDERS[gd](p, zorgaanbieder)) byKey.set(`${r.resourceType}/${r.id}`, r);
    }
  }
  return [...byKey.values()];
}

/** What FhirStore.seed takes: the resources as JSON texts. */
export function fhirSeed(zorgaanbieder) {
  return fhirResources(zorgaanbieder).map((r) => JSON.stringify(r));
}

export const SEEDED_PROVIDERS = Object.keys(CARE);
