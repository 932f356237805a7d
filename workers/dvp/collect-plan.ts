/**
 * What the DVP asks a Resource Server for, per Gegevensdienst (SPEC G-5): the FHIR searches of the
 * system roles it implements on the client side. Paths are relative to the resource endpoint.
 */
export const COLLECT_PLAN: Readonly<Record<string, readonly string[]>> = {
  "48": [
    "Patient?_include=Patient:general-practitioner",
    "Condition",
    "AllergyIntolerance",
    "MedicationStatement?_include=MedicationStatement:medication",
    "Immunization?status=completed",
    "Observation?category=vital-signs",
  ],
  "24": ["Observation?category=laboratory"],
  "51": ["DocumentReference"],
};

/** Documenten: the attachments a DocumentReference points at, fetched as a second step. */
export function binaryReferences(resources: readonly unknown[]): string[] {
  const out = new Set<string>();
  for (const r of resources) {
    const rr = r as { resourceType?: string; content?: { attachment?: { url?: string } }[] };
    if (rr.resourceType !== "DocumentReference") continue;
    for (const c of rr.content ?? []) {
      const url = c.attachment?.url;
      if (typeof url === "string" && /^Binary\/[A-Za-z0-9.-]{1,64}$/.test(url)) out.add(url);
    }
  }
  return [...out];
}
