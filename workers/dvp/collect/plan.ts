/**
 * What the DVP asks a Resource Server for, per Gegevensdienst (SPEC G-5, G-6): exactly the searches of the Nictiz
 * information standard's PHR side, in the standard's order. Paths are relative to the resource endpoint; a
 * Person's choice (a period, which measurements, only the latest) picks among the standard's own queries. Reads
 * that follow from what came back (a document's Binary, a manifest's DocumentReferences) are `followUps`.
 *
 * The lists are Nictiz's (test/fixtures/nictiz/<standard>/MedMij/Cert/PHR-Client|Retrieving-PHR), restated
 * here; the PHR qualification (test/qualify/phr.test.ts) runs the vendored scripts against the DVP, so the two
 * cannot drift apart.
 */
import type { MeasurementKind } from "../own-data.ts";

/** BgZ 3.0 scenario 1.1 (medmij-bgz-phr-1-1-retrieve-bgz.xml): the 28 queries of a whole Basisgegevensset Zorg. */
export const BGZ_QUERIES: readonly string[] = [
  "Patient?_include=Patient:general-practitioner",
  "Coverage?_include=Coverage:payor:Patient&_include=Coverage:payor:Organization",
  "Consent?category=http://snomed.info/sct|11291000146105",
  "Consent?category=http://snomed.info/sct|11341000146107",
  "Observation/$lastn?category=http://snomed.info/sct|118228005,http://snomed.info/sct|384821006",
  "Condition",
  "Observation/$lastn?code=http://snomed.info/sct|365508006",
  "Observation?code=http://snomed.info/sct|228366006",
  "Observation?code=http://snomed.info/sct|228273003",
  "Observation?code=http://snomed.info/sct|365980008",
  "NutritionOrder",
  "Flag",
  "AllergyIntolerance",
  "MedicationStatement?category=urn:oid:2.16.840.1.113883.2.4.3.11.60.20.77.5.3|6&_include=MedicationStatement:medication",
  "MedicationRequest?category=http://snomed.info/sct|16076005&_include=MedicationRequest:medication",
  "MedicationDispense?category=http://snomed.info/sct|422037009&_include=MedicationDispense:medication",
  "DeviceUseStatement?_include=DeviceUseStatement:device",
  "Immunization?status=completed",
  "Observation/$lastn?code=http://loinc.org|85354-9",
  "Observation/$lastn?code=http://loinc.org|29463-7",
  "Observation/$lastn?code=http://loinc.org|8302-2,http://loinc.org|8306-3,http://loinc.org|8308-9",
  "Observation/$lastn?category=http://snomed.info/sct|275711006&_include=Observation:related-target&_include=Observation:specimen",
  "Procedure?category=http://snomed.info/sct|387713003",
  "Encounter?class=http://hl7.org/fhir/v3/ActCode|IMP,http://hl7.org/fhir/v3/ActCode|ACUTE,http://hl7.org/fhir/v3/ActCode|NONAC",
  "ProcedureRequest?status=active",
  "ImmunizationRecommendation",
  "Appointment?status=booked,pending,proposed",
  "DeviceRequest?status=active&_include=DeviceRequest:device",
];

/** LaboratoryResults 2.0 (medmij-laboratoryresults-phr-1-1-retrieve-all-labresults.xml). */
export const LAB_QUERIES: readonly string[] = ["Observation?category=http://snomed.info/sct|49581000146104"];

/** The LOINC codes of each self-measurement zib, in SelfMeasurements 2.0's order (its scenario 1.6 lists them so). */
export const MEASUREMENT_CODES: Readonly<Record<MeasurementKind, readonly string[]>> = {
  bloeddruk: ["85354-9"],
  gewicht: ["29463-7"],
  glucose: ["14760-3", "14743-9", "14770-2"],
  hartslag: ["8867-4"],
  lengte: ["8302-2"],
};
const KIND_ORDER: readonly MeasurementKind[] = ["bloeddruk", "gewicht", "glucose", "hartslag", "lengte"];

/** What the Person chose on the collect form. Dates are YYYY-MM-DD, both inclusive. */
export interface CollectChoice {
  readonly van?: string;
  readonly tot?: string;
  /** Self measurements: which kinds (none: all vital signs). */
  readonly kinds?: readonly MeasurementKind[];
  /** Self measurements: only the most recent one of each kind ($lastn). */
  readonly latest?: boolean;
}

const DATE = /^\d{4}-\d{2}-\d{2}$/;

