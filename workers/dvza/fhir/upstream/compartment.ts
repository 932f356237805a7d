/**
 * The Person's compartment at a provider's own FHIR server (SPEC X-4), as pure decisions:
 *
 *   - which search parameters a client may send (an allowlist: no chaining, no reverse chaining, no
 *     `_has`, no `_revinclude`, no modifiers, no reference parameters: the RS sets those itself);
 *   - how the Person's filter is added (from the token's BSN, never from the request);
 *   - whether a resource in an upstream answer belongs to the Person (its patient reference points at
 *     one of the Person's Patient resources), and which included resources may go with it;
 *   - how Bundle links are rewritten to the Resource Server's own URL.
 *
 * FHIR STU3: the compartment parameter and reference element of each resource type follow the Patient
 * CompartmentDefinition (http://hl7.org/fhir/STU3/compartmentdefinition-patient.html).
 */
import { compartmentReferences, inPatientCompartment } from "../../../fhir/compartment.ts";
import { searchParameter } from "../../../fhir/parameters.ts";

/** Resource types in the Patient compartment: the search parameter naming the Patient, and the element holding it. */
export const COMPARTMENT: Readonly<Record<string, { readonly param: string; readonly element: string }>> = {
  AllergyIntolerance: { param: "patient", element: "patient" },
  Appointment: { param: "patient", element: "participant.actor" },
  Condition: { param: "patient", element: "subject" },
  Consent: { param: "patient", element: "patient" },
  DeviceRequest: { param: "patient", element: "subject" },
  ImmunizationRecommendation: { param: "patient", element: "patient" },
  RelatedPerson: { param: "patient", element: "patient" },
  Coverage: { param: "beneficiary", element: "beneficiary" },
  Device: { param: "patient", element: "patient" },
  DeviceUseStatement: { param: "patient", element: "subject" },
  DiagnosticReport: { param: "patient", element: "subject" },
  DocumentManifest: { param: "patient", element: "subject" },
  DocumentReference: { param: "patient", element: "subject" },
  Encounter: { param: "patient", element: "subject" },
  Flag: { param: "patient", element: "subject" },
  Immunization: { param: "patient", element: "patient" },
  MedicationDispense: { param: "patient", element: "subject" },
  MedicationRequest: { param: "patient", element: "subject" },
  MedicationStatement: { param: "patient", element: "subject" },
  NutritionOrder: { param: "patient", element: "patient" },
  Observation: { param: "patient", element: "subject" },
  Procedure: { param: "patient", element: "subject" },
  ProcedureRequest: { param: "patient", element: "subject" },
  Specimen: { param: "patient", element: "subject" },
};

/** Types outside the compartment that may come along as `_include` of the Person's resources. */
export const INCLUDABLE: ReadonlySet<string> = new Set(["Medication", "Practitioner", "PractitionerRole", "Organization", "Location", "Substance", "Device"]);

/** Parameters about the result, not the data, a client may send; `max` only for $lastn. */
const RESULT_PARAMS: ReadonlySet<string> = new Set(["_count", "_sort", "_include", "_format"]);
/** On Patient only these: the Person is found by the RS, not searched for by the client. */
const PATIENT_PARAMS: ReadonlySet<string> = new Set(["_id", "_count", "_sort", "_lastUpdated", "_include", "_format"]);
const MAX_VALUES = 20;

export { BSN_SYSTEM } from "../../../fhir/bsn.ts";

export interface Person {
  readonly bsn: string;
  /** The identifier system the upstream uses for the BSN. */
  readonly system: string;
  /** The Person's Patient resources at the upstream (ids), found by identifier. */
  readonly patientIds: ReadonlySet<string>;
  /** The upstream base URL, to read absolute references. */
  readonly upstreamBase: string;
}

export type Checked<T> = { ok: true; value: T } | { ok: false; status: number; code: string; diagnostics: string };

