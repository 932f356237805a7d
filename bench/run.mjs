// `npm run bench`: load the local network from loopback and judge every endpoint against the floor of the
// work it must do, measured in the same run (issue 11):
//   - floors: a hello-world worker, then + one Durable Object round trip doing in-memory work, one SQLite
//     read, two reads, one durable write; each also as a POST with a token-request-sized form body;
//   - the product: list API, token endpoint, resource endpoint (FhirStore and a provider's own FHIR server);
//   - a cost breakdown of the token and resource paths, one step more at each level (bench/workers);
//   - single-object saturation of GrantStore, RateLimiter, AuthorizationSessions and FhirStore
//     (the figures docs/capacity.md is derived from);
//   - the full authorize -> DigiD -> consent -> token -> resource flow at 50 and at 200 users, in workerd and with
//     every role on Deno (scripts/local-network-deno.mjs);
//   - a Person's whole BgZ collection (Nictiz's scenario 1.1, 28 queries in sequence on one token, issue 16) at 50
//     users, store and upstream mode, JSON and XML, and its heaviest single query ($lastn with includes).
// Every scenario runs BENCH_RUNS times (default 3), interleaved in rounds so drift hits all alike; the
// median is reported with min and max. Durable Object round trips per request come from the DVZA's
// metrics endpoint. Every run is appended to bench/results.json.
import autocannon from "autocannon";
import { randomBytes, randomUUID } from "node:crypto";
import { spawn } from "node:child_process";
import { existsSync, readFileSync, writeFileSync } from "node:fs";
import { createInterface } from "node:readline";
import { fileURLToPath } from "node:url";
import { cpus, totalmem } from "node:os";
import { HOSTS, startNetwork } from "../scripts/local-network.mjs";
import { NGINX } from "../scripts/local-network-deno.mjs";
import { issueCodes } from "./grants.mjs";
import { runFlows } from "./flow.mjs";
import { bgzCollection, collections, heaviestQuery } from "./bgz.mjs";
import { loadNictiz, nictizResources } from "../scripts/nictiz-load.mjs";
import { formatReport, hasFailures } from "../test/testscript/index.mjs";
import { request } from "./http.mjs";

const SECONDS = Number(process.env.BENCH_SECONDS ?? 5);
const RUNS = Number(process.env.BENCH_RUNS ?? 3);
const CONNECTIONS = Number(process.env.BENCH_CONNECTIONS ?? 50);
const MANY_USERS = Number(process.env.BENCH_MANY_USERS ?? 200);
const ONLY = process.env.BENCH_ONLY ? new RegExp(process.env.BENCH_ONLY) : undefined;

const CLIENT = HOSTS.dvpKluis;
const REDIRECT = `https://${CLIENT}/oauth/callback`;
const CERT = { "x-local-network-client-cert": CLIENT };
const FORM = { "content-type": "application/x-www-form-urlencoded" };
const BENCH_HOST = "bench.localhost";
const METRICS_TOKEN = randomBytes(24).toString("base64url");
/** A token request's body, as the floors' POST variants send it (the same size as the real one). */
const tokenBody = (code) => `grant_type=authorization_code&code=${code}&redirect_uri=${encodeURIComponent(REDIRECT)}`;
const DUMMY_BODY = tokenBody(randomBytes(32).toString("base64url"));

const durable = (className, scriptName) => ({ className, useSQLite: true, ...(scriptName ? { scriptName } : {}) });
const BENCH_WORKER = {
  name: "bench",
  hostnames: [BENCH_HOST],
  script: "bench",
  entry: "bench/workers/bench-worker.ts",
  options: {
    bindings: { DVZA_HOSTNAMES: `${HOSTS.umcharderwijk},${HOSTS.delinde}`, AS_HOST: HOSTS.umcharderwijk, GRANT_SHARDS: "4", DO_JURISDICTION: "none" },
    // The DVZA's own lists and objects: the paths are measured on the data the product uses.
    kvNamespaces: { LISTS: "dvza-zorgbridge-lists" },
    durableObjects: {
      GRANTS: durable("GrantStore", "dvza-zorgbridge"),
      SESSIONS: durable("AuthorizationSessions", "dvza-zorgbridge"),
      RATE_LIMITER: durable("RateLimiter", "dvza-zorgbridge"),
      FHIR: durable("FhirStore", "dvza-zorgbridge"),
      FLOOR: durable("Floor"),
    },
  },
};

