// `npm run capacity`: docs/capacity.md, re-derived from the newest `npm run bench` record in bench/results.json.
// Inputs: the single-object saturation figures (one GrantStore, AuthorizationSessions, RateLimiter and
// FhirStore object driven to their limit) and the Durable Object calls one full Verzamelen flow made, by
// method. Assumptions are named constants below, each overridable from the environment.
import { readFileSync } from "node:fs";

const num = (name, fallback) => Number(process.env[name] ?? fallback);
/** Authorizations per Person served in a day (one per Gegevensdienst collected; a PGO often asks two or three). */
const AUTHORIZATIONS_PER_PERSON = num("CAP_AUTHORIZATIONS", 2);
/** FHIR requests per authorization: a BgZ Verzamelen is about 25 searches, one per zib-based resource type. */
const FHIR_PER_AUTHORIZATION = num("CAP_FHIR_REQUESTS", 25);
/** Busiest second over the day's average second: 12 % of a day's traffic in the busiest hour (x 2.9), bursts x 2 within it. */
const PEAK_TO_AVERAGE = num("CAP_PEAK", 6);
/** Cloudflare: one object is single-threaded; about 1,000 requests/s is its soft limit (Durable Objects FAQ). */
const PLATFORM_LIMIT = num("CAP_PLATFORM_LIMIT", 1000);
/** Plan each object for half of what it can do: headroom for bursts beyond the assumed peak and for slower calls. */
const UTILISATION = num("CAP_UTILISATION", 0.5);
const DEFAULT_SHARDS = 4;
const POPULATION = 18_000_000;

const { runs } = JSON.parse(readFileSync(new URL("./results.json", import.meta.url), "utf8"));
const run = [...runs].reverse().find((r) => r.results?.some((x) => x.name === "one grants object") && r.results?.some((x) => x.doCallsPerFlow));
if (!run) throw new Error("bench/results.json has no run with single-object figures and a full flow: run `npm run bench` first");
const result = (name) => run.results.find((x) => x.name === name);
const flow = run.results.find((x) => x.doCallsPerFlow);

// Which object class each RPC method belongs to (the Verzamelen flow: `create` is AuthorizationSessions.create).
const CLASS_OF = {
  putCode: "GrantStore", redeem: "GrantStore", introspect: "GrantStore",
  create: "AuthorizationSessions", get: "AuthorizationSessions", beginVerification: "AuthorizationSessions", authenticated: "AuthorizationSessions", abandon: "AuthorizationSessions", finish: "AuthorizationSessions",
  lease: "RateLimiter",
  list: "FhirStore", read: "FhirStore",
};
/** Methods called once per FHIR request (the bench's flow makes one): they scale with FHIR_PER_AUTHORIZATION. */
const PER_FHIR_REQUEST = new Set(["introspect", "list", "read"]);
const HTTP_PER_FLOW = 8;

const perAuthorization = {};
for (const [method, n] of Object.entries(flow.doCallsPerFlow)) {
  const cls = CLASS_OF[method] ?? "other";
  let calls = PER_FHIR_REQUEST.has(method) ? n * FHIR_PER_AUTHORIZATION : n;
  // Leases are taken per batch of requests: scale with the HTTP requests an authorization makes.
  if (method === "lease") calls = (n / HTTP_PER_FLOW) * (HTTP_PER_FLOW - 1 + FHIR_PER_AUTHORIZATION);
  perAuthorization[cls] = (perAuthorization[cls] ?? 0) + calls;
}

const single = {
  GrantStore: result("one grants object").rps,
  AuthorizationSessions: result("one sessions object").rps,
  RateLimiter: result("one rate object").rps,
  FhirStore: result("one fhir object").rps,
};
const plan = Object.fromEntries(Object.entries(single).map(([cls, rps]) => [cls, Math.min(rps, PLATFORM_LIMIT) * UTILISATION]));

/** Peak calls per second on a class for N Persons served a day. */
const peak = (cls, persons) => (persons * AUTHORIZATIONS_PER_PERSON * (perAuthorization[cls] ?? 0) * PEAK_TO_AVERAGE) / 86_400;
/** The N at which one object (or `objects` objects) of a class is at its planned load. */
const personsAt = (cls, objects) => (plan[cls] * objects * 86_400) / (AUTHORIZATIONS_PER_PERSON * perAuthorization[cls] * PEAK_TO_AVERAGE);

const fmt = (n) => Math.round(n).toLocaleString("en-US");
console.log(`From bench/results.json, run of ${run.date} (${run.machine?.cpu ?? "?"}, ${run.machine?.cores ?? "?"} cores)\n`);
console.log("Assumptions: %d authorizations per Person a day, %d FHIR requests per authorization, peak %d x the average second;", AUTHORIZATIONS_PER_PERSON, FHIR_PER_AUTHORIZATION, PEAK_TO_AVERAGE);
console.log("             an object planned at %d %% of min(measured, %s req/s platform limit)\n", UTILISATION * 100, fmt(PLATFORM_LIMIT));
console.log("| Object class | sharded by | one object, measured | planned per object | calls per authorization |");
console.log("|---|---|---|---|---|");
const SHARDED_BY = { GrantStore: "GRANT_SHARDS (hash of code/token)", AuthorizationSessions: "GRANT_SHARDS (hash of session id)", RateLimiter: "endpoint class x client (or source address)", FhirStore: "Zorgaanbieder (one object each)" };
for (const cls of Object.keys(single)) console.log(`| ${cls} | ${SHARDED_BY[cls]} | ${fmt(single[cls])} calls/s | ${fmt(plan[cls])} calls/s | ${(perAuthorization[cls] ?? 0).toFixed(2)} |`);

console.log("\n| Persons served a day | GrantStore peak calls/s -> shards | AuthorizationSessions -> shards | FhirStore calls/s (all in store mode) |");
console.log("|---|---|---|---|");
for (const persons of [10_000, 100_000, 500_000, 1_000_000, 5_000_000, POPULATION]) {
  const g = peak("GrantStore", persons);
  const s = peak("AuthorizationSessions", persons);
  const f = peak("FhirStore", persons);
  const shards = (cls, load) => Math.max(1, Math.ceil(load / plan[cls]));
  console.log(`| ${fmt(persons)} | ${fmt(g)} -> ${shards("GrantStore", g)} | ${fmt(s)} -> ${shards("AuthorizationSessions", s)} | ${fmt(f)} |`);
}

const limits = {
  "GrantStore with GRANT_SHARDS=4": personsAt("GrantStore", DEFAULT_SHARDS),
  "AuthorizationSessions with GRANT_SHARDS=4": personsAt("AuthorizationSessions", DEFAULT_SHARDS),
  "one Zorgaanbieder's FhirStore (store mode)": personsAt("FhirStore", 1),
};
console.log("\nPersons a day at which each reaches its planned load:");
for (const [what, n] of Object.entries(limits)) console.log(`  ${what.padEnd(45)} ${fmt(n)}`);
console.log(`\nRateLimiter: ${(perAuthorization.RateLimiter ?? 0).toFixed(3)} calls per authorization (leases), spread over one object per client and endpoint class.`);
