/**
 * One Verzamelen or Delen run after the Person came back from the provider (SPEC G-1, G-6, AS-3..AS-18):
 * exchange the code, then fetch (Verzamelen: the standard's searches, every page, the documents they point at)
 * or send (Delen: the zib-profiled Bundle the standard expects), and keep what happened: every request with its
 * MedMij-Request-ID, every resource with the request that carried it (LOG-3).
 */
import type { Flow } from "../../durable-objects/dvp-sessions.ts";
import type { ResourceRequestRecord } from "../../durable-objects/person-store.ts";
import { stringifyFhirJson, type FhirObject } from "../fhir/formats/json.ts";
import { listIndex } from "../shared/lists/store.ts";
import { formatScope } from "../shared/scope.ts";
import { ACCEPT, AnswerError, readResource, searchsetOf } from "./collect/answer.ts";
import { collectQueries, followUps, type CollectChoice } from "./collect/plan.ts";
import type { Env } from "./env.ts";
import type { OwnDocument, OwnMeasurement } from "./own-data.ts";
import { peerFetch } from "./peer.ts";
import type { PgoPerson } from "./persons.ts";
import { documentsBundle } from "./share/documents.ts";
import { measurementsBundle } from "./share/measurements.ts";
import { exchangeCode } from "./token-client.ts";

/** What a flow carries from its start to its callback. */
export type FlowPayload =
  | { readonly choice: CollectChoice }
  | { readonly share: "measurements" | "documents"; readonly ids: readonly string[] };

/** Where a Delen run finds what the Person chose to share (their PersonStore). */
export interface ShareSource {
  measurements(filter: { ids: readonly string[] }): Promise<OwnMeasurement[]>;
  documents(ids: readonly string[]): Promise<OwnDocument[]>;
  documentContent(id: string): Promise<Uint8Array | null>;
}

export interface RunResult {
  readonly outcome: "completed" | "failed";
  readonly reason?: string;
  readonly requests: ResourceRequestRecord[];
  readonly resources: string[];
  /** Per resource, the index in `requests` of the request whose answer carried it. */
  readonly origins: (number | null)[];
  readonly requestIds: string[];
  /** Delen: what the provider accepted. */
  readonly shared?: { readonly kind: "measurements" | "documents"; readonly ids: readonly string[] };
}

const FHIR_JSON = "application/fhir+json";
/** A search is followed over at most this many pages (a provider paging forever cannot keep the run going). */
const MAX_PAGES = 20;
/** Document follow-ups: manifest -> DocumentReference -> Binary. */
const FOLLOW_UP_ROUNDS = 2;

export function redirectUriOf(env: Pick<Env, "DVP_HOSTNAME">): string {
  return `https://${env.DVP_HOSTNAME}/oauth/callback`;
}