// Generous limits so the benchmark measures the work, not the limiter (which still runs per request).
const UNLIMITED = { ratePerSecond: 1e6, burst: 1e6 };
process.stdout.write("Starting the local network...\r");
const net = await startNetwork({
  port: 0,
  extraWorkers: [BENCH_WORKER],
  dvzaBindings: {
    ...(process.env.BENCH_SHARDS ? { GRANT_SHARDS: process.env.BENCH_SHARDS } : {}),
    RATE_LIMITS: JSON.stringify({ authorize: UNLIMITED, token: UNLIMITED, resource: UNLIMITED }),
    METRICS_TOKEN,
  },
  // ziekenhuisoost serves from its own FHIR server (X-4, bearer secret), Nictiz's fixtures among its data; the
  // others from their FhirStore.
  fhir: "upstream",
  fhirOptions: { providers: ["ziekenhuisoost@medmij"], extraResources: { "ziekenhuisoost@medmij": nictizResources() } },
});
const port = net.port;
// Nictiz's fixtures into umcharderwijk's FhirStore through its operator feed, as a provider's system sends them.
const BGZ = bgzCollection();
if (!ONLY || ONLY.test("BgZ") || ONLY.test("$lastn")) {
  const loaded = await loadNictiz({ baseUrl: `${net.base(HOSTS.operatorZorgbridge)}/umcharderwijk/fhir`, operatorToken: net.operatorToken, fetch: net.fetch });
  if (hasFailures(loaded)) throw new Error(`loading Nictiz's fixtures failed:\n${formatReport(loaded.filter((r) => hasFailures(r)))}`);
}

// ---- grants and tokens ----
const grantAt = (host, naam, subject = "999990019") => ({
  clientId: CLIENT,
  redirectUri: REDIRECT,
  scope: `${naam.replace(/@medmij$/, "")}~48`,
  zorgaanbieder: naam,
  gegevensdienstId: "48",
  subject,
  tokenEndpoint: `https://${host}/oauth/token`,
});
const UMC = { host: HOSTS.umcharderwijk, worker: "dvza-zorgbridge", grant: grantAt(HOSTS.umcharderwijk, "umcharderwijk@medmij") };
const OOST = { host: HOSTS.ziekenhuisoost, worker: "dvza-medicloud", grant: grantAt(HOSTS.ziekenhuisoost, "ziekenhuisoost@medmij") };
// The BgZ qualification patient (XXX_Helleman) at both.
const UMC_BGZ = { ...UMC, grant: grantAt(HOSTS.umcharderwijk, "umcharderwijk@medmij", BGZ.bsn) };
const OOST_BGZ = { ...OOST, grant: grantAt(HOSTS.ziekenhuisoost, "ziekenhuisoost@medmij", BGZ.bsn) };