const refuse = (diagnostics: string, status = 400, code = "not-supported"): { ok: false; status: number; code: string; diagnostics: string } => ({ ok: false, status, code, diagnostics });

export function isSearchableType(type: string): boolean {
  return type === "Patient" || Object.hasOwn(COMPARTMENT, type);
}

/**
 * The client's search, checked against the allowlist; `paging` names the upstream's own paging
 * parameters, which pass unchanged (opaque to the RS).
 */
export function clientSearch(type: string, params: URLSearchParams, paging: ReadonlySet<string>, operation?: string): Checked<[string, string][]> {
  /** Which parameters a client may send: from the type's STU3 SearchParameter definitions, never reference ones. */
  const allowedParam = (name: string): boolean => {
    if (type === "Patient") return PATIENT_PARAMS.has(name);
    if (RESULT_PARAMS.has(name) || name === "_id" || name === "_lastUpdated") return true;
    if (name === "max") return operation === "$lastn";
    if (name.startsWith("_")) return false;
    const def = searchParameter(type, name);
    return def !== undefined && def.type !== "reference";
  };
  const out: [string, string][] = [];
  const counts = new Map<string, number>();
  for (const [name, value] of params) {
    if (/[\u0000-\u001f\u007f]/.test(value) || value.length > 512) return refuse(`parameter ${name.slice(0, 40)} has an unusable value`);
    const n = (counts.get(name) ?? 0) + 1;
    counts.set(name, n);
    if (n > MAX_VALUES) return refuse(`parameter ${name.slice(0, 40)} is repeated too often`);
    if (paging.has(name)) {
      out.push([name, value]);
      continue;
    }
    if (name === "_revinclude" || name.startsWith("_has")) return refuse(`${name.slice(0, 40)} would reach outside the Person's records`, 403, "forbidden");
    if (name.includes(".") || name.includes(":")) return refuse(`chained parameters and modifiers (${name.slice(0, 40)}) are not supported`, 403, "forbidden");
    if (!allowedParam(name)) return refuse(`search parameter ${name.slice(0, 40)} is not supported on ${type}`);
    if (name === "_count" && !/^[1-9]\d{0,2}$/.test(value)) return refuse("_count must be 1..999");
    if (name === "max" && !/^[1-9]\d{0,2}$/.test(value)) return refuse("max must be 1..999");
    if (name === "_include") {
      // Any reference parameter of this type, two- or three-part: what comes back is checked to be the Person's or shared.
      const [source, param, target, ...more] = value.split(":");
      if (source !== type) return refuse(`_include=${value.slice(0, 60)} does not start at ${type}`);
      if (more.length > 0 || !param || searchParameter(type, param)?.type !== "reference" || (target !== undefined && !/^[A-Z][A-Za-z]{1,63}$/.test(target))) return refuse(`_include=${value.slice(0, 60)} is not a reference parameter of ${type}`);
    }
    if (name === "_sort" && !value.split(",").every((s) => s !== "" && s !== "-" && allowedParam(s.replace(/^-/, "")) && !RESULT_PARAMS.has(s.replace(/^-/, "")))) return refuse("_sort names an unsupported parameter");
    if (name === "_format") continue; // JSON was settled by the RS; the upstream gets Accept
    out.push([name, value]);
  }
  return { ok: true, value: out };
}

/** The Person's filter: for Patient the ids themselves, for the others the compartment parameter. */
export function compartmentFilter(type: string, person: Person): [string, string] {
  const ids = [...person.patientIds].sort();
  if (type === "Patient") return ["_id", ids.join(",")];
  return [COMPARTMENT[type]!.param, ids.map((id) => `Patient/${id}`).join(",")];
}

