/**
 * The operator FHIR interface (SPEC X-10): how a provider's own system (XIS) feeds store mode. Per Zorgaanbieder,
 * on a hostname of its own (OPERATOR_HOSTNAME), never on a MedMij hostname, never through the whitelist gate and
 * never with a MedMij access token or a DVP certificate: its credential is a secret of its own, per deployment
 * (OPERATOR_TOKEN) or per Zorgaanbieder (OPERATOR_TOKEN_<NAAM>, which then is the only one accepted for it),
 * compared in constant time.
 *
 *   PUT    /<naam>/fhir/<Type>/<id>           create or update (If-Match: W/"<version>" optional)
 *   POST   /<naam>/fhir/<Type>                create, the server picks the id
 *   DELETE /<naam>/fhir/<Type>/<id>
 *   POST   /<naam>/fhir                       transaction (all or nothing) or batch Bundle of PUT/POST/DELETE entries
 *   POST   /<naam>/fhir/Patient/<id>/$purge   the Person's Patient and everything in their compartment
 *   GET    /<naam>/fhir/<Type>/<id>           read back what was fed
 *
 * FHIR JSON or FHIR XML in and out. Every resource is validated against the STU3 structure before anything is
 * stored; a Patient must carry its BSN (that is how a Person is found; it is never served, X-8). Every change
 * writes one audit log line: who (which credential), what (operation, type, id, version, outcome), when; never
 * the content.
 */
import type { Context } from "hono";
import type { WriteOp, WriteResult } from "../../durable-objects/fhir-store.ts";
import { responseBundleText, type ResponseEntry } from "../fhir/bundles.ts";
import { stringifyFhirJson, type FhirObject } from "../fhir/formats/json.ts";
import { requestFormat, responseFormat } from "../fhir/formats/negotiate.ts";
import { isFhirId, resolveEntryReferences, type Json } from "../fhir/references.ts";
import { validateStructure } from "../fhir/validate.ts";
import { timingSafeEqualString } from "../shared/crypto.ts";
import { placed } from "../shared/durable/placement.ts";
import { log } from "../shared/log.ts";
import type { BackchannelVariables } from "./backchannel.ts";
import type { Env } from "./env.ts";
import { inFormat, readBody } from "./fhir/formats.ts";
import { fhirTextResponse, outcome } from "./fhir/outcome.ts";
import { loadTenancy } from "./tenants.ts";

const MAX_BODY_BYTES = 16 * 1024 * 1024;
const MIN_SECRET = 32;
const TYPE = /^[A-Z][A-Za-z]{1,63}$/;
const MAX_ENTRIES = 1000;

type Ctx = Context<{ Bindings: Env; Variables: BackchannelVariables }>;

/** Is this request for the operator interface? (Its own hostname; index.ts routes it here before anything else.) */
export function isOperatorHost(env: Pick<Env, "OPERATOR_HOSTNAME">, url: URL): boolean {
  return env.OPERATOR_HOSTNAME !== undefined && env.OPERATOR_HOSTNAME !== "" && url.hostname === env.OPERATOR_HOSTNAME;
}

/** Which credential this is, or undefined: a per-Zorgaanbieder secret when configured, else the deployment's. */
async function credential(env: Env, naam: string, request: Request): Promise<string | undefined> {
  const presented = /^Bearer (\S{1,512})$/.exec(request.headers.get("authorization") ?? "")?.[1];
  if (!presented) return undefined;
  const own = (env as unknown as Record<string, unknown>)[`OPERATOR_TOKEN_${naam.toUpperCase()}`];
  const secret = typeof own === "string" ? own : env.OPERATOR_TOKEN;
  if (typeof secret !== "string" || secret.length < MIN_SECRET) return undefined;
  return (await timingSafeEqualString(presented, secret)) ? (typeof own === "string" ? `zorgaanbieder:${naam}` : "deployment") : undefined;
}

function audit(naam: string, by: string, action: string, r: Pick<WriteResult, "status" | "type" | "id" | "version">): void {
  log(r.status < 400 ? "info" : "warn", "operator.change", { zorgaanbieder: naam, by, action, type: r.type, id: r.id, version: r.version ?? null, status: r.status });
}

function structureProblem(resource: FhirObject): string | undefined {
  const issues = validateStructure(resource);
  return issues.length === 0 ? undefined : issues.slice(0, 5).map((i) => `${i.location}: ${i.message}`).join("; ");
}

const statusText: Readonly<Record<number, string>> = { 200: "200 OK", 201: "201 Created", 204: "204 No Content", 400: "400 Bad Request", 404: "404 Not Found", 409: "409 Conflict", 412: "412 Precondition Failed", 422: "422 Unprocessable Entity" };

