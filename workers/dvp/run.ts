/**
 * One Verzamelen or Delen run after the Person came back from the provider (SPEC G-1, AS-3..AS-18):
 * exchange the code, then fetch (Verzamelen) or send (Delen) the FHIR resources, and keep what
 * happened: the collection in PersonStore, the function in the AuditLog (LOG-1, LOG-3).
 */
import type { Flow } from "../../durable-objects/dvp-sessions.ts";
import type { ResourceRequestRecord } from "../../durable-objects/person-store.ts";
import { listIndex } from "../shared/lists/store.ts";
import { formatScope } from "../shared/scope.ts";
import { binaryReferences, COLLECT_PLAN } from "./collect-plan.ts";
import type { Env } from "./env.ts";
import { peerFetch } from "./peer.ts";
import { exchangeCode } from "./token-client.ts";

export interface RunResult {
  readonly outcome: "completed" | "failed";
  readonly reason?: string;
  readonly requests: ResourceRequestRecord[];
  readonly resources: string[];
  readonly requestIds: string[];
}

const FHIR_JSON = "application/fhir+json";

export function redirectUriOf(env: Pick<Env, "DVP_HOSTNAME">): string {
  return `https://${env.DVP_HOSTNAME}/oauth/callback`;
}

export async function run(env: Env, flow: Flow, code: string): Promise<RunResult> {
  const requests: ResourceRequestRecord[] = [];
  const resources: string[] = [];
  const requestIds: string[] = [];
  const fail = (reason: string): RunResult => ({ outcome: "failed", reason, requests, resources, requestIds });

  const zal = await listIndex(env.LISTS, "Zorgaanbiederslijst");
  const offering = zal?.offering(flow.zorgaanbieder, flow.gegevensdienstId);
  if (!offering) return fail("the Zorgaanbieder no longer offers this Gegevensdienst");
  const endpoints = offering.gegevensdienst.systeemrollen.map((s) => s.resourceEndpoint.replace(/\/$/, ""));
  const base = endpoints[0];
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
    if (flow.useCase === "delen") {
      const res = await resourceRequest(`${base}/Observation`, {
        method: "POST",
        headers: { ...auth, "content-type": FHIR_JSON, accept: FHIR_JSON },
        body: JSON.stringify(flow.payload),
      });
      const body = await res.text();
      if (res.status !== 201) return fail(`the provider refused the data (HTTP ${res.status})`);
      resources.push(body);
      return { outcome: "completed", requests, resources, requestIds };
    }
    for (const query of COLLECT_PLAN[flow.gegevensdienstId] ?? []) {
      const res = await resourceRequest(`${base}/${query}`, { headers: { ...auth, accept: FHIR_JSON } });
      if (res.status !== 200) {
        await res.body?.cancel();
        return fail(`resource request answered HTTP ${res.status}`);
      }
      const bundle = (await res.json()) as { entry?: { resource?: unknown }[] };
      const found = (bundle.entry ?? []).map((e) => e.resource).filter((r) => r !== undefined);
      resources.push(...found.map((r) => JSON.stringify(r)));
      for (const ref of binaryReferences(found)) {
        const bin = await resourceRequest(`${base}/${ref}`, { headers: { ...auth, accept: FHIR_JSON } });
        if (bin.status === 200) resources.push(await bin.text());
        else await bin.body?.cancel();
      }
    }
    return { outcome: "completed", requests, resources, requestIds };
  } catch (e) {
    return fail((e as Error).message);
  }
}
