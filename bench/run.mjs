// `npm run bench`: load the local network from loopback and print req/s and p50/p99 for each
// scenario beside a hello-world worker on the same runtime and the same network path (the floor).
// Results go to bench/results.json. Bounded in time: BENCH_SECONDS (default 10) per scenario,
// BENCH_CONNECTIONS (default 50) concurrent connections or users.
import autocannon from "autocannon";
import { randomUUID } from "node:crypto";
import { writeFileSync } from "node:fs";
import { cpus } from "node:os";
import { HOSTS, startNetwork } from "../scripts/local-network.mjs";
import { issueCodes } from "./grants.mjs";
import { fullFlow } from "./flow.mjs";
import { percentile, request } from "./http.mjs";

const SECONDS = Number(process.env.BENCH_SECONDS ?? 10);
const CONNECTIONS = Number(process.env.BENCH_CONNECTIONS ?? 50);
const CLIENT = HOSTS.dvpKluis;
const REDIRECT = `https://${CLIENT}/oauth/callback`;
const CERT = { "x-local-network-client-cert": CLIENT };

const HELLO = { name: "hello", hostnames: ["hello.localhost"], source: 'export default { fetch() { return new Response("hello") } }', options: {} };

// Generous limits so the benchmark measures the work, not the limiter (which still runs per request).
const net = await startNetwork({
  port: 0,
  extraWorkers: [HELLO],
  dvzaBindings: { ...(process.env.BENCH_SHARDS ? { GRANT_SHARDS: process.env.BENCH_SHARDS } : {}), RATE_LIMITS: JSON.stringify({ authorize: { ratePerSecond: 1e6, burst: 1e6 }, token: { ratePerSecond: 1e6, burst: 1e6 }, resource: { ratePerSecond: 1e6, burst: 1e6 } }) },
});
const port = net.port;

function cannon(name, host, opts) {
  return new Promise((resolve, reject) => {
    autocannon(
      { url: `http://127.0.0.1:${port}`, connections: CONNECTIONS, duration: SECONDS, headers: { host: `${host}:${port}`, ...(opts.headers ?? {}) }, requests: opts.requests, method: opts.method ?? "GET" },
      (err, r) => (err ? reject(err) : resolve({ name, rps: r.requests.average, p50: r.latency.p50, p99: r.latency.p99, requests: r.requests.total, errors: r.errors + r.timeouts, non2xx: r.non2xx })),
    );
  });
}

const results = [];
const run = async (p) => {
  const r = await p;
  results.push(r);
  console.log(`  ${r.name.padEnd(24)} ${String(Math.round(r.rps)).padStart(7)} req/s  p50 ${String(r.p50).padStart(4)} ms  p99 ${String(r.p99).padStart(4)} ms  errors ${r.errors}  non-2xx ${r.non2xx}`);
};

console.log(`Local network on 127.0.0.1:${port}; ${SECONDS} s per scenario, ${CONNECTIONS} connections, ${cpus().length} cores\n`);

// 1. The floor: a hello-world worker behind the same local network worker.
await run(cannon("floor (hello world)", "hello.localhost", {}));

// 2. The list API.
await run(cannon("list API (Whitelist)", HOSTS.registratie, { requests: [{ method: "GET", path: "/MedMij_Whitelist.xml?release=2" }] }));

// 3. The token endpoint, a fresh code for every request (issued straight into the GrantStore).
const grant = {
  clientId: CLIENT,
  redirectUri: REDIRECT,
  scope: "umcharderwijk~48",
  zorgaanbieder: "umcharderwijk@medmij",
  gegevensdienstId: "48",
  subject: "999990019",
  tokenEndpoint: `https://${HOSTS.umcharderwijk}/oauth/token`,
};
const codeBudget = Number(process.env.BENCH_CODES ?? 60_000);
process.stdout.write(`  (issuing ${codeBudget} codes...)\r`);
const codes = await issueCodes(net.mf, "dvza-zorgbridge", grant, codeBudget);
let next = 0;
await run(
  cannon("token endpoint", HOSTS.umcharderwijk, {
    headers: { ...CERT, "content-type": "application/x-www-form-urlencoded" },
    requests: [
      {
        method: "POST",
        path: "/oauth/token",
        setupRequest: (req) => ({ ...req, body: `grant_type=authorization_code&code=${codes[next++ % codes.length]}&redirect_uri=${encodeURIComponent(REDIRECT)}` }),
      },
    ],
  }),
);
const tokenResult = results[results.length - 1];
tokenResult.codesUsed = Math.min(next, codes.length);
if (next > codes.length) tokenResult.note = `codes ran out after ${codes.length}; later requests were replays`;

