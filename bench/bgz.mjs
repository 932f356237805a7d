// A Person's whole BgZ collection as a PGO makes it (issue 16 #6): the 28 queries of Nictiz's BgZ 3.0 scenario 1.1
// (test/fixtures/nictiz/BgZ-3-0/MedMij/Cert/XIS-Server/medmij-bgz-xis-1-1-serve-bgz-json.xml), in the order the
// script sends them, in sequence on one token. Each of `users` collects again and again for `seconds`.
import { randomUUID } from "node:crypto";
import { readFileSync } from "node:fs";
import { NICTIZ_DIR } from "../scripts/nictiz-load.mjs";
import { encodeRequestUrl, loadQualificationTokens, loadTestScript } from "../test/testscript/index.mjs";
import { closedLoop, request } from "./http.mjs";

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
  const { runs, ...r } = await closedLoop(users, seconds, async (u) => {
    const authorization = `Bearer ${tokens[u % tokens.length]}`;
    let made = 0;
    for (const q of queries) {
      const res = await request(port, host, `${base}/${q}`, { headers: { ...CERT, authorization, accept, "medmij-request-id": randomUUID() } });
      made++;
      const searchset = format === "xml" ? res.body.includes('<type value="searchset"/>') : res.body.includes('"searchset"');
      if (res.status !== 200 || !searchset) throw Object.assign(new Error(`${q}: HTTP ${res.status} ${res.body.slice(0, 120)}`), { requests: made });
    }
    return made;
  });
  return { ...r, collections: runs };
}
