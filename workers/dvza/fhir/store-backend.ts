/**
 * The embedded FhirStore as the source of a Zorgaanbieder's data (the default; what `npm run simulate` serves):
 * one Durable Object per Zorgaanbieder, fed by the provider's system (operator.ts), every query scoped to the
 * token's Person and the Gegevensdienst's view (SPEC G-3, G-5, G-6, X-4, X-8). Searches follow the STU3
 * SearchParameter definitions (workers/fhir/search/), answered in FHIR JSON built from the stored texts.
 */
import type { FhirStore, StoreScope, StoredText, WriteOp } from "../../../durable-objects/fhir-store.ts";
import { responseBundleText, searchsetText, type ResponseEntry } from "../../fhir/bundles.ts";
import { stringifyFhirJson, type FhirObject } from "../../fhir/formats/json.ts";
import { parseSearch, SearchError, type Clause, type SearchQuery } from "../../fhir/search/parse.ts";
import type { FhirBackend, FhirCall, GegevensdienstView, Submission } from "./backend.ts";
import { BSN_SYSTEM } from "../../fhir/bsn.ts";
import { fhirResponse, fhirTextResponse, outcome } from "./outcome.ts";
import { admitSubmission, bindToPerson, type SubmittedEntry } from "./submission.ts";
import type { ObjectNamespace, ObjectStub } from "../../shared/ports.ts";

const DEFAULT_COUNT = 50;
const MAX_COUNT = 500;
/** Parameters the RS reads itself, not search parameters. */
const PASS_THROUGH: ReadonlySet<string> = new Set(["_format"]);

/** The Gegevensdienst's restriction as clauses, parsed once per isolate. */
const restrictions = new Map<string, readonly Clause[]>();

function restrictClauses(view: GegevensdienstView): Record<string, readonly Clause[]> {
  const out: Record<string, readonly Clause[]> = {};
  for (const [type, query] of Object.entries(view.restrict)) {
    const key = `${type}?${query}`;
    let clauses = restrictions.get(key);
    if (!clauses) {
      clauses = parseSearch(type, new URLSearchParams(query), { strict: true }).clauses;
      restrictions.set(key, clauses);
    }
    out[type] = clauses;
  }
  return out;
}

function scopeOf(call: FhirCall): StoreScope {
  return { person: call.grant.subject, types: call.view.types, restrict: restrictClauses(call.view) };
}

const etag = (t: StoredText) => `W/"${t.version}"`;
const location = (call: FhirCall, t: { type: string; id: string; version?: number }) => `${call.base}/${t.type}/${t.id}${t.version ? `/_history/${t.version}` : ""}`;

export class StoreBackend implements FhirBackend {
  constructor(private readonly namespace: ObjectNamespace<FhirStore>) {}

  private store(call: FhirCall): ObjectStub<FhirStore> {
    return this.namespace.get(this.namespace.idFromName(call.grant.zorgaanbieder));
  }

  async search(call: FhirCall, type: string, operation?: "$lastn"): Promise<Response> {
    // X-8: the Person is known from the token; a search naming a BSN would put it in the searchset's self link.
    if ([...call.url.searchParams.values()].some((v) => v.includes(BSN_SYSTEM))) return outcome(400, "not-supported", "searching by BSN is not offered: the token says who the Person is");
    let query: SearchQuery;
    try {
      query = parseSearch(type, call.url.searchParams, { strict: call.prefer.strict, bases: [call.base], defaultCount: DEFAULT_COUNT, maxCount: MAX_COUNT, lastn: operation === "$lastn", passThrough: PASS_THROUGH });
    } catch (e) {
      if (e instanceof SearchError) return outcome(e.status, e.code, e.message);
      throw e;
    }
    if (query.ignored.length > 0) call.note({ ignored: query.ignored.slice(0, 10) });
    const result = await this.store(call).search(scopeOf(call), query);
    const entries = [
      ...result.matches.map((t) => ({ type: t.type, id: t.id, body: { text: t.text }, mode: "match" as const })),
      ...result.included.map((t) => ({ type: t.type, id: t.id, body: { text: t.text }, mode: "include" as const })),
    ];
    return fhirTextResponse(
      200,
      searchsetText({ base: call.base, path: operation ? `${type}/${operation}` : type, applied: query.applied, total: result.total, entries, paging: { offset: query.offset, count: query.count, total: result.total } }),
    );
  }

