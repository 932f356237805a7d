// A Person's whole BgZ collection as a PGO makes it (issue 16 #6): the 28 queries of Nictiz's BgZ 3.0 scenario 1.1
// (test/fixtures/nictiz/BgZ-3-0/MedMij/Cert/XIS-Server/medmij-bgz-xis-1-1-serve-bgz-json.xml), in the order the
// script sends them, in sequence on one token. Each of `users` collects again and again for `seconds`.
import { randomUUID } from "node:crypto";
import { readFileSync } from "node:fs";
import { NICTIZ_DIR } from "../scripts/nictiz-load.mjs";
import { encodeRequestUrl, loadQualificationTokens, loadTestScript } from "../test/testscript/index.mjs";
import { percentile, request } from "./http.mjs";

const SCRIPT = `${NICTIZ_DIR}BgZ-3-0/MedMij/Cert/XIS-Server/medmij-bgz-xis-1-1-serve-bgz-json.xml`;
const CERT = { "x-local-network-client-cert": "dvp.gezondheidskluis.localhost" };

/** The scenario's queries, relative to a Gegevensdienst's FHIR base (`Patient?_include=...`), and its patient's BSN. */
export function bgzCollection() {
  const script = loadTestScript(SCRIPT);
  const queries = [];
  for (const section of [script.setup, ...script.tests.map((t) => t.actions)]) {
    for (const a of section) {
      if (a.kind !== "operation" || a.operation.type !== "search") continue;
      queries.push(encodeRequestUrl(`${a.operation.resource}${a.operation.params ?? ""}`, ""));
    }
  }
  // The patient whose token the script uses (XXX_Helleman).
  const text = readFileSync(SCRIPT, "utf8");
  const patient = loadQualificationTokens().find((p) => text.includes(`patient-token-${p.familyName}`));
  if (queries.length !== 28 || !patient?.bsn) throw new Error(`BgZ scenario 1.1: ${queries.length} queries, patient ${patient?.resourceId}`);
  return { queries, bsn: patient.bsn };
}

/** The heaviest single query of the collection: `$lastn` with two `_include`s. */
export function heaviestQuery(queries) {
  const q = queries.find((x) => x.startsWith("Observation/$lastn") && (x.match(/_include=/g) ?? []).length >= 2);
  if (!q) throw new Error("no $lastn query with includes in BgZ scenario 1.1");
  return q;
}

/**
 * `users` PGOs, each collecting the whole BgZ over and over on its own token for `seconds`. A collection counts
 * when all 28 answers were 200 with a searchset of the asked format.
 * @param {{ port: number, host: string, base: string, tokens: string[], users: number, seconds: number, format: "json" | "xml", queries: string[] }} o
 */
export async function collections({ port, host, base, tokens, users, seconds, format, queries }) {
  const accept = format === "xml" ? "application/fhir+xml" : "application/fhir+json";
  const latencies = [];
  let errors = 0;
  let requests = 0;
  const firstErrors = [];
  const start = performance.now();
  const end = Date.now() + seconds * 1000;
  await Promise.all(
    Array.from({ length: users }, async (_, u) => {
      const authorization = `Bearer ${tokens[u % tokens.length]}`;
      while (Date.now() < end) {
        const t0 = performance.now();
        let ok = true;
        for (const q of queries) {
          const r = await request(port, host, `${base}/${q}`, { headers: { ...CERT, authorization, accept, "medmij-request-id": randomUUID() } });
          requests++;
          const searchset = format === "xml" ? r.body.includes('<type value="searchset"/>') : r.body.includes('"searchset"');
          if (r.status !== 200 || !searchset) {
            ok = false;
            if (firstErrors.length < 3) firstErrors.push(`${q}: HTTP ${r.status} ${r.body.slice(0, 120)}`);
            break;
          }
        }
        if (ok) latencies.push(performance.now() - t0);
        else errors++;
      }
    }),
  );
  const elapsed = (performance.now() - start) / 1000;
  latencies.sort((a, b) => a - b);
  return {
    rps: latencies.length / elapsed,
    collections: latencies.length,
    httpRequestsPerSecond: requests / elapsed,
    p50: Math.round(percentile(latencies, 50)),
    p99: Math.round(percentile(latencies, 99)),
    requests: latencies.length,
    errors,
    non2xx: 0,
    ...(firstErrors.length ? { firstErrors } : {}),
  };
}