async function tokensFor(at, count) {
  const codes = await issueCodes(net.mf, at.worker, at.grant, count);
  const tokens = [];
  for (const code of codes) {
    const r = await request(port, at.host, "/oauth/token", { method: "POST", headers: { ...CERT, ...FORM }, body: tokenBody(code) });
    if (r.status !== 200) throw new Error(`token for the bench: HTTP ${r.status} ${r.body}`);
    tokens.push(JSON.parse(r.body).access_token);
  }
  return tokens;
}
// Access tokens live 900 s (AS-9) and a whole bench runs longer: re-issued before a measurement once 10 minutes old.
let umcTokens = [];
let oostTokens = [];
const bgzTokens = { store: [], upstream: [] };
let tokensIssuedAt = 0;
async function freshTokens() {
  if (Date.now() - tokensIssuedAt < 10 * 60_000) return;
  umcTokens = await tokensFor(UMC, CONNECTIONS);
  oostTokens = await tokensFor(OOST, CONNECTIONS);
  bgzTokens.store = await tokensFor(UMC_BGZ, CONNECTIONS);
  bgzTokens.upstream = await tokensFor(OOST_BGZ, CONNECTIONS);
  tokensIssuedAt = Date.now();
}
await freshTokens();

async function metrics(host) {
  const r = await request(port, host, "/.well-known/medmij-edge/metrics", { headers: { authorization: `Bearer ${METRICS_TOKEN}` } });
  if (r.status !== 200) throw new Error(`metrics: HTTP ${r.status}`);
  return JSON.parse(r.body);
}

// ---- scenarios ----
/**
 * A scenario: autocannon against one host, or a custom driver. `prepare(seconds, previous)` runs before each
 * measurement (outside the timing), e.g. to issue the fresh codes a token scenario spends.
 */
const scenarios = [];
const add = (s) => {
  if (!ONLY || ONLY.test(s.name) || s.always) scenarios.push(s);
};

const floors = [
  ["hello", "GET"], ["memory", "GET"], ["read", "GET"], ["read2", "GET"], ["write", "GET"],
  ["hello", "POST"], ["memory", "POST"], ["read", "POST"], ["write", "POST"],
];
for (const [kind, method] of floors) {
  add({
    name: `floor ${method} ${kind}`,
    group: "floor",
    always: kind === "hello" && method === "GET",
    host: BENCH_HOST,
    request: () => ({ method, path: `/floor/${kind}`, ...(method === "POST" ? { headers: FORM, body: DUMMY_BODY } : {}) }),
  });
}

add({ name: "list API (Whitelist)", group: "product", host: HOSTS.registratie, request: () => ({ method: "GET", path: "/MedMij_Whitelist.xml?release=2" }) });

/** Fresh codes for one measurement: enough for the last rate seen, with room to spare. */
function codeSpender(at, issue = (want) => issueCodes(net.mf, at.worker, at.grant, want), firstGuess = 1500) {
  let codes = [];
  let next = 0;
  return {
    async prepare(seconds, previous) {
      const want = Math.ceil(((previous?.rps ?? firstGuess) * seconds * 1.4) / 100) * 100 + 200;
      codes = await issue(want);
      next = 0;
    },
    take() {
      return codes[next++ % codes.length];
    },
    spent() {
      return { issued: codes.length, used: next, ranOut: next > codes.length };
    },
  };
}

const tokenCodes = codeSpender(UMC);
add({
  name: "token endpoint",
  group: "product",
  host: HOSTS.umcharderwijk,
  metricsHost: HOSTS.umcharderwijk,
  spender: tokenCodes,
  prepare: (seconds, previous) => tokenCodes.prepare(seconds, previous),
  request: () => ({ method: "POST", path: "/oauth/token", headers: { ...CERT, ...FORM }, body: tokenBody(tokenCodes.take()) }),
});

let rt = 0;
add({
  name: "resource (FhirStore)",
  group: "product",
  prepare: freshTokens,
  host: HOSTS.umcharderwijk,
  metricsHost: HOSTS.umcharderwijk,
  request: () => ({ method: "GET", path: "/48/fhir/Patient", headers: { ...CERT, authorization: `Bearer ${umcTokens[rt++ % umcTokens.length]}`, "medmij-request-id": randomUUID() } }),
});
let ot = 0;
add({
  name: "resource (upstream FHIR)",
  group: "product",
  prepare: freshTokens,
  host: HOSTS.ziekenhuisoost,
  metricsHost: HOSTS.ziekenhuisoost,
  request: () => ({ method: "GET", path: "/48/fhir/Patient", headers: { ...CERT, authorization: `Bearer ${oostTokens[ot++ % oostTokens.length]}`, "medmij-request-id": randomUUID() } }),
});

