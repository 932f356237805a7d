/** FHIR STU3 Bundles the Resource Server returns. */
import type { StoredResource } from "../../../durable-objects/fhir-store.ts";

export function searchset(base: string, selfUrl: string, matches: readonly StoredResource[], included: readonly StoredResource[]): unknown {
  const entry = (r: StoredResource, mode: "match" | "include") => ({ fullUrl: `${base}/${r.resourceType}/${r.id}`, resource: r, search: { mode } });
  return {
    resourceType: "Bundle",
    type: "searchset",
    total: matches.length,
    link: [{ relation: "self", url: selfUrl }],
    entry: [...matches.map((r) => entry(r, "match")), ...included.map((r) => entry(r, "include"))],
  };
}

export function transactionResponse(base: string, created: readonly StoredResource[]): unknown {
  return {
    resourceType: "Bundle",
    type: "transaction-response",
    entry: created.map((r) => ({ response: { status: "201 Created", location: `${base}/${r.resourceType}/${r.id}/_history/1` } })),
  };
}
