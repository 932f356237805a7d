/**
 * The Person as a Patient resource in what the PGO sends (Delen, SPEC G-1): zib Patient (nl-core-patient) with
 * the name the PGO knows. Never a BSN: a PGO does not process it; the provider binds what it receives to
 * the Person of the token.
 */
import type { PgoPerson } from "../persons.ts";

export const NL_CORE_PATIENT = "http://fhir.nl/fhir/StructureDefinition/nl-core-patient";

/** A display name as FHIR HumanName: the first word as given name, the rest (with tussenvoegsels) as family name. */
export function humanName(naam: string): Record<string, unknown> {
  const words = naam.trim().split(/\s+/).filter(Boolean);
  if (words.length < 2) return { text: naam.trim() };
  return { text: words.join(" "), family: words.slice(1).join(" "), given: [words[0]] };
}

export function patientOf(person: Pick<PgoPerson, "naam">): Record<string, unknown> {
  return { resourceType: "Patient", meta: { profile: [NL_CORE_PATIENT] }, name: [humanName(person.naam)] };
}

/** A reference to the Patient entry of the same Bundle, with the display Nictiz's rules ask for on every reference. */
export function patientReference(fullUrl: string, person: Pick<PgoPerson, "naam">): Record<string, unknown> {
  return { reference: fullUrl, display: person.naam.trim() };
}