const { token: TOKEN_STEPS, resource: RESOURCE_STEPS } = JSON.parse((await request(port, BENCH_HOST, "/steps")).body);
for (let step = 0; step < TOKEN_STEPS.length; step++) {
  const spender = step >= 6 ? codeSpender(UMC) : undefined;
  add({
    name: `token step ${step}`,
    label: TOKEN_STEPS[step],
    group: "token breakdown",
    host: BENCH_HOST,
    spender,
    prepare: spender ? (s, p) => spender.prepare(s, p) : undefined,
    request: () => ({ method: "POST", path: `/token/${step}`, headers: { ...CERT, ...FORM }, body: spender ? tokenBody(spender.take()) : DUMMY_BODY }),
  });
}
for (let step = 0; step < RESOURCE_STEPS.length; step++) {
  let i = 0;
  add({
    name: `resource step ${step}`,
    label: RESOURCE_STEPS[step],
    group: "resource breakdown",
    prepare: freshTokens,
    host: BENCH_HOST,
    request: () => ({ method: "GET", path: `/resource/${step}`, headers: { ...CERT, authorization: `Bearer ${umcTokens[i++ % umcTokens.length]}`, "medmij-request-id": randomUUID() } }),
  });
}

// ---- Deno and node-oidc-provider (issues 10, 19): the same token endpoint self-hosted, and a reference AS ----
/** A child process that prints one JSON line when it listens; killed when the bench ends. */
async function child(command, args, env = {}) {
  const proc = spawn(command, args, { env: { ...process.env, ...env }, stdio: ["ignore", "pipe", "inherit"] });
  children.push(proc);
  const lines = createInterface({ input: proc.stdout });
  for await (const line of lines) {
    if (line.startsWith("{\"port\"")) {
      lines.on("line", () => {});
      return JSON.parse(line);
    }
  }
  throw new Error(`${command} ${args.join(" ")} exited before listening`);
}
const children = [];
const DENO_STORES = [
  // Every code and token durable before the answer: SQLite with synchronous=FULL behind the output gate (group
  // commit), and PostgreSQL with synchronous_commit=on (group commit), its own server started by the child. One
  // grant shard: on Deno every shard is in the one process, and each is a file of its own to fsync (README).
  { name: "token endpoint (Deno, SQLite)", env: { GRANT_SHARDS: "1", SQLITE_SYNCHRONOUS: "FULL" } },
  { name: "token endpoint (Deno, PostgreSQL)", env: { GRANT_SHARDS: "1", BENCH_PG: "1" }, needs: "/usr/lib/postgresql/15/bin/postgres" },
];
const wantsPeers = !ONLY || [...DENO_STORES.map((d) => d.name), "token endpoint (node-oidc-provider)"].some((n) => ONLY.test(n));
if (wantsPeers) {
  const PROXY_VERDICT = { "x-medmij-proxy-secret": "bench-proxy-secret-0123456789abcdef0123", "x-ssl-client-verify": "SUCCESS", "x-ssl-client-s-dn": `CN=${CLIENT},O=Test,C=NL` };
  for (const store of DENO_STORES) {
    if (ONLY && !ONLY.test(store.name) && !ONLY.test("token endpoint (node-oidc-provider)")) continue;
    if (store.needs && !existsSync(store.needs)) {
      console.log(`(${store.name}: ${store.needs} is missing, skipped)`);
      continue;
    }
    const deno = await child(fileURLToPath(new URL("../node_modules/.bin/deno", import.meta.url)), ["run", "--allow-all", fileURLToPath(new URL("./deno/dvza.ts", import.meta.url))], store.env);
    const denoCodes = codeSpender(undefined, async (want) => JSON.parse((await request(deno.port, HOSTS.umcharderwijk, `/__bench/codes?n=${want}`)).body), 4000);
    add({
      name: store.name,
      group: "Deno and node-oidc-provider",
      host: HOSTS.umcharderwijk,
      port: deno.port,
      spender: denoCodes,
      prepare: (seconds, previous) => denoCodes.prepare(seconds, previous),
      request: () => ({ method: "POST", path: "/oauth/token", headers: { ...PROXY_VERDICT, ...FORM }, body: tokenBody(denoCodes.take()) }),
      // Group commit's mean batch (PostgreSQL): how many redemptions shared one commit.
      stats: async () => JSON.parse((await request(deno.port, HOSTS.umcharderwijk, "/__bench/stats")).body),
    });
  }
  const op = await child(process.execPath, [fileURLToPath(new URL("./peers/oidc-provider.mjs", import.meta.url))]);
  const opCodes = codeSpender(undefined, async (want) => JSON.parse((await request(op.port, "127.0.0.1", `/__bench/codes?n=${want}`)).body), 4000);
  add({
    name: "token endpoint (node-oidc-provider)",
    group: "Deno and node-oidc-provider",
    host: "127.0.0.1",
    port: op.port,
    spender: opCodes,
    prepare: (seconds, previous) => opCodes.prepare(seconds, previous),
    request: () => ({ method: "POST", path: "/token", headers: { ...FORM, authorization: op.authorization }, body: new URLSearchParams({ grant_type: "authorization_code", code: opCodes.take(), redirect_uri: op.redirectUri }).toString() }),
  });
}

