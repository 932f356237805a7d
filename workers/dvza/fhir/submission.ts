/**
 * Delen: what a PGO sends may only ever be about the Person of the token (SPEC X-4, G-5; issue 15 #1). Pure
 * decisions over the submitted resources, the same in store and upstream mode:
 *   - a Patient entry is the Person's own Patient (a PGO sends it so the other entries can refer to it): it may
 *     not name another BSN or another Patient id, and it is never stored as a new Patient;
 *   - no contained Patient, anywhere;
 *   - every reference is to something of the Person's, or to a shared resource: a Patient reference must be the
 *     Person's own; a reference to a resource type of the Patient compartment (an Observation, a RelatedPerson, ...)
 *     must turn out to be the Person's (the caller resolves those at its source: `resolve`); references to other
 *     servers and malformed ones are refused; a reference by BSN must be the Person's BSN.
 * Anything else is refused with the entry and the element that broke the rule.
 */
import { compartmentParameters, inPatientCompartment } from "../../fhir/compartment.ts";
import { searchParameter } from "../../fhir/parameters.ts";
import { referencesIn, referenceTarget, resolveEntryReferences, type Json } from "../../fhir/references.ts";
import { BSN_SYSTEM } from "./upstream/compartment.ts";

export interface SubmittedEntry {
  /** The entry's fullUrl (`urn:uuid:...`, `urn:oid:...`), for references between entries. */
  readonly fullUrl?: string;
  readonly resource: Json;
}

export interface PersonAtSource {
  /** The Person's own Patient resources at this source. */
  readonly patientIds: ReadonlySet<string>;
  /** The token's BSN (a reference by identifier must carry this one, or a masked value). */
  readonly bsn: string;
  /** Absolute base URLs that mean "this server" (the RS endpoint; the upstream's base). */
  readonly bases: readonly string[];
}

export interface ToResolve {
  readonly index: number;
  readonly path: string;
  readonly type: string;
  readonly id: string;
}

export type SubmissionCheck =
  | {
      readonly ok: true;
      /** Indexes of entries that are the Person's own Patient: not stored, referred to as the Person. */
      readonly personEntries: ReadonlySet<number>;
      /** References to compartment resources the caller must find among the Person's own before anything is written. */
      readonly resolve: readonly ToResolve[];
    }
  | { readonly ok: false; readonly index: number; readonly problem: string };

const isObject = (v: unknown): v is Json => typeof v === "object" && v !== null && !Array.isArray(v);

/** A BSN identifier's value, or undefined when the value is absent or masked (data-absent-reason, as Nictiz sends it). */
function bsnValue(identifier: unknown): string | undefined {
  if (!isObject(identifier) || identifier.system !== BSN_SYSTEM) return undefined;
  return typeof identifier.value === "string" ? identifier.value : undefined;
}

function containedPatient(resource: Json): boolean {
  return Array.isArray(resource.contained) && resource.contained.some((c) => isObject(c) && c.resourceType === "Patient");
}

/** The Person's own Patient as a PGO sends it: no other BSN, no other id. */
function personPatientProblem(patient: Json, person: PersonAtSource): string | undefined {
  const ids = Array.isArray(patient.identifier) ? patient.identifier : [];
  if (ids.some((i) => bsnValue(i) !== undefined && bsnValue(i) !== person.bsn)) return "the Patient carries another Person's BSN";
  if (typeof patient.id === "string" && !person.patientIds.has(patient.id)) return "the Patient is another Patient than the Person of the token";
  return undefined;
}

export function checkSubmission(entries: readonly SubmittedEntry[], person: PersonAtSource): SubmissionCheck {
  const entryUrls = new Set(entries.flatMap((e) => (e.fullUrl ? [e.fullUrl] : [])));
  const personEntries = new Set<number>();
  const resolve: ToResolve[] = [];
  for (const [index, { resource }] of entries.entries()) {
    const type = String(resource.resourceType);
    if (type === "Patient") {
      const problem = personPatientProblem(resource, person);
      if (problem) return { ok: false, index, problem };
      personEntries.add(index);
    }
    if (containedPatient(resource)) return { ok: false, index, problem: `${type}.contained holds a Patient: refer to the Person's own record instead` };
    for (const { path, ref } of referencesIn(resource, type)) {
      const target = referenceTarget(ref, person.bases, entryUrls);
      switch (target.kind) {
        case "contained":
          break;
        case "entry":
          if (!entryUrls.has(target.url)) return { ok: false, index, problem: `${path} refers to ${target.url}, which is not an entry of this Bundle` };
          break;
        case "local":
          if (target.type === "Patient") {
            if (!person.patientIds.has(target.id)) return { ok: false, index, problem: `${path} refers to another Patient than the Person of the token` };
          } else if (inPatientCompartment(target.type)) {
            resolve.push({ index, path, type: target.type, id: target.id });
          }
          break;
        case "logical": {
          const bsn = bsnValue(target.identifier);
          if (bsn !== undefined && bsn !== person.bsn) return { ok: false, index, problem: `${path} refers to another Person by BSN` };
          break;
        }
        case "elsewhere":
          return { ok: false, index, problem: `${path} refers to a resource on another server` };
        case "malformed":
          return { ok: false, index, problem: `${path} is not a valid reference` };
      }
    }
  }
  return { ok: true, personEntries, resolve };
}

