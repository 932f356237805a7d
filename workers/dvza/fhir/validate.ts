/**
 * Checks of FHIR STU3 resources a PGO sends with Delen (SPEC G-5): JSON shape, resource type, the
 * elements the MedMij vital-signs profiles require, and transaction Bundles of POSTs only. The server
 * assigns ids and binds the subject to the token's Person, so nothing a client sends can address
 * another Person's record.
 */
const OBSERVATION_STATUS: ReadonlySet<string> = new Set(["registered", "preliminary", "final", "amended", "corrected", "cancelled", "entered-in-error", "unknown"]);
const DATE_TIME = /^\d{4}-\d{2}-\d{2}(T\d{2}:\d{2}(:\d{2}(\.\d+)?)?(Z|[+-]\d{2}:\d{2}))?$/;
const MAX_ENTRIES = 100;

export type Json = Record<string, unknown>;
export type Checked = { ok: true; resources: Json[]; transaction: boolean } | { ok: false; problem: string };

const isObject = (v: unknown): v is Json => typeof v === "object" && v !== null && !Array.isArray(v);

function codeable(v: unknown): boolean {
  if (!isObject(v)) return false;
  const codings = v.coding;
  const codingOk = Array.isArray(codings) && codings.length > 0 && codings.every((c) => isObject(c) && typeof c.code === "string" && c.code !== "");
  return codingOk || (typeof v.text === "string" && v.text.trim() !== "");
}

function quantity(v: unknown): boolean {
  return isObject(v) && typeof v.value === "number" && Number.isFinite(v.value);
}

export function observationProblem(o: Json): string | undefined {
  if (typeof o.status !== "string" || !OBSERVATION_STATUS.has(o.status)) return "Observation.status is missing or not an Observation status";
  if (!codeable(o.code)) return "Observation.code is missing or has no coding";
  if (typeof o.effectiveDateTime !== "string" || !DATE_TIME.test(o.effectiveDateTime)) return "Observation.effectiveDateTime is missing or not a FHIR dateTime";
  const components = o.component;
  const hasComponents = Array.isArray(components) && components.length > 0 && components.every((c) => isObject(c) && codeable(c.code) && quantity(c.valueQuantity));
  if (!quantity(o.valueQuantity) && !hasComponents) return "Observation needs a valueQuantity or components with a code and valueQuantity";
  return undefined;
}

/** `type` is the resource type in the request path, or undefined for a POST to the endpoint's base. */
export function checkCreate(body: unknown, type: string | undefined, allowed: ReadonlySet<string>): Checked {
  if (!isObject(body)) return { ok: false, problem: "the body must be a FHIR resource (a JSON object)" };
  const rt = body.resourceType;
  if (typeof rt !== "string") return { ok: false, problem: "resourceType is missing" };
  if (type === undefined) {
    if (rt !== "Bundle" || body.type !== "transaction") return { ok: false, problem: "a POST to the base must be a transaction Bundle" };
    const entries = body.entry;
    if (!Array.isArray(entries) || entries.length === 0 || entries.length > MAX_ENTRIES) return { ok: false, problem: `a transaction needs 1 to ${MAX_ENTRIES} entries` };
    const resources: Json[] = [];
    for (const [i, e] of entries.entries()) {
      if (!isObject(e) || !isObject(e.request) || e.request.method !== "POST" || !isObject(e.resource)) {
        return { ok: false, problem: `entry ${i}: only POST entries with a resource are accepted` };
      }
      const r = e.resource;
      if (typeof r.resourceType !== "string" || r.resourceType === "Bundle" || !allowed.has(r.resourceType) || e.request.url !== r.resourceType) {
        return { ok: false, problem: `entry ${i}: resource type not allowed here or not matching request.url` };
      }
      const p = r.resourceType === "Observation" ? observationProblem(r) : undefined;
      if (p) return { ok: false, problem: `entry ${i}: ${p}` };
      resources.push(r);
    }
    return { ok: true, resources, transaction: true };
  }
  if (rt !== type) return { ok: false, problem: `resourceType ${rt} does not match the endpoint ${type}` };
  const p = rt === "Observation" ? observationProblem(body) : undefined;
  return p ? { ok: false, problem: p } : { ok: true, resources: [body], transaction: false };
}