for (const kind of ["grants", "rate", "sessions", "fhir"]) {
  add({ name: `one ${kind} object`, group: "single object", host: BENCH_HOST, request: () => ({ method: "GET", path: `/object/${kind}` }) });
}

for (const users of [CONNECTIONS, MANY_USERS]) add({ name: `full flow (${users} users)`, group: "full flow", users, flow: true, metricsHost: HOSTS.umcharderwijk });

// ---- the whole network on Deno (issue 19 #4): every role a serve.ts process behind nginx, the same front door ----
let denoNet;
if ((!ONLY || ONLY.test("full flow on Deno")) && existsSync(NGINX)) {
  process.stdout.write("Starting the local network on Deno...\r");
  denoNet = await startNetwork({
    port: 0,
    deno: true,
    // BENCH_DATABASE_URL=postgres://...: each deployment's shared state in PostgreSQL (GRANTS_BACKEND=postgres).
    ...(process.env.BENCH_DATABASE_URL ? { postgres: process.env.BENCH_DATABASE_URL } : {}),
    dvzaBindings: { RATE_LIMITS: JSON.stringify({ authorize: UNLIMITED, token: UNLIMITED, resource: UNLIMITED }) },
  });
  for (const users of [CONNECTIONS, MANY_USERS]) add({ name: `full flow on Deno (${users} users)`, group: "full flow", users, flow: true, port: denoNet.port });
}

// ---- BgZ (issue 16): the heaviest single query beside hello and the list API, and whole collections ----
const HEAVIEST = heaviestQuery(BGZ.queries);
const BGZ_AT = { store: { host: HOSTS.umcharderwijk, name: "FhirStore" }, upstream: { host: HOSTS.ziekenhuisoost, name: "upstream FHIR" } };
for (const [mode, at] of Object.entries(BGZ_AT)) {
  let i = 0;
  add({
    name: `$lastn with includes (${at.name})`,
    group: "BgZ",
    prepare: freshTokens,
    host: at.host,
    request: () => ({ method: "GET", path: `/48/fhir/${HEAVIEST}`, headers: { ...CERT, authorization: `Bearer ${bgzTokens[mode][i++ % CONNECTIONS]}`, accept: "application/fhir+json", "medmij-request-id": randomUUID() } }),
  });
}
for (const [mode, at] of Object.entries(BGZ_AT)) {
  for (const format of ["json", "xml"]) {
    add({
      name: `BgZ collection (${at.name}, ${format.toUpperCase()}, ${CONNECTIONS} users)`,
      group: "BgZ",
      users: CONNECTIONS,
      collection: true,
      prepare: freshTokens,
      drive: (seconds) => collections({ port, host: at.host, base: "/48/fhir", tokens: bgzTokens[mode], users: CONNECTIONS, seconds, format, queries: BGZ.queries }),
    });
  }
}