export async function operatorEndpoint(c: Ctx): Promise<Response> {
  const url = new URL(c.req.url);
  const m = /^\/([a-z]{1,50})\/fhir(\/.*)?$/.exec(url.pathname);
  if (!m) return outcome(404, "not-found", "the operator interface is /<zorgaanbiedernaam>/fhir");
  const naam = m[1]!;
  const asked = responseFormat(url, c.req.header("accept") ?? null);
  if (!asked.ok) return outcome(406, "not-supported", asked.reason);
  const respond = async (r: Response) => inFormat(r, asked.format);
  const by = await credential(c.env, naam, c.req.raw);
  if (!by) return respond(outcome(401, "login", "the operator credential is missing or wrong", { "www-authenticate": 'Bearer realm="medmij-edge operator"' }));
  const tenancy = await loadTenancy(c.env);
  const zorgaanbieder = `${naam}@medmij`;
  if (!tenancy) return respond(outcome(503, "transient", "the Zorgaanbiederslijst is not loaded yet", { "retry-after": "60" }));
  if (!tenancy.zorgaanbieders().has(zorgaanbieder)) return respond(outcome(404, "not-found", `${zorgaanbieder} is not served by this deployment`));
  const ns = placed(c.env, c.env.FHIR);
  const store = ns.get(ns.idFromName(zorgaanbieder));
  const base = `https://${url.host}/${naam}/fhir`;
  const segments = (m[2] ?? "").split("/").filter((s) => s !== "");
  const [type, id, operation, ...more] = segments;
  const method = c.req.method;
  if (more.length > 0 || (type !== undefined && !TYPE.test(type)) || (id !== undefined && !isFhirId(id))) return respond(outcome(400, "invalid", "not Type, Type/id or Patient/id/$purge"));

  if (operation !== undefined) {
    if (operation !== "$purge" || type !== "Patient" || method !== "POST") return respond(outcome(404, "not-supported", "the only operation here is POST Patient/<id>/$purge"));
    const removed = await store.purge(id!);
    audit(naam, by, "purge", { status: 200, type: "Patient", id: id!, version: undefined });
    return respond(fhirTextResponse(200, stringifyFhirJson({ resourceType: "OperationOutcome", issue: [{ severity: "information", code: "informational", diagnostics: `${removed} resources removed` }] })));
  }
  if (method === "GET" && type !== undefined && id !== undefined) {
    const t = await store.readAny(type, id);
    return respond(t ? fhirTextResponse(200, t.text, { etag: `W/"${t.version}"` }) : outcome(404, "not-found", `${type}/${id} is not known`));
  }
  if (method === "DELETE" && type !== undefined && id !== undefined) {
    const [r] = await store.write([{ kind: "delete", type, id }], "transaction", [base]);
    audit(naam, by, "delete", r!);
    return respond(r!.status === 204 ? new Response(null, { status: 204 }) : outcome(r!.status, r!.status === 404 ? "not-found" : "conflict", r!.problem ?? "not deleted"));
  }
  if (method !== "PUT" && method !== "POST") return respond(outcome(405, "not-supported", `${method} is not supported here`, { allow: "GET, PUT, POST, DELETE" }));
  if (method === "PUT" && (type === undefined || id === undefined)) return respond(outcome(400, "invalid", "PUT needs Type/id"));
  if (method === "POST" && id !== undefined) return respond(outcome(400, "invalid", "POST to Type or to the base"));

  const sent = requestFormat(c.req.header("content-type") ?? null);
  if (!sent) return respond(outcome(415, "not-supported", "send application/fhir+json or application/fhir+xml"));
  const body = await readBody(c.req.raw, sent, MAX_BODY_BYTES);
  if (!body.ok) return respond(outcome(body.status, body.code, body.problem));
  const resource = body.resource;
  const representation = !(c.req.header("prefer") ?? "").includes("return=minimal");

  if (type !== undefined) {
    if (resource.resourceType !== type) return respond(outcome(400, "invalid", `the body is a ${String(resource.resourceType)}, not a ${type}`));
    if (method === "PUT" && resource.id !== undefined && resource.id !== id) return respond(outcome(400, "invalid", "the resource's id differs from the URL's"));
    const problem = structureProblem(resource);
    if (problem) return respond(outcome(400, "structure", problem));
    const ifMatch = /^W\/"(\d+)"$/.exec(c.req.header("if-match") ?? "")?.[1];
    const op: WriteOp = method === "PUT" ? { kind: "put", type, id: id!, text: stringifyFhirJson(resource), ...(ifMatch ? { ifMatch: Number(ifMatch) } : {}) } : { kind: "create", type, text: stringifyFhirJson(resource) };
    const [r] = await store.write([op], "transaction", [base]);
    audit(naam, by, method === "PUT" ? "update" : "create", r!);
    if (r!.status >= 400) return respond(outcome(r!.status, r!.status === 412 ? "conflict" : "processing", r!.problem ?? "not stored"));
    const headers = { location: `${base}/${r!.type}/${r!.id}/_history/${r!.version}`, etag: `W/"${r!.version}"`, "last-modified": new Date(r!.lastUpdated!).toUTCString() };
    return respond(representation && r!.text ? fhirTextResponse(r!.status, r!.text, headers) : new Response(null, { status: r!.status, headers }));
  }

  // A transaction or batch at the base.
  if (resource.resourceType !== "Bundle" || (resource.type !== "transaction" && resource.type !== "batch")) return respond(outcome(400, "invalid", "a POST to the base must be a transaction or batch Bundle"));
  const entries = Array.isArray(resource.entry) ? resource.entry : [];
  if (entries.length === 0 || entries.length > MAX_ENTRIES) return respond(outcome(400, "invalid", `a ${resource.type} needs 1 to ${MAX_ENTRIES} entries`));
  const ops: WriteOp[] = [];
  const refused: Map<number, string> = new Map();
  // A transaction's entries may refer to each other by fullUrl (STU3 http.html#trules): a POST entry gets its id
  // here, so that every such reference becomes Type/id before anything is stored. (A batch's entries may not.)
  const assigned = new Map<string, { type: string; id: string }>();
  if (resource.type === "transaction") {
    for (const e of entries) {
      const entry = e as { fullUrl?: unknown; request?: { method?: unknown; url?: unknown }; resource?: FhirObject };
      const [t, eid] = (typeof entry.request?.url === "string" ? entry.request.url : "").split("?")[0]!.split("/");
      if (typeof entry.fullUrl !== "string" || !/^urn:(uuid|oid):/.test(entry.fullUrl) || !t || !TYPE.test(t)) continue;
      if (entry.request?.method === "POST" && eid === undefined) assigned.set(entry.fullUrl, { type: t, id: crypto.randomUUID() });
      else if (entry.request?.method === "PUT" && eid !== undefined && isFhirId(eid)) assigned.set(entry.fullUrl, { type: t, id: eid });
    }
  }
  for (const [i, e] of entries.entries()) {
    const entry = e as { fullUrl?: unknown; request?: { method?: unknown; url?: unknown }; resource?: FhirObject };
    const [t, eid, ...extra] = (typeof entry.request?.url === "string" ? entry.request.url : "").split("?")[0]!.split("/");
    const m2 = entry.request?.method;
    const bad = (why: string) => (resource.type === "transaction" ? why : (refused.set(i, why), undefined));
    if (!t || !TYPE.test(t) || extra.length > 0 || (eid !== undefined && !isFhirId(eid))) {
      const why = bad(`entry ${i}: request.url is not Type or Type/id`);
      if (why) return respond(outcome(400, "invalid", why));
      continue;
    }
    if (m2 === "DELETE" && eid !== undefined) {
      ops.push({ kind: "delete", type: t, id: eid });
      continue;
    }
    if ((m2 !== "PUT" && m2 !== "POST") || !entry.resource || entry.resource.resourceType !== t || (m2 === "PUT" && eid === undefined)) {
      const why = bad(`entry ${i}: only PUT Type/id, POST Type and DELETE Type/id entries with a matching resource`);
      if (why) return respond(outcome(400, "invalid", why));
      continue;
    }
    const problem = structureProblem(entry.resource);
    if (problem) {
      const why = bad(`entry ${i}: ${problem}`);
      if (why) return respond(outcome(400, "structure", why));
      continue;
    }
    if (assigned.size > 0) resolveEntryReferences(entry.resource as Json, t, assigned);
    const given = m2 === "POST" && typeof entry.fullUrl === "string" ? assigned.get(entry.fullUrl) : undefined;
    if (given) entry.resource.id = given.id;
    ops.push(m2 === "PUT" || given ? { kind: "put", type: t, id: given?.id ?? eid!, text: stringifyFhirJson(entry.resource) } : { kind: "create", type: t, text: stringifyFhirJson(entry.resource) });
  }
  const results = ops.length === 0 ? [] : await store.write(ops, resource.type, [base]);
  if (resource.type === "transaction" && results.length === 1 && results[0]!.status >= 400 && ops.length > 0) {
    audit(naam, by, "transaction", results[0]!);
    return respond(outcome(results[0]!.status, "processing", results[0]!.problem ?? "the transaction was refused"));
  }
  const answers: ResponseEntry[] = [];
  let k = 0;
  for (let i = 0; i < entries.length; i++) {
    const why = refused.get(i);
    if (why) {
      answers.push({ status: "400 Bad Request", outcome: { resourceType: "OperationOutcome", issue: [{ severity: "error", code: "invalid", diagnostics: why }] } });
      continue;
    }
    const r = results[k++]!;
    audit(naam, by, `${resource.type}:${ops[k - 1]!.kind}`, r);
    if (r.status >= 400) answers.push({ status: statusText[r.status] ?? String(r.status), outcome: { resourceType: "OperationOutcome", issue: [{ severity: "error", code: "processing", diagnostics: r.problem ?? "refused" }] } });
    else if (r.status === 204) answers.push({ status: "204 No Content" });
    else answers.push({ status: statusText[r.status]!, fullUrl: `${base}/${r.type}/${r.id}`, location: `${base}/${r.type}/${r.id}/_history/${r.version}`, etag: `W/"${r.version}"`, lastModified: r.lastUpdated!, ...(representation && r.text ? { body: { text: r.text } } : {}) });
  }
  return respond(fhirTextResponse(200, responseBundleText(resource.type === "transaction" ? "transaction-response" : "batch-response", answers)));
}