/** The id part of a reference to a Patient at this upstream, or undefined. */
function patientIdOf(reference: string, upstreamBase: string): string | undefined {
  let rel = reference;
  const base = upstreamBase.replace(/\/$/, "");
  if (/^https?:\/\//.test(rel)) {
    if (!rel.startsWith(`${base}/`)) return undefined;
    rel = rel.slice(base.length + 1);
  }
  const m = /^Patient\/([A-Za-z0-9\-.]{1,64})(\/_history\/[A-Za-z0-9\-.]{1,64})?$/.exec(rel);
  return m?.[1];
}

function references(value: unknown): unknown[] {
  return Array.isArray(value) ? value : value === undefined ? [] : [value];
}

/** A Reference to the Person: a literal reference to one of their Patient resources, or their BSN as identifier. */
export function isPersonReference(ref: unknown, person: Person): boolean {
  if (!ref || typeof ref !== "object") return false;
  const r = ref as { reference?: unknown; identifier?: { system?: unknown; value?: unknown } };
  if (typeof r.reference === "string") {
    const id = patientIdOf(r.reference, person.upstreamBase);
    return id !== undefined && person.patientIds.has(id);
  }
  return r.identifier?.system === person.system && r.identifier.value === person.bsn;
}

function isPatientReference(ref: unknown, upstreamBase: string): boolean {
  const r = ref as { reference?: unknown; identifier?: { system?: unknown } } | null;
  return typeof r?.reference === "string" ? patientIdOf(r.reference, upstreamBase) !== undefined : false;
}

/** SPEC X-4: does this resource from the upstream belong to the Person? */
export function belongsToPerson(resource: unknown, person: Person): boolean {
  if (!resource || typeof resource !== "object") return false;
  const r = resource as Record<string, unknown>;
  const type = r.resourceType;
  if (type === "Patient") {
    const ids = references(r.identifier) as { system?: unknown; value?: unknown }[];
    return typeof r.id === "string" && person.patientIds.has(r.id) && ids.some((i) => i?.system === person.system && i.value === person.bsn);
  }
  if (typeof type !== "string" || !Object.hasOwn(COMPARTMENT, type)) return false;
  const path = COMPARTMENT[type]!.element.split(".");
  let refs: unknown[] = [r];
  for (const step of path) refs = refs.flatMap((v) => references((v as Record<string, unknown>)?.[step]));
  // Every Patient named in the compartment element is the Person, and at least one is named.
  const patients = refs.filter((x) => isPatientReference(x, person.upstreamBase) || (x as { identifier?: unknown })?.identifier !== undefined);
  return patients.length > 0 && patients.every((x) => isPersonReference(x, person));
}

/** Every literal reference (`Type/id`, relative to the upstream) anywhere in these resources. */
export function referencedKeys(resources: readonly unknown[], upstreamBase: string): Set<string> {
  const base = upstreamBase.replace(/\/$/, "");
  const out = new Set<string>();
  const walk = (v: unknown): void => {
    if (Array.isArray(v)) return v.forEach(walk);
    if (!v || typeof v !== "object") return;
    for (const [k, x] of Object.entries(v)) {
      if (k === "reference" && typeof x === "string") {
        const rel = x.startsWith(`${base}/`) ? x.slice(base.length + 1) : x;
        const m = /^([A-Za-z]{1,64})\/([A-Za-z0-9\-.]{1,64})(\/_history\/.*)?$/.exec(rel);
        if (m) out.add(`${m[1]}/${m[2]}`);
      } else walk(x);
    }
  };
  resources.forEach(walk);
  return out;
}

/** The attachment URLs of DocumentReferences, as `Binary/id` (Documenten: which Binary a Person may read). */
export function binaryKeys(documentReferences: readonly unknown[], upstreamBase: string): Set<string> {
  const base = upstreamBase.replace(/\/$/, "");
  const out = new Set<string>();
  for (const d of documentReferences) {
    for (const c of references((d as { content?: unknown })?.content)) {
      const url = (c as { attachment?: { url?: unknown } })?.attachment?.url;
      if (typeof url !== "string") continue;
      const rel = url.startsWith(`${base}/`) ? url.slice(base.length + 1) : url;
      if (/^Binary\/[A-Za-z0-9\-.]{1,64}$/.test(rel)) out.add(rel);
    }
  }
  return out;
}