// ---- measurement ----
function cannon(s, seconds) {
  return new Promise((resolve, reject) => {
    autocannon(
      {
        url: `http://127.0.0.1:${s.port ?? port}`,
        connections: CONNECTIONS,
        duration: seconds,
        headers: { host: s.port ? s.host : `${s.host}:${port}` },
        requests: [{ setupRequest: (req) => { const r = s.request(); return { ...req, ...r, headers: { ...req.headers, ...(r.headers ?? {}) } }; } }],
      },
      (err, r) => (err ? reject(err) : resolve({ rps: r.requests.average, p50: r.latency.p50, p99: r.latency.p99, requests: r.requests.total, errors: r.errors + r.timeouts, non2xx: r.non2xx })),
    );
  });
}

async function measure(s, seconds, previous) {
  if (s.prepare) await s.prepare(seconds, previous);
  const before = s.metricsHost ? await metrics(s.metricsHost) : undefined;
  const r = s.drive ? await s.drive(seconds) : s.flow ? await runFlows(s.port ?? port, s.users, seconds) : await cannon(s, seconds);
  if (before) {
    const after = await metrics(s.metricsHost);
    const requests = after.requests - before.requests;
    r.doHopsPerRequest = requests > 0 ? (after.doCalls - before.doCalls) / requests : null;
    // Per flow: the Durable Object calls one authorization costs, by method (docs/capacity.md).
    if (s.flow && r.flows > 0) {
      r.doCallsPerFlow = Object.fromEntries(
        Object.entries(after.byMethod).map(([m, n]) => [m, Number(((n - (before.byMethod[m] ?? 0)) / r.flows).toFixed(3))]),
      );
    }
  }
  if (s.spender) r.codes = s.spender.spent();
  return r;
}

const machine = { cpu: cpus()[0]?.model ?? "unknown", cores: cpus().length, memoryGiB: Math.round(totalmem() / 2 ** 30), node: process.version, platform: `${process.platform}/${process.arch}` };
console.log(`Local network on 127.0.0.1:${port}; ${scenarios.length} scenarios x ${RUNS} runs of ${SECONDS} s, ${CONNECTIONS} connections`);
console.log(`Machine: ${machine.cpu}, ${machine.cores} cores, ${machine.memoryGiB} GiB, Node ${machine.node}\n`);

// Warm-up: every scenario once for a second (JIT, object creation, list caches), not recorded.
process.stdout.write("Warming up...\r");
const runs = new Map(scenarios.map((s) => [s.name, []]));
for (const s of scenarios) await measure(s, 1);

for (let round = 1; round <= RUNS; round++) {
  for (const s of scenarios) {
    const done = runs.get(s.name);
    process.stdout.write(`Run ${round}/${RUNS}: ${s.name}...`.padEnd(60) + "\r");
    done.push(await measure(s, SECONDS, done[done.length - 1]));
  }
}
process.stdout.write(" ".repeat(60) + "\r");

