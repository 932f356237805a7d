/**
 * What a PGO sends with Delen, read into a Submission (SPEC G-5, G-6): one resource POSTed to its type, or a
 * `transaction` or `batch` Bundle POSTed to the base (as Nictiz's Receiving-XIS and PDF/A receive scripts send
 * them), each entry a POST of a resource type the system role takes. Every resource must be valid STU3 structure
 * (workers/fhir/validate.ts) and, for Observations, carry what every measurement needs. Whose record it goes into
 * is decided elsewhere (submission.ts): the server assigns identity and the Person.
 */
import type { FhirObject } from "../../fhir/formats/json.ts";
import { validateStructure } from "../../fhir/validate.ts";
import type { Submission } from "./backend.ts";
import type { SubmittedEntry } from "./submission.ts";

const MAX_ENTRIES = 100;

export type Json = Record<string, unknown>;
export type Shaped = { ok: true; submission: Submission } | { ok: false; problem: string };

const isObject = (v: unknown): v is Json => typeof v === "object" && v !== null && !Array.isArray(v);

/** Beyond the base structure: an Observation states its status and what was measured, and a value or why not. */
export function observationProblem(o: Json): string | undefined {
  if (typeof o.status !== "string") return "Observation.status is missing";
  if (!isObject(o.code)) return "Observation.code is missing";
  const hasValue = Object.keys(o).some((k) => k.startsWith("value")) || (Array.isArray(o.component) && o.component.length > 0) || isObject(o.dataAbsentReason);
  if (!hasValue) return "Observation needs a value, components, or a dataAbsentReason";
  return undefined;
}

function resourceProblem(r: FhirObject, allowed: ReadonlySet<string>): string | undefined {
  const type = r.resourceType as string;
  if (!allowed.has(type) || type === "Bundle") return `${type} is not accepted by this Gegevensdienst`;
  const issues = validateStructure(r);
  if (issues.length > 0) return `${issues[0]!.location}: ${issues[0]!.message}${issues.length > 1 ? ` (and ${issues.length - 1} more)` : ""}`;
  return type === "Observation" ? observationProblem(r) : undefined;
}

/** `type`: the resource type in the request path, or undefined for a POST to the endpoint's base. */
export function shapeSubmission(body: FhirObject, type: string | undefined, allowed: ReadonlySet<string>): Shaped {
  const rt = body.resourceType;
  if (type !== undefined) {
    if (rt !== type) return { ok: false, problem: `resourceType ${String(rt)} does not match the endpoint ${type}` };
    if (type === "Patient") return { ok: false, problem: "the Person's own Patient is known here: send it within a batch or transaction, beside what refers to it, or leave it out" };
    const p = resourceProblem(body, allowed);
    return p ? { ok: false, problem: p } : { ok: true, submission: { kind: "create", type, resource: body } };
  }
  if (rt !== "Bundle" || (body.type !== "transaction" && body.type !== "batch")) return { ok: false, problem: "a POST to the base must be a transaction or batch Bundle" };
  const entries = body.entry;
  if (!Array.isArray(entries) || entries.length === 0 || entries.length > MAX_ENTRIES) return { ok: false, problem: `a ${body.type} needs 1 to ${MAX_ENTRIES} entries` };
  const out: SubmittedEntry[] = [];
  for (const [i, e] of entries.entries()) {
    if (!isObject(e) || !isObject(e.request) || e.request.method !== "POST" || !isObject(e.resource)) return { ok: false, problem: `entry ${i}: only POST entries with a resource are accepted` };
    const r = e.resource as FhirObject;
    const url = typeof e.request.url === "string" ? e.request.url.replace(/\/$/, "") : "";
    if (typeof r.resourceType !== "string" || url !== r.resourceType) return { ok: false, problem: `entry ${i}: request.url does not name the resource's type` };
    const p = resourceProblem(r, allowed);
    if (p) return { ok: false, problem: `entry ${i}: ${p}` };
    out.push({ ...(typeof e.fullUrl === "string" ? { fullUrl: e.fullUrl } : {}), resource: r });
  }
  return { ok: true, submission: { kind: body.type, entries: out } };
}
