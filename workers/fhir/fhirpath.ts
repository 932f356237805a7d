/**
 * FHIRPath over FHIR STU3 resources with fhirpath.js and its STU3 model (the design's choice; SPEC G-6): each
 * expression is compiled once per isolate and kept. Used where the SearchParameter definitions say what a
 * parameter means (indexing at write time, the Person's compartment), never per request on stored data.
 */
import fhirpath from "fhirpath";
import stu3 from "fhirpath/fhir-context/stu3";

type Evaluator = (resource: unknown) => unknown[];

const compiled = new Map<string, Evaluator>();

/** The values `expression` selects in `resource` (plain JSON values: objects, strings, numbers, booleans). */
export function evaluate(resource: unknown, expression: string): unknown[] {
  let f = compiled.get(expression);
  if (!f) {
    const c = fhirpath.compile(expression, stu3, { resolveInternalTypes: true });
    f = (r: unknown) => c(r) as unknown[];
    compiled.set(expression, f);
  }
  return f(resource);
}