/**
 * An upstream Bundle link as the RS's own URL. The upstream's path (relative to its base) and query go into one
 * `_page` parameter; when the client follows it, every parameter in it is checked again and the Person's
 * filter is added again, so a link cannot carry a client anywhere a search could not.
 */
export function pageLink(upstreamLink: string, upstreamBase: string, rsTypeUrl: string): string | undefined {
  const base = upstreamBase.replace(/\/$/, "");
  if (!upstreamLink.startsWith(base)) return undefined;
  const rest = upstreamLink.slice(base.length).replace(/^\//, "");
  return `${rsTypeUrl}?_page=${encodeURIComponent(rest)}`;
}

/** A followed `_page`: the upstream path (empty for the base, or the type) and its query. */
export function readPage(page: string, type: string, operation?: string): Checked<{ path: string; query: URLSearchParams }> {
  const q = page.indexOf("?");
  const path = q < 0 ? page : page.slice(0, q);
  if (path !== "" && path !== (operation ? `${type}/${operation}` : type)) return refuse("_page does not belong to this resource type");
  return { ok: true, value: { path, query: new URLSearchParams(q < 0 ? "" : page.slice(q + 1)) } };
}

/**
 * Issue 15 #3: contained resources are checked like any other. A contained Patient must be the Person (their BSN,
 * no other one); a contained resource of the Patient compartment must name no Patient but the Person (its own
 * references to a contained Patient count as the Person's once that one passed). Anything that cannot be shown to
 * be the Person's makes the containing resource not the Person's.
 */
export function containedArePersons(resource: unknown, person: Person): boolean {
  if (!resource || typeof resource !== "object") return false;
  const contained = (resource as { contained?: unknown }).contained;
  if (contained === undefined) return true;
  if (!Array.isArray(contained)) return false;
  const personIds = new Set<string>();
  for (const c of contained) {
    if (!c || typeof c !== "object") return false;
    const r = c as Record<string, unknown>;
    if (r.resourceType !== "Patient") continue;
    const bsns = references(r.identifier).filter((i) => (i as { system?: unknown })?.system === person.system);
    const ours = bsns.length > 0 && bsns.every((i) => (i as { value?: unknown }).value === person.bsn);
    if (!ours || typeof r.id !== "string") return false;
    personIds.add(r.id);
  }
  for (const c of contained) {
    const r = c as Record<string, unknown>;
    if (r.resourceType === "Patient" || typeof r.resourceType !== "string" || !inPatientCompartment(r.resourceType)) continue;
    for (const ref of compartmentReferences(r)) {
      const value = (ref as { reference?: unknown }).reference;
      if (typeof value === "string" && value.startsWith("#")) {
        if (!personIds.has(value.slice(1))) return false;
      } else if (isPatientReference(ref, person.upstreamBase) || (ref as { identifier?: unknown }).identifier !== undefined) {
        if (!isPersonReference(ref, person)) return false;
      }
    }
  }
  return true;
}

/**
 * Issue 15 #4: an upstream paging link is handed on only when it names no Patient but the Person: the compartment
 * parameter carries exactly the Person's filter, and no other parameter value refers to another Patient.
 */
export function linkStaysWithPerson(upstreamLink: string, type: string, person: Person): boolean {
  let query: URLSearchParams;
  try {
    query = new URL(upstreamLink).searchParams;
  } catch {
    return false;
  }
  const [param, value] = compartmentFilter(type, person);
  if (query.getAll(param).some((v) => v !== value)) return false;
  for (const [k, v] of query) {
    if (k === param) continue;
    for (const m of v.matchAll(/Patient\/([A-Za-z0-9\-.]{1,64})/g)) if (!person.patientIds.has(m[1]!)) return false;
  }
  return true;
}