/** A period as FHIR date parameters (`ge`/`le`, both inclusive at day precision); none when no period was chosen. */
function period(name: string, c: CollectChoice): string {
  return (c.van && DATE.test(c.van) ? `&${name}=ge${c.van}` : "") + (c.tot && DATE.test(c.tot) ? `&${name}=le${c.tot}` : "");
}

/**
 * The searches of one collection, or undefined when the DVP does not collect this Gegevensdienst.
 *   - 48: BgZ scenario 1.1 in full;
 *   - 24: all laboratory results;
 *   - 51: current DocumentReferences (in a period: PDF/A scenario 1.2) and current DocumentManifests (2.1);
 *   - 1005: self measurements (SelfMeasurements 2.0, 1.1-1.7): all vital signs; or the chosen kinds; only the
 *     latest weight ($lastn, 1.2); in a period (1.5, 1.6).
 */
export function collectQueries(gd: string, choice: CollectChoice = {}): readonly string[] | undefined {
  switch (gd) {
    case "48":
      return BGZ_QUERIES;
    case "24":
      return LAB_QUERIES;
    case "51": {
      const p = period("indexed", choice);
      return [`DocumentReference?status=current${p}`, ...(p ? [] : ["DocumentManifest?status=current"])];
    }
    case "1005": {
      const kinds = KIND_ORDER.filter((k) => choice.kinds?.includes(k));
      const p = period("date", choice);
      if (kinds.length === 0) return [`Observation?category=vital-signs${p}`];
      const codes = kinds.flatMap((k) => MEASUREMENT_CODES[k]).map((c) => `http://loinc.org|${c}`).join(",");
      return [choice.latest && !p ? `Observation/$lastn?code=${codes}` : `Observation?code=${codes}${p}`];
    }
    default:
      return undefined;
  }
}

/** The Person's own choice on the collect form, read strictly (unknown kinds and malformed dates are dropped). */
export function parseChoice(form: URLSearchParams): CollectChoice {
  const kinds = form.getAll("soort").filter((k): k is MeasurementKind => (KIND_ORDER as readonly string[]).includes(k));
  const van = form.get("van") ?? "";
  const tot = form.get("tot") ?? "";
  return {
    ...(DATE.test(van) ? { van } : {}),
    ...(DATE.test(tot) ? { tot } : {}),
    ...(kinds.length ? { kinds } : {}),
    ...(form.get("laatste") === "ja" ? { latest: true } : {}),
  };
}

/** A reference to a Binary or a DocumentReference that a document collection reads next (PDF/A 1.3, 2.2). */
export interface FollowUp {
  readonly type: "Binary" | "DocumentReference";
  readonly id: string;
}

const ID = /^[A-Za-z0-9\-.]{1,64}$/;

/** `Type/id` or an absolute URL under `base` ending in `/Type/id`; anything else is not followed. */
function localReference(ref: unknown, type: FollowUp["type"], base: string): string | undefined {
  if (typeof ref !== "string") return undefined;
  const rel = ref.startsWith(`${base}/`) ? ref.slice(base.length + 1) : ref;
  const m = new RegExp(`^${type}/([^/?#]+)$`).exec(rel);
  return m && ID.test(m[1]!) ? m[1] : undefined;
}

/**
 * What a document collection reads after its searches: every DocumentReference a DocumentManifest lists (PDF/A
 * scenario 2.2 resolves them by a read, even when the search brought the same one), and the Binary of every
 * DocumentReference's attachment that did not come back already. `read`: what was read so far (`Type/id`).
 */
export function followUps(resources: readonly Record<string, unknown>[], base: string, read: ReadonlySet<string> = new Set()): FollowUp[] {
  const have = new Set(resources.map((r) => `${String(r.resourceType)}/${String(r.id)}`));
  const out = new Map<string, FollowUp>();
  for (const r of resources) {
    if (r.resourceType === "DocumentManifest") {
      for (const c of (r.content as { pReference?: { reference?: unknown } }[] | undefined) ?? []) {
        const id = localReference(c.pReference?.reference, "DocumentReference", base);
        if (id && !read.has(`DocumentReference/${id}`)) out.set(`DocumentReference/${id}`, { type: "DocumentReference", id });
      }
    }
    if (r.resourceType === "DocumentReference") {
      for (const c of (r.content as { attachment?: { url?: unknown } }[] | undefined) ?? []) {
        const id = localReference(c.attachment?.url, "Binary", base);
        if (id && !have.has(`Binary/${id}`) && !read.has(`Binary/${id}`)) out.set(`Binary/${id}`, { type: "Binary", id });
      }
    }
  }
  return [...out.values()];
}