export async function run(env: Env, flow: Flow, code: string, person: PgoPerson, source: ShareSource): Promise<RunResult> {
  const requests: ResourceRequestRecord[] = [];
  const resources: string[] = [];
  const origins: (number | null)[] = [];
  const requestIds: string[] = [];
  const fail = (reason: string): RunResult => ({ outcome: "failed", reason, requests, resources, origins, requestIds });

  const zal = await listIndex(env.LISTS, "Zorgaanbiederslijst");
  const offering = zal?.offering(flow.zorgaanbieder, flow.gegevensdienstId);
  if (!offering) return fail("the Zorgaanbieder no longer offers this Gegevensdienst");
  const base = offering.gegevensdienst.systeemrollen.map((s) => s.resourceEndpoint.replace(/\/$/, ""))[0];
  if (!base) return fail("no resource endpoint");

  let token;
  try {
    token = await exchangeCode(env, offering.gegevensdienst.tokenEndpoint, code, redirectUriOf(env), formatScope(flow.zorgaanbieder, flow.gegevensdienstId), flow.codeVerifier);
  } catch (e) {
    const requestId = (e as { requestId?: string | null }).requestId;
    if (requestId) requestIds.push(requestId);
    return fail((e as Error).message);
  }
  requestIds.push(token.requestId);
  const auth = { authorization: `Bearer ${token.accessToken}` };

  /** AS-18: a resource request that fails may be repeated once. */
  async function resourceRequest(uri: string, init: RequestInit): Promise<Response> {
    let last: Response | undefined;
    for (let attempt = 0; attempt < 2; attempt++) {
      const r = await peerFetch(env, uri, init, flow.useCase);
      requestIds.push(r.requestId);
      requests.push({ uri, at: r.at, requestId: r.requestId, status: r.response.status });
      last = r.response;
      if (r.response.status < 500) return r.response;
      await r.response.body?.cancel();
    }
    return last!;
  }

  try {
    const payload = flow.payload as FlowPayload | undefined;
    if (flow.useCase === "delen") {
      if (!payload || !("share" in payload)) return fail("nothing to share");
      return await share(payload, base);
    }
    return await collect(payload && "choice" in payload ? payload.choice : {}, base);
  } catch (e) {
    return fail((e as Error).message);
  }

  async function collect(choice: CollectChoice, base: string): Promise<RunResult> {
    const queries = collectQueries(flow.gegevensdienstId, choice);
    if (!queries) return fail("this PGO does not collect this Gegevensdienst");
    const seen = new Set<string>();
    const kept: FhirObject[] = [];
    const keep = (r: FhirObject) => {
      const key = `${String(r.resourceType)}/${String(r.id)}`;
      // One resource once per collection (an _include brings the same Patient or Organization again).
      if (r.id !== undefined && seen.has(key)) return;
      seen.add(key);
      kept.push(r);
      resources.push(stringifyFhirJson(r));
      origins.push(requests.length - 1);
    };
    const problems: string[] = [];
    for (const query of queries) {
      let uri: string | undefined = `${base}/${query}`;
      for (let page = 0; uri && page < MAX_PAGES; page++) {
        const res = await resourceRequest(uri, { headers: { ...auth, accept: ACCEPT } });
        if (res.status === 401 || res.status === 403) {
          await res.body?.cancel();
          return fail(`the provider refused the token (HTTP ${res.status})`);
        }
        if (res.status !== 200) {
          await res.body?.cancel();
          // 404: this provider does not offer that part of the standard (a type it does not hold); the rest counts.
          if (res.status !== 404) problems.push(`${query.split("?")[0]}: HTTP ${res.status}`);
          break;
        }
        let page_;
        try {
          page_ = searchsetOf(await readResource(res));
        } catch (e) {
          if (!(e instanceof AnswerError)) throw e;
          problems.push(`${query.split("?")[0]}: ${e.message}`);
          break;
        }
        page_.resources.forEach(keep);
        // A next page is followed only on the same Resource Server (peerFetch checks the Whitelist as well).
        uri = page_.next && page_.next.startsWith(`${base}/`) ? page_.next : undefined;
      }
    }
    const read = new Set<string>();
    for (let round = 0; round < FOLLOW_UP_ROUNDS; round++) {
      const next = followUps(kept, base, read);
      if (next.length === 0) break;
      for (const f of next) {
        read.add(`${f.type}/${f.id}`);
        const res = await resourceRequest(`${base}/${f.type}/${f.id}`, { headers: { ...auth, accept: ACCEPT } });
        // A document the provider no longer has (404, PDF/A scenario 1.4) is not a failed collection.
        if (res.status !== 200) {
          await res.body?.cancel();
          continue;
        }
        try {
          const r = await readResource(res);
          if (r.resourceType === f.type && r.id === f.id) keep(r);
        } catch (e) {
          if (!(e instanceof AnswerError)) throw e;
        }
      }
    }
    return problems.length === 0 ? { outcome: "completed", requests, resources, origins, requestIds } : fail(problems.slice(0, 5).join("; "));
  }

  async function share(payload: { readonly share: "measurements" | "documents"; readonly ids: readonly string[] }, base: string): Promise<RunResult> {
    let bundle: Record<string, unknown>;
    if (payload.share === "measurements") {
      const measurements = await source.measurements({ ids: payload.ids });
      if (measurements.length === 0) return fail("the measurements to share are gone");
      bundle = measurementsBundle(measurements, person);
    } else {
      const docs = await source.documents(payload.ids);
      const withContent = [];
      for (const doc of docs) {
        const content = await source.documentContent(doc.id);
        if (content) withContent.push({ doc, content });
      }
      if (withContent.length === 0) return fail("the documents to share are gone");
      bundle = documentsBundle(withContent, person, `https://${env.DVP_HOSTNAME}`, new Date());
    }
    const res = await resourceRequest(base, { method: "POST", headers: { ...auth, "content-type": FHIR_JSON, accept: ACCEPT }, body: JSON.stringify(bundle) });
    const sent = (bundle.entry as { resource: Record<string, unknown> }[]).map((e) => e.resource);
    for (const r of sent) {
      resources.push(JSON.stringify(r));
      origins.push(requests.length - 1);
    }
    if (res.status !== 200) {
      await res.body?.cancel();
      return fail(`the provider refused the data (HTTP ${res.status})`);
    }
    const answer = await readResource(res);
    const expected = `${String(bundle.type)}-response`;
    if (answer.resourceType !== "Bundle" || answer.type !== expected) return fail(`the provider did not answer with a ${expected}`);
    const statuses = (Array.isArray(answer.entry) ? (answer.entry as FhirObject[]) : []).map((e) => String((e.response as FhirObject | undefined)?.status ?? ""));
    const refused = statuses.filter((s) => !/^2\d\d/.test(s));
    if (statuses.length !== sent.length || refused.length > 0) return fail(`the provider did not accept every entry (${refused.slice(0, 3).join(", ") || "entries missing"})`);
    return { outcome: "completed", requests, resources, origins, requestIds, shared: { kind: payload.share, ids: payload.ids } };
  }
}
