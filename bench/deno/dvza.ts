/**
 * The DVZA role on Deno for `npm run bench` (issues 10, 19): the product's serve path (workers/adapter/deno/serve.ts)
 * with every code and token durable before the answer leaves, in one of two stores:
 *   - SQLite files (GRANTS_BACKEND unset): synchronous=FULL, group commit behind the output gate (sql-storage.ts);
 *   - PostgreSQL (GRANTS_BACKEND=postgres): synchronous_commit=on, group commit (postgres.ts). With BENCH_PG=1 this
 *     process starts its own PostgreSQL server in a temporary directory (test/deno/postgres.ts) and stops it on SIGTERM.
 * The client-certificate verdict arrives as a trusted proxy forwards it, plus bench-only routes outside the product:
 *   GET /__bench/codes?n=N   issues N codes through the GrantStore (outside the measurement)
 *   GET /__bench/stats       group commit's batches and operations so far (mean batch size)
 * Prints {"port":N} when listening.
 */
import { batchConsole } from "../../workers/adapter/deno/log-output.ts";
import { node, peerOf, serveRequest } from "../../workers/adapter/deno/serve.ts";
import { proxyTrust } from "../../workers/adapter/deno/tls-client-auth.ts";
import type { Env as DvzaEnv } from "../../workers/dvza/env.ts";
import type { KvStore } from "../../workers/shared/ports.ts";
import { issueCode } from "../../workers/dvza/grants.ts";
import { storeLists } from "../../test/helpers/network.ts";
import { startPostgres, type PgServer } from "../../test/deno/postgres.ts";

const UMC = "umcharderwijk.zorgbridge.localhost";
const CLIENT = "dvp.gezondheidskluis.localhost";
const vars = Deno.env.toObject();
// As serve.ts runs it: the workers' log lines written once per turn.
batchConsole();
const unlimited = { ratePerSecond: 1e6, burst: 1e6 };
let pg: PgServer | undefined;
if (vars.BENCH_PG === "1") pg = await startPostgres();
const n = await node("dvza", {
  DATA_DIR: vars.DATA_DIR ?? (await Deno.makeTempDir()),
  SQLITE_SYNCHRONOUS: vars.SQLITE_SYNCHRONOUS ?? "FULL",
  ...(vars.SQLITE_GROUP_COMMIT ? { SQLITE_GROUP_COMMIT: vars.SQLITE_GROUP_COMMIT } : {}),
  ...(vars.SQLITE_COMMIT_WINDOW_MS ? { SQLITE_COMMIT_WINDOW_MS: vars.SQLITE_COMMIT_WINDOW_MS } : {}),
  ...(pg ? { GRANTS_BACKEND: "postgres", DATABASE_URL: pg.url, PG_POOL: vars.PG_POOL, PG_GROUP_COMMIT_IN_FLIGHT: vars.PG_GROUP_COMMIT_IN_FLIGHT } : {}),
  REGISTRATIE_URL: "http://127.0.0.1:9",
  DVZA_HOSTNAMES: UMC,
  GRANT_SHARDS: vars.GRANT_SHARDS ?? "4",
  RATE_LIMITS: JSON.stringify({ authorize: unlimited, token: unlimited, resource: unlimited }),
});
if (pg) {
  const server = pg;
  const stop = async () => {
    await n.close().catch(() => {});
    await server.stop().catch(() => {});
    Deno.exit(0);
  };
  Deno.addSignalListener("SIGTERM", () => void stop());
  Deno.addSignalListener("SIGINT", () => void stop());
}
await storeLists(n.env.LISTS as KvStore);
const env = n.env as unknown as DvzaEnv;
const grant = { clientId: CLIENT, redirectUri: `https://${CLIENT}/oauth/callback`, scope: "umcharderwijk~48", zorgaanbieder: "umcharderwijk@medmij", gegevensdienstId: "48", subject: "999990019", tokenEndpoint: `https://${UMC}/oauth/token` };
/** the bench stands where nginx stands and adds the proxy secret (bench/run.mjs PROXY_VERDICT). */
const trusted = proxyTrust("127.0.0.1", "bench-proxy-secret-0123456789abcdef0123");

Deno.serve({ port: 0, hostname: "127.0.0.1", onListen: ({ port }) => console.log(JSON.stringify({ port })) }, async (request, info) => {
  const url = new URL(request.url);
  if (url.pathname === "/__bench/codes") {
    const want = Number(url.searchParams.get("n") ?? 1);
    const codes: string[] = [];
    // In groups: each code is durable before it is handed out, and a group shares its commits.
    while (codes.length < want) {
      const group = await Promise.all(Array.from({ length: Math.min(200, want - codes.length) }, () => issueCode(env, grant)));
      codes.push(...group.map((c) => c.code));
    }
    return Response.json(codes);
  }
  if (url.pathname === "/__bench/stats") return Response.json(n.shared?.commit.stats ?? {});
  return serveRequest(n, trusted, request, peerOf(info));
});