// 4. The resource endpoint with valid tokens (one per connection), a fresh MedMij-Request-ID each.
const tokenCodes = await issueCodes(net.mf, "dvza-zorgbridge", grant, CONNECTIONS);
const tokens = [];
for (const code of tokenCodes) {
  const r = await request(port, HOSTS.umcharderwijk, "/oauth/token", {
    method: "POST",
    headers: { ...CERT, "content-type": "application/x-www-form-urlencoded" },
    body: `grant_type=authorization_code&code=${code}&redirect_uri=${encodeURIComponent(REDIRECT)}`,
  });
  tokens.push(JSON.parse(r.body).access_token);
}
let t = 0;
await run(
  cannon("resource endpoint", HOSTS.umcharderwijk, {
    headers: CERT,
    requests: [{ method: "GET", path: "/48/fhir/Patient", setupRequest: (req) => ({ ...req, headers: { ...req.headers, authorization: `Bearer ${tokens[t++ % tokens.length]}`, "medmij-request-id": randomUUID() } }) }],
  }),
);

// 5. The full authorize -> DigiD -> consent -> token -> resource flow, CONNECTIONS concurrent users.
{
  const latencies = [];
  let errors = 0;
  let httpRequests = 0;
  const firstErrors = [];
  const end = Date.now() + SECONDS * 1000;
  const bsns = ["999990019", "999990020", "999990032"];
  await Promise.all(
    Array.from({ length: CONNECTIONS }, async (_, u) => {
      while (Date.now() < end) {
        const t0 = performance.now();
        try {
          const made = await fullFlow(port, bsns[u % bsns.length]);
          httpRequests += made;
          latencies.push(performance.now() - t0);
        } catch (e) {
          errors++;
          if (firstErrors.length < 3) firstErrors.push(e.message);
        }
      }
    }),
  );
  latencies.sort((a, b) => a - b);
  const r = { name: `full flow (${CONNECTIONS} users)`, rps: latencies.length / SECONDS, flows: latencies.length, httpRequestsPerSecond: httpRequests / SECONDS, p50: Math.round(percentile(latencies, 50)), p99: Math.round(percentile(latencies, 99)), requests: latencies.length, errors, non2xx: 0 };
  if (firstErrors.length) r.firstErrors = firstErrors;
  results.push(r);
  console.log(`  ${r.name.padEnd(24)} ${r.rps.toFixed(1).padStart(7)} flows/s (${Math.round(r.httpRequestsPerSecond)} HTTP req/s)  p50 ${r.p50} ms  p99 ${r.p99} ms  errors ${errors}`);
}

const floor = results[0].rps;
console.log("\nRatio to the floor (req/s):");
for (const r of results) {
  r.ratioToFloor = r.httpRequestsPerSecond ? r.httpRequestsPerSecond / floor : r.rps / floor;
  console.log(`  ${r.name.padEnd(24)} ${(r.ratioToFloor * 100).toFixed(1)} %`);
}
const token = results.find((r) => r.name === "token endpoint");
const flow = results.find((r) => r.name.startsWith("full flow"));
const goals = {
  tokenAtLeastHalfTheFloor: token.ratioToFloor >= 0.5,
  fullFlowWithoutErrorsAt50Users: flow.errors === 0 && CONNECTIONS >= 50,
};
console.log(`\nGoals: token endpoint >= 50 % of the floor: ${goals.tokenAtLeastHalfTheFloor ? "met" : "NOT met"}; full flow without errors at ${CONNECTIONS} users: ${goals.fullFlowWithoutErrorsAt50Users ? "met" : "NOT met"}`);

writeFileSync(
  new URL("./results.json", import.meta.url),
  JSON.stringify({ date: new Date().toISOString(), node: process.version, cores: cpus().length, secondsPerScenario: SECONDS, connections: CONNECTIONS, results, goals }, null, 2) + "\n",
);
console.log("Wrote bench/results.json");
await net.dispose();
process.exit(0);
