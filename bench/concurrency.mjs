// `npm run proof:concurrency`: SPEC AS-10 under load. 1000 rounds; in round i, N = 2 + (i mod 63)
// parallel redemptions of one fresh code go through loopback HTTP to the token endpoint. Every round
// must yield exactly one token, and (because the others are replays) that token must end revoked.
// Writes bench/concurrency.json; exits non-zero on any violation.
import { writeFileSync } from "node:fs";
import { HOSTS, startNetwork } from "../scripts/local-network.mjs";
import { issueCodes } from "./grants.mjs";
import { request } from "./http.mjs";

const ROUNDS = Number(process.env.ROUNDS ?? 1000);
const CLIENT = HOSTS.dvpKluis;
const REDIRECT = `https://${CLIENT}/oauth/callback`;
const CERT = { "x-local-network-client-cert": CLIENT };
const UNLIMITED = { ratePerSecond: 1e6, burst: 1e6 };

const net = await startNetwork({ port: 0, dvzaBindings: { RATE_LIMITS: JSON.stringify({ token: UNLIMITED, resource: UNLIMITED }) } });
const grant = {
  clientId: CLIENT, redirectUri: REDIRECT, scope: "umcharderwijk~48", zorgaanbieder: "umcharderwijk@medmij",
  gegevensdienstId: "48", subject: "999990019", tokenEndpoint: `https://${HOSTS.umcharderwijk}/oauth/token`,
};
const codes = await issueCodes(net.mf, "dvza-zorgbridge", grant, ROUNDS);
const body = (code) => `grant_type=authorization_code&code=${code}&redirect_uri=${encodeURIComponent(REDIRECT)}`;
const redeem = (code) => request(net.port, HOSTS.umcharderwijk, "/oauth/token", { method: "POST", headers: { ...CERT, "content-type": "application/x-www-form-urlencoded" }, body: body(code) });

const violations = [];
const histogram = {};
let requests = 0;
const t0 = performance.now();
for (let i = 0; i < ROUNDS; i++) {
  const n = 2 + (i % 63);
  const responses = await Promise.all(Array.from({ length: n }, () => redeem(codes[i])));
  requests += n;
  const ok = responses.filter((r) => r.status === 200);
  const other = responses.filter((r) => r.status !== 200 && !(r.status === 400 && JSON.parse(r.body).error === "invalid_grant"));
  histogram[ok.length] = (histogram[ok.length] ?? 0) + 1;
  if (ok.length !== 1 || other.length > 0) {
    violations.push({ round: i, n, successes: ok.length, unexpected: other.map((r) => r.status) });
    continue;
  }
  const token = JSON.parse(ok[0].body).access_token;
  const use = await request(net.port, HOSTS.umcharderwijk, "/48/fhir/Patient", { headers: { ...CERT, authorization: `Bearer ${token}`, "medmij-request-id": crypto.randomUUID() } });
  if (use.status !== 401) violations.push({ round: i, n, tokenAfterReplay: use.status });
  if ((i + 1) % 100 === 0) process.stdout.write(`  ${i + 1}/${ROUNDS} rounds, ${requests} redemptions, ${violations.length} violations\r`);
}
const seconds = (performance.now() - t0) / 1000;
const result = { date: new Date().toISOString(), rounds: ROUNDS, parallelism: "2..64", redemptions: requests, seconds: Number(seconds.toFixed(1)), successesPerRound: histogram, violations };
writeFileSync(new URL("./concurrency.json", import.meta.url), JSON.stringify(result, null, 2) + "\n");
console.log(`\nAS-10: ${ROUNDS} rounds, ${requests} parallel redemptions in ${seconds.toFixed(1)} s; rounds by number of successes: ${JSON.stringify(histogram)}; violations: ${violations.length}`);
console.log("Every token issued was revoked by the replays that raced it." + (violations.length ? " (except the violations above)" : ""));
await net.dispose();
process.exit(violations.length ? 1 : 0);
