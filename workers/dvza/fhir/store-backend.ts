/**
 * The embedded FhirStore as the source of a Zorgaanbieder's data (the default; what `npm run simulate`
 * serves): one Durable Object per Zorgaanbieder, every query scoped to the token's Person (SPEC G-3, G-5).
 */
import type { FhirStore, StoredResource } from "../../../durable-objects/fhir-store.ts";
import type { FhirBackend, FhirCall } from "./backend.ts";
import { searchset, transactionResponse } from "./bundle.ts";
import { fhirResponse, outcome } from "./outcome.ts";
import { applyFilters, includedReferences, parseSearch } from "./search.ts";
import { admitSubmission } from "./submission.ts";
import { maskBsn } from "../../fhir/bsn.ts";
import type { Json } from "./validate.ts";

export class StoreBackend implements FhirBackend {
  constructor(private readonly namespace: DurableObjectNamespace<FhirStore>) {}

  private store(call: FhirCall): DurableObjectStub<FhirStore> {
    return this.namespace.get(this.namespace.idFromName(call.grant.zorgaanbieder));
  }

  async search(call: FhirCall, type: string): Promise<Response> {
    const s = parseSearch(call.url.searchParams);
    if ("error" in s) return outcome(400, "invalid", s.error);
    const store = this.store(call);
    const all = await store.list(call.grant.subject, call.grant.gegevensdienstId, type);
    const matches = applyFilters(all, s).slice(0, s.count ?? Number.POSITIVE_INFINITY);
    const included: StoredResource[] = [];
    for (const ref of includedReferences(matches, s.includes)) {
      const [t, id] = ref.split("/") as [string, string];
      const r = await store.read(call.grant.subject, call.grant.gegevensdienstId, t, id);
      if (r) included.push(r);
    }
    // no BSN leaves, in any resource.
    return fhirResponse(200, maskBsn(searchset(call.base, call.url.href, matches, included)));
  }

  async read(call: FhirCall, type: string, id: string): Promise<Response> {
    const r = await this.store(call).read(call.grant.subject, call.grant.gegevensdienstId, type, id);
    return r ? fhirResponse(200, maskBsn(r)) : outcome(404, "not-found", `${type}/${id} is not known`);
  }

  async create(call: FhirCall, _type: string | undefined, checked: readonly Json[], transaction: boolean): Promise<Response> {
    const store = this.store(call);
    const { subject, gegevensdienstId: gd } = call.grant;
    // X-4 (issue 15 #1): nothing sent may reach into another Person's record, in store mode as upstream.
    const patients = (await store.list(subject, gd, "Patient")) as StoredResource[];
    const patientIds = new Set(patients.map((p) => p.id));
    const admitted = await admitSubmission(checked.map((resource) => ({ resource })), { patientIds, bsn: subject, bases: [call.base] }, async (type, id) => (await store.read(subject, gd, type, id)) !== null);
    if (!admitted.ok) return outcome(422, "business-rule", transaction ? `entry ${admitted.index}: ${admitted.problem}` : admitted.problem);
    const now = new Date().toISOString();
    // The server assigns identity and binds the data to the token's Person (G-5, S-3).
    const resources: StoredResource[] = checked.map((r) => ({
      ...r,
      resourceType: r.resourceType as string,
      id: crypto.randomUUID(),
      meta: { versionId: "1", lastUpdated: now },
      subject: { identifier: { system: "http://fhir.nl/fhir/NamingSystem/bsn", value: call.grant.subject } },
    }));
    await store.create(subject, gd, resources);
    if (transaction) return fhirResponse(200, transactionResponse(call.base, resources));
    const r = resources[0]!;
    return fhirResponse(201, maskBsn(r), { location: `${call.base}/${r.resourceType}/${r.id}/_history/1` });
  }
}