/**
 * The whole admission of a submission: the pure checks, then every reference to a compartment resource resolved
 * at the source (`isPersons`: is `type/id` one of the Person's own there?). Nothing is written before this says yes.
 */
export async function admitSubmission(
  entries: readonly SubmittedEntry[],
  person: PersonAtSource,
  isPersons: (type: string, id: string) => Promise<boolean>,
): Promise<{ readonly ok: true; readonly personEntries: ReadonlySet<number> } | { readonly ok: false; readonly index: number; readonly problem: string }> {
  const checked = checkSubmission(entries, person);
  if (!checked.ok) return checked;
  for (const r of checked.resolve) {
    if (!(await isPersons(r.type, r.id))) return { ok: false, index: r.index, problem: `${r.path} refers to a ${r.type} that is not the Person's` };
  }
  return { ok: true, personEntries: checked.personEntries };
}

export interface BoundEntry {
  /** Position in the submission. */
  readonly index: number;
  readonly type: string;
  /** The id the server gives it (store mode), or undefined when the upstream assigns one. */
  readonly id: string | undefined;
  readonly fullUrl: string | undefined;
  readonly resource: Json;
}

/** The element a compartment resource names its Patient in, when the PGO left it out (Observation.subject, ...). */
function primaryPatientElement(type: string): string | undefined {
  const code = compartmentParameters(type)[0];
  const expression = code === undefined ? undefined : searchParameter(type, code)?.expression;
  const m = expression === undefined ? null : new RegExp(`^${type}\\.([a-z][A-Za-z]*)$`).exec(expression);
  return m?.[1];
}

/**
 * The admitted submission, bound to the Person (SPEC X-4, G-5): the Person's own Patient entries are left out
 * (the Person is already known here), every reference to them or to the Person's Patient becomes `personRef`,
 * a compartment resource that names no Patient gets the Person in its primary element, client ids and version
 * metadata are dropped, and with `assignIds` every entry gets a server id and references between entries
 * (`urn:uuid:`, `urn:oid:`) are rewritten to them (FHIR transaction semantics).
 */
export function bindToPerson(entries: readonly SubmittedEntry[], personEntries: ReadonlySet<number>, person: PersonAtSource, personRef: string, assignIds: boolean): BoundEntry[] {
  const personUrls = new Set(entries.flatMap((e, i) => (personEntries.has(i) && e.fullUrl ? [e.fullUrl] : [])));
  const ids = new Map<string, { type: string; id: string }>();
  const bound = entries.flatMap((e, index) => {
    if (personEntries.has(index)) return [];
    const type = String(e.resource.resourceType);
    const id = assignIds ? crypto.randomUUID() : undefined;
    if (id && e.fullUrl) ids.set(e.fullUrl, { type, id });
    return [{ index, type, id, fullUrl: e.fullUrl, resource: structuredClone(e.resource) }];
  });
  for (const b of bound) {
    const r = b.resource;
    delete r.id;
    if (isObject(r.meta)) {
      const { versionId: _v, lastUpdated: _l, ...meta } = r.meta;
      r.meta = meta;
    }
    for (const { ref } of referencesIn(r, b.type)) {
      if (typeof ref.reference !== "string") continue;
      const target = referenceTarget(ref, person.bases, new Set([...personUrls, ...ids.keys()]));
      if ((target.kind === "entry" && personUrls.has(target.url)) || (target.kind === "local" && target.type === "Patient" && person.patientIds.has(target.id))) {
        ref.reference = personRef;
      }
    }
    resolveEntryReferences(r, b.type, ids);
    const element = primaryPatientElement(b.type);
    if (element && r[element] === undefined) r[element] = { reference: personRef };
  }
  return bound;
}