// ---- reporting ----
const median = (xs) => {
  const s = [...xs].sort((a, b) => a - b);
  return s.length % 2 ? s[(s.length - 1) / 2] : (s[s.length / 2 - 1] + s[s.length / 2]) / 2;
};
const summary = new Map();
for (const s of scenarios) {
  const rs = runs.get(s.name);
  const rps = rs.map((r) => r.rps);
  const hops = rs.map((r) => r.doHopsPerRequest).filter((h) => typeof h === "number");
  summary.set(s.name, {
    name: s.name,
    ...(s.label ? { label: s.label } : {}),
    group: s.group,
    rps: median(rps),
    min: Math.min(...rps),
    max: Math.max(...rps),
    p50: median(rs.map((r) => r.p50)),
    p99: median(rs.map((r) => r.p99)),
    errors: rs.reduce((n, r) => n + r.errors, 0),
    non2xx: rs.reduce((n, r) => n + r.non2xx, 0),
    ...(hops.length ? { doHopsPerRequest: median(hops) } : {}),
    ...(s.flow || s.collection ? { users: s.users, errorsPerRun: rs.map((r) => r.errors), httpRequestsPerSecond: median(rs.map((r) => r.httpRequestsPerSecond)), doCallsPerFlow: rs[rs.length - 1].doCallsPerFlow } : {}),
    ...(s.collection ? { unit: "collections/s", queriesPerCollection: BGZ.queries.length } : {}),
    runs: rs,
  });
}
const get = (name) => summary.get(name);
const hello = get("floor GET hello");
const fmt = (n) => (n >= 100 ? String(Math.round(n)) : n.toFixed(1));
const pct = (a, b) => (a && b ? `${((a.rps / b.rps) * 100).toFixed(0)} %` : "-");

/** Which floor each product scenario must be judged against: the least work its rules require. */
const FLOOR_OF = {
  "list API (Whitelist)": "floor GET hello",
  "token endpoint": "floor POST write",
  "resource (FhirStore)": "floor GET read2",
  "resource (upstream FHIR)": "floor GET read",
};

let group;
for (const r of summary.values()) {
  if (r.group !== group) {
    group = r.group;
    console.log(`\n${group}${group === "token breakdown" || group === "resource breakdown" ? "  (cost = capacity per request added by this step)" : ""}`);
  }
  const floor = FLOOR_OF[r.name] ? get(FLOOR_OF[r.name]) : undefined;
  const unit = r.unit ?? (r.users ? "flows/s" : "req/s");
  let line = `  ${(r.label ? `${r.name.replace(/ step /, " ")} ${r.label}` : r.name).padEnd(48)} ${fmt(r.rps).padStart(6)} ${unit} (${fmt(r.min)}-${fmt(r.max)})  p50 ${String(r.p50).padStart(4)} ms  p99 ${String(r.p99).padStart(4)} ms`;
  if (floor) line += ` [floor p99 ${floor.p99} ms]  = ${pct(r, floor)} of ${floor.name.replace("floor ", "")}, ${pct(r, hello)} of hello`;
  else if (r.group !== "floor" && !r.users && hello) line += `  ${pct(r, hello)} of hello`;
  if (r.group === "floor" && r !== hello) line += `  ${pct(r, hello)} of hello`;
  if (r.group.endsWith("breakdown")) {
    const prevName = r.name.replace(/\d+$/, (n) => String(Number(n) - 1));
    const prev = get(prevName);
    if (prev) line += `  cost ${Math.round(1e6 / r.rps - 1e6 / prev.rps)} µs`;
  }
  if (r.doHopsPerRequest !== undefined) line += `  doHopsPerRequest ${r.doHopsPerRequest.toFixed(3)}`;
  if (r.users) line += `  (${Math.round(r.httpRequestsPerSecond)} HTTP req/s)  errors per run ${r.errorsPerRun.join("/")}`;
  else if (r.errors || r.non2xx) line += `  errors ${r.errors} non-2xx ${r.non2xx}`;
  console.log(line);
  if (r.doCallsPerFlow) console.log(`    Durable Object calls per flow: ${Object.entries(r.doCallsPerFlow).map(([m, n]) => `${m} ${n}`).join(", ")}`);
  for (const run of r.runs) if (run.codes?.ranOut) console.log(`    ! codes ran out in a run (${run.codes.issued} issued, ${run.codes.used} requests): later requests were replays`);
  for (const run of r.runs) for (const e of run.firstErrors ?? []) console.log(`    ! ${e}`);
}

