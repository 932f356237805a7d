/**
 * The local network on Deno (scripts/local-network-deno.mjs): a DVZA deployment's FhirStore, out of band, what the
 * network in workerd does through Miniflare's getDurableObjectNamespace("FHIR", ...):
 *
 *   deno run --allow-all scripts/deno/fhir-store.ts seed <DATA_DIR> <zorgaanbieder>...
 *       each provider's test data (kv-seed/fhir), before the DVZA process starts on that DATA_DIR;
 *   deno run --allow-all scripts/deno/fhir-store.ts search <DATA_DIR> <zorgaanbieder> <scope> <query>
 *       FhirStore.search with the scope and query given as JSON, the result printed as JSON; beside the running
 *       DVZA process (SQLite in WAL mode: a reader of its own).
 *
 * Development and tests only: the same DenoNamespace the DVZA role uses (workers/adapter/deno/serve.ts).
 */
import { fhirSeed } from "../../kv-seed/fhir/data.mjs";
import { node } from "../../workers/adapter/deno/serve.ts";
import type { Env as DvzaEnv } from "../../workers/dvza/env.ts";

type Store = { seed(texts: readonly string[]): Promise<number>; search(scope: unknown, query: unknown): Promise<unknown> };

const [command, dataDir, ...rest] = Deno.args;
if ((command !== "seed" && command !== "search") || !dataDir) {
  console.error("usage: fhir-store.ts seed <DATA_DIR> <zorgaanbieder>... | search <DATA_DIR> <zorgaanbieder> <scope JSON> <query JSON>");
  Deno.exit(2);
}
// Only the FhirStore is opened; the other objects of the role are created on first use, and are never used here.
const dvza = await node("dvza", { DATA_DIR: dataDir, DVZA_HOSTNAMES: "fhir-store.localhost" });
const fhir = (dvza.env as unknown as DvzaEnv).FHIR;
const store = (naam: string) => fhir.get(fhir.idFromName(naam)) as unknown as Store;
try {
  if (command === "seed") {
    for (const naam of rest) await store(naam).seed(fhirSeed(naam));
  } else {
    const [naam, scope, query] = rest;
    if (!naam || !scope || !query) throw new Error("search needs <zorgaanbieder> <scope JSON> <query JSON>");
    console.log(JSON.stringify(await store(naam).search(JSON.parse(scope), JSON.parse(query))));
  }
} finally {
  await dvza.close();
}