  async read(call: FhirCall, type: string, id: string): Promise<Response> {
    const t = await this.store(call).read(scopeOf(call), type, id);
    return t ? fhirTextResponse(200, t.text, { etag: etag(t), "last-modified": new Date(t.lastUpdated).toUTCString() }) : outcome(404, "not-found", `${type}/${id} is not known`);
  }

  async submit(call: FhirCall, submission: Submission): Promise<Response> {
    const store = this.store(call);
    const person = call.grant.subject;
    const patientIds = new Set(await store.personPatients(person));
    const own = [...patientIds][0];
    if (own === undefined) return outcome(422, "processing", "the Person is not known at this provider");
    const entries: readonly SubmittedEntry[] = submission.kind === "create" ? [{ resource: submission.resource }] : submission.entries;
    const at = { patientIds, bsn: person, bases: [call.base] };
    // X-4 (issue 15 #1): nothing sent may reach into another Person's record.
    const anyType: StoreScope = { person, types: [], restrict: {} };
    const admitted = await admitSubmission(entries, at, async (type, id) => (await store.read({ ...anyType, types: [type] }, type, id)) !== null);
    if (!admitted.ok) return outcome(422, "business-rule", submission.kind === "create" ? admitted.problem : `entry ${admitted.index}: ${admitted.problem}`);
    const bound = bindToPerson(entries, admitted.personEntries, at, `Patient/${own}`, true);
    const ops: WriteOp[] = bound.map((b) => ({ kind: "put", type: b.type, id: b.id!, text: stringifyFhirJson(b.resource as FhirObject) }));
    const mode = submission.kind === "batch" ? "batch" : "transaction";
    const results = ops.length === 0 ? [] : await store.write(ops, mode, [call.base]);
    const representation = call.prefer.return !== "minimal";
    if (submission.kind === "create") {
      const r = results[0];
      if (!r || r.status >= 400) return outcome(r?.status ?? 422, "processing", r?.problem ?? "nothing to store");
      const headers = { location: location(call, r), etag: `W/"${r.version}"`, "last-modified": new Date(r.lastUpdated!).toUTCString() };
      return representation && r.text ? fhirTextResponse(201, r.text, headers) : fhirResponse(201, { resourceType: "OperationOutcome", issue: [{ severity: "information", code: "informational", diagnostics: "created" }] }, headers);
    }
    if (mode === "transaction" && results.length === 1 && results[0]!.status >= 400 && ops.length >= 1) {
      // All or nothing: the refusal is the answer (FHIR transaction semantics).
      return outcome(results[0]!.status, "processing", results[0]!.problem ?? "the transaction was refused");
    }
    const personPatient = representation ? await store.read({ person, types: ["Patient"], restrict: {} }, "Patient", own) : null;
    const byIndex = new Map(bound.map((b, i) => [b.index, results[i]]));
    const response: ResponseEntry[] = entries.map((e, index) => {
      if (admitted.personEntries.has(index)) {
        return { status: "200 OK", fullUrl: `${call.base}/Patient/${own}`, location: `${call.base}/Patient/${own}`, ...(personPatient ? { body: { text: personPatient.text }, etag: etag(personPatient) } : {}) };
      }
      const r = byIndex.get(index);
      if (!r || r.status >= 400) {
        return { status: `${r?.status ?? 422} ${r?.status === 404 ? "Not Found" : "Unprocessable Entity"}`, outcome: { resourceType: "OperationOutcome", issue: [{ severity: "error", code: "processing", diagnostics: r?.problem ?? "not stored" }] } };
      }
      return {
        status: "201 Created",
        fullUrl: `${call.base}/${r.type}/${r.id}`,
        location: location(call, r),
        etag: `W/"${r.version}"`,
        lastModified: r.lastUpdated!,
        ...(representation && r.text ? { body: { text: r.text } } : {}),
      };
    });
    return fhirTextResponse(200, responseBundleText(mode === "batch" ? "batch-response" : "transaction-response", response));
  }
}
