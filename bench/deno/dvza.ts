/**
 * The DVZA role on Deno for `npm run bench` (issue 10): the product's serve path (workers/adapter/deno/serve.ts)
 * with its objects in SQLite files (synchronous=FULL: every code and token durable before the answer), the
 * client-certificate verdict arriving as a trusted proxy forwards it, plus one bench-only route outside the
 * product: GET /__bench/codes?n=N issues N codes through the GrantStore (outside the measurement).
 * Prints {"port":N} when listening.
 */
import { node, peerOf, serveRequest } from "../../workers/adapter/deno/serve.ts";
import { proxyTrust } from "../../workers/adapter/deno/tls-client-auth.ts";
import type { Env as DvzaEnv } from "../../workers/dvza/env.ts";
import { issueCode } from "../../workers/dvza/grants.ts";
import { storeLists } from "../../test/helpers/network.ts";

const UMC = "umcharderwijk.zorgbridge.localhost";
const CLIENT = "dvp.gezondheidskluis.localhost";
const vars = Deno.env.toObject();
const unlimited = { ratePerSecond: 1e6, burst: 1e6 };
const n = await node("dvza", {
  DATA_DIR: vars.DATA_DIR ?? (await Deno.makeTempDir()),
  SQLITE_SYNCHRONOUS: vars.SQLITE_SYNCHRONOUS ?? "FULL",
  REGISTRATIE_URL: "http://127.0.0.1:9",
  DVZA_HOSTNAMES: UMC,
  GRANT_SHARDS: "4",
  RATE_LIMITS: JSON.stringify({ authorize: unlimited, token: unlimited, resource: unlimited }),
});
await storeLists(n.env.LISTS as KVNamespace);
const env = n.env as unknown as DvzaEnv;
const grant = { clientId: CLIENT, redirectUri: `https://${CLIENT}/oauth/callback`, scope: "umcharderwijk~48", zorgaanbieder: "umcharderwijk@medmij", gegevensdienstId: "48", subject: "999990019", tokenEndpoint: `https://${UMC}/oauth/token` };
/** the bench stands where nginx stands and adds the proxy secret (bench/run.mjs PROXY_VERDICT). */
const trusted = proxyTrust("127.0.0.1", "bench-proxy-secret-0123456789abcdef0123");

Deno.serve({ port: 0, hostname: "127.0.0.1", onListen: ({ port }) => console.log(JSON.stringify({ port })) }, async (request, info) => {
  const url = new URL(request.url);
  if (url.pathname === "/__bench/codes") {
    const codes: string[] = [];
    for (let i = 0; i < Number(url.searchParams.get("n") ?? 1); i++) codes.push((await issueCode(env, grant)).code);
    return Response.json(codes);
  }
  return serveRequest(n, trusted, request, peerOf(info));
});
