/**
 * The Patient compartment of FHIR STU3 (CompartmentDefinition/patient, generated into compartment.gen.ts), with
 * each parameter's meaning from its SearchParameter definition: a resource is in the compartment of every Patient
 * one of these references names (SPEC X-4; issue 15 #1: `performer` puts an Observation in that Patient's file).
 */
import { PATIENT_COMPARTMENT } from "./definitions/compartment.gen.ts";
import { evaluate } from "./fhirpath.ts";
import { searchParameter } from "./parameters.ts";
import type { Json } from "./references.ts";

const isObject = (v: unknown): v is Json => typeof v === "object" && v !== null && !Array.isArray(v);

/** Resource types whose instances belong to a Patient's compartment (Patient itself included). */
export function inPatientCompartment(type: string): boolean {
  return type === "Patient" || Object.hasOwn(PATIENT_COMPARTMENT, type);
}

/** The compartment parameters of a type, e.g. Observation: subject, performer. */
export function compartmentParameters(type: string): readonly string[] {
  return Object.hasOwn(PATIENT_COMPARTMENT, type) ? PATIENT_COMPARTMENT[type]! : [];
}

/** The References of `resource` that decide whose compartment it is in (each compartment parameter's expression). */
export function compartmentReferences(resource: Json): Json[] {
  const type = resource.resourceType;
  if (typeof type !== "string") return [];
  const out: Json[] = [];
  for (const code of compartmentParameters(type)) {
    const def = searchParameter(type, code);
    if (!def || def.type !== "reference") continue;
    for (const v of evaluate(resource, def.expression)) if (isObject(v)) out.push(v);
  }
  return out;
}