for (const s of scenarios) {
  if (!s.stats) continue;
  // Cumulative over the whole bench (codes issued outside the measurements included).
  const st = await s.stats().catch(() => ({}));
  if (st.batches) console.log(`  ${s.name}: group commit, ${(st.operations / st.batches).toFixed(1)} operations per commit on average (${st.batches} commits, ${st.retries} retried)`);
}

const ratio = (a, b) => (get(a) && get(b) ? get(a).rps / get(b).rps : undefined);
const goals = {};
const goal = (name, value, target, met) => {
  if (value === undefined) return;
  goals[name] = { value: Number(value.toFixed(3)), target, met };
};
const rTokenWrite = ratio("token endpoint", "floor POST write");
goal("token >= 75 % of the POST one-write floor", rTokenWrite, 0.75, rTokenWrite >= 0.75);
const rTokenHello = ratio("token endpoint", "floor GET hello");
goal("token >= 25 % of hello", rTokenHello, 0.25, rTokenHello >= 0.25);
const rResRead = ratio("resource (FhirStore)", "floor GET read2");
goal("resource >= 75 % of the two-read floor", rResRead, 0.75, rResRead >= 0.75);
const rResHello = ratio("resource (FhirStore)", "floor GET hello");
goal("resource >= 40 % of hello", rResHello, 0.4, rResHello >= 0.4);
const rList = ratio("list API (Whitelist)", "floor GET hello");
goal("list API >= 80 % of hello", rList, 0.8, rList >= 0.8);
for (const name of ["token endpoint", "resource (FhirStore)"]) {
  const h = get(name)?.doHopsPerRequest;
  const limit = name === "token endpoint" ? 1.1 : 2.1;
  goal(`${name} doHopsPerRequest <= ${limit}`, h, limit, h <= limit);
}
const rDeno = ratio("token endpoint (Deno, SQLite)", "token endpoint (node-oidc-provider)");
goal("Deno token endpoint (SQLite, synchronous=FULL) >= node-oidc-provider's (issues 10, 19)", rDeno, 1, rDeno >= 1);
const rDenoPg = ratio("token endpoint (Deno, PostgreSQL)", "token endpoint (node-oidc-provider)");
goal("Deno token endpoint (PostgreSQL, synchronous_commit=on) >= node-oidc-provider's (issue 19)", rDenoPg, 1, rDenoPg >= 1);
for (const r of summary.values()) if (r.users && !r.unit) goal(`${r.name}: 0 errors in ${RUNS} runs`, r.errors, 0, r.errors === 0 && r.runs.length >= 3);
for (const r of summary.values()) if (r.unit === "collections/s") goal(`${r.name}: 0 errors in ${RUNS} runs`, r.errors, 0, r.errors === 0 && r.runs.length >= 3);
console.log("\nGoals:");
for (const [name, g] of Object.entries(goals)) console.log(`  ${g.met ? "met    " : "NOT met"}  ${name} (${g.value})`);

const file = new URL("./results.json", import.meta.url);
const previous = existsSync(file) ? JSON.parse(readFileSync(file, "utf8")) : { runs: [] };
const history = Array.isArray(previous.runs) ? previous.runs : [previous];
const record = {
  date: new Date().toISOString(),
  machine,
  secondsPerScenario: SECONDS,
  runsPerScenario: RUNS,
  connections: CONNECTIONS,
  ...(ONLY ? { only: ONLY.source } : {}),
  results: [...summary.values()],
  goals,
};
writeFileSync(file, JSON.stringify({ runs: [...history, record] }, null, 1) + "\n");
console.log(`\nAppended to bench/results.json (${history.length + 1} runs kept).`);
for (const c of children) c.kill();
await denoNet?.dispose();
await net.dispose();
process.exit(0);
