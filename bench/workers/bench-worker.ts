/**
 * Benchmark-only worker (never deployed): the architecture floors, the token and resource paths built up
 * step by step from the product's own modules, and single-object saturation. It shares the KV namespace and
 * the Durable Object classes of the DVZA deployment it is measured beside (Miniflare `scriptName`).
 *
 *   /floor/<hello|memory|read|read2|write>   GET or POST: nothing, or one round trip to a Floor object that
 *                                            does in-memory work, one or two SQLite reads, or a durable write
 *   /token/<0..7>                            POST: the token path up to step N (see TOKEN_STEPS)
 *   /resource/<0..6>                         GET:  the resource path up to step N (see RESOURCE_STEPS)
 *   /object/<grants|rate|sessions|fhir>      one RPC to one fixed object of that class (saturates it)
 *   /steps                                   the steps' names, for the bench's report
 */
import { DurableObject } from "cloudflare:workers";
import type { FhirStore } from "../../durable-objects/fhir-store.ts";
import type { GrantStore } from "../../durable-objects/grant-store.ts";
import type { AuthorizationSessions } from "../../durable-objects/authorization-sessions.ts";
import type { RateLimiter } from "../../durable-objects/rate-limiter.ts";
import { searchsetText } from "../../workers/fhir/bundles.ts";
import { parseSearch } from "../../workers/fhir/search/parse.ts";
import { drawTokenForShard, grantStub, introspectToken, shardCount } from "../../workers/dvza/grants.ts";
import { RateLeases } from "../../workers/shared/rate-limit.ts";
import { endpointId, loadTenancy } from "../../workers/dvza/tenants.ts";
import { randomHandle } from "../../workers/shared/crypto.ts";
import { readTextCapped } from "../../workers/shared/http/body.ts";
import { isFormEncoded, readParams } from "../../workers/shared/http/params.ts";
import { listIndex } from "../../workers/shared/lists/store.ts";
import { log } from "../../workers/shared/log.ts";
import dvza from "../../workers/dvza/index.ts";
import type { Env as DvzaEnv } from "../../workers/dvza/env.ts";
import { verifiedPeerCertificate } from "../../workers/shared/mtls.ts";
import { NO_STORE } from "../../workers/shared/oauth/errors.ts";
import { hashHandleSync } from "../../workers/shared/shard.ts";

interface Env {
  LISTS: KVNamespace;
  GRANTS: DurableObjectNamespace<GrantStore>;
  SESSIONS: DurableObjectNamespace<AuthorizationSessions>;
  RATE_LIMITER: DurableObjectNamespace<RateLimiter>;
  FHIR: DurableObjectNamespace<FhirStore>;
  FLOOR: DurableObjectNamespace<Floor>;
  DVZA_HOSTNAMES: string;
  GRANT_SHARDS?: string;
  /** The host whose token endpoint and resource endpoints the paths are measured as. */
  AS_HOST: string;
}

/** The floors' object: the least work one round trip can carry. */
export class Floor extends DurableObject {
  private n = 0;
  private readonly sql: SqlStorage;
  constructor(ctx: DurableObjectState, env: unknown) {
    super(ctx, env as never);
    this.sql = ctx.storage.sql;
    this.sql.exec(`CREATE TABLE IF NOT EXISTS rows (k TEXT PRIMARY KEY, v TEXT); CREATE TABLE IF NOT EXISTS log (t INTEGER, v TEXT)`);
    this.sql.exec(`INSERT OR IGNORE INTO rows VALUES ('x', ?)`, "y".repeat(200));
  }
  async memory(): Promise<number> {
    return ++this.n;
  }
  async read(): Promise<string> {
    return this.sql.exec<{ v: string }>(`SELECT v FROM rows WHERE k = 'x'`).one().v;
  }
  /** One durable write, in one transaction, as a code redemption makes. */
  async write(): Promise<number> {
    this.sql.exec(`INSERT INTO log VALUES (?, ?)`, Date.now(), "z".repeat(120));
    return ++this.n;
  }
}

const RULE = { ratePerSecond: 1e6, burst: 1e6 };
const leases = new RateLeases();
const ok = () => new Response("ok");

/**
 * The last step of each breakdown: the DVZA worker's own fetch handler, called in this isolate with the request
 * re-addressed to the DVZA host. Its cost over the step before is the product's wiring (routing, middleware).
 */
const NO_CTX = { waitUntil() {}, passThroughOnException() {}, props: {} } as unknown as ExecutionContext;
async function viaProduct(env: Env, request: Request, path: string): Promise<Response> {
  const readdressed = new Request(`https://${env.AS_HOST}${path}`, { method: request.method, headers: request.headers, body: request.body, cf: request.cf });
  return dvza.fetch(readdressed as Request<unknown, IncomingRequestCfProperties>, { ...env, RATE_LIMITS: JSON.stringify({ token: RULE, resource: RULE, authorize: RULE }) } as unknown as DvzaEnv, NO_CTX);
}
const floorStub = (env: Env) => env.FLOOR.get(env.FLOOR.idFromName(`floor-${Math.floor(Math.random() * 4)}`));

async function floor(env: Env, kind: string, request: Request): Promise<Response> {
  if (request.method === "POST") await request.arrayBuffer();
  const stub = floorStub(env);
  if (kind === "memory") await stub.memory();
  else if (kind === "read") await stub.read();
  else if (kind === "read2") {
    await stub.read();
    await floorStub(env).read();
  } else if (kind === "write") await stub.write();
  return ok();
}

/** The token path of workers/dvza/token.ts, one step more at each level (the last is the whole path). */
export const TOKEN_STEPS = ["POST, body read as bytes", "+ decoded (capped) and form parsed", "+ whitelist gate", "+ OAuthclientlist and endpoint", "+ hashing", "+ RateLimiter lease", "+ GrantStore transaction", "+ response and log line", "the DVZA worker's handler, in this isolate"];

async function tokenPath(env: Env, steps: number, request: Request): Promise<Response> {
  if (steps === TOKEN_STEPS.length - 1) return viaProduct(env, request, "/oauth/token");
  // Even step 0 reads the body: workerd drops a kept-alive connection after a body left unread.
  if (steps === 0) return (await request.arrayBuffer(), ok());
  if (!isFormEncoded(request.headers.get("content-type"))) return new Response("bad", { status: 400 });
  const params = readParams(new URLSearchParams(await readTextCapped(request, 8 * 1024)));
  const code = params.get("code") ?? "";
  const redirectUri = params.get("redirect_uri") ?? "";
  if (steps === 1) return ok();
  const cert = verifiedPeerCertificate(request.cf);
  if (!cert.ok || !(await listIndex(env.LISTS, "Whitelist"))?.has(cert.cert.commonName)) return new Response(null, { status: 403 });
  if (steps === 2) return ok();
  const clientId = cert.cert.commonName;
  if (!(await listIndex(env.LISTS, "OAuthclientlist"))?.client(clientId)) return new Response("client", { status: 401 });
  const tokenEndpoint = endpointId(`https://${env.AS_HOST}/oauth/token`)!;
  if (steps === 3) return ok();
  const shards = shardCount(env);
  const c = hashHandleSync(code, shards);
  const t = drawTokenForShard(c.shard, shards);
  if (steps === 4) return ok();
  const admitted = await leases.admit(() => env.RATE_LIMITER.get(env.RATE_LIMITER.idFromName(`token:${clientId}`)), "token", clientId, RULE);
  if (!admitted.admitted) return new Response(null, { status: 429 });
  if (steps === 5) return ok();
  const result = await grantStub(env, c.shard).redeem(c.hash, t.hash, { clientId, redirectUri, tokenEndpoint });
  if (steps === 6) return result.ok ? ok() : new Response("refused", { status: 400 });
  if (!result.ok) return new Response("refused", { status: 400 });
  log("info", "token.issued", { client: clientId, zorgaanbieder: result.grant.zorgaanbieder, gegevensdienst: result.grant.gegevensdienstId });
  return new Response(JSON.stringify({ access_token: t.token, token_type: "bearer", expires_in: 900, scope: result.grant.scope }), { headers: { "content-type": "application/json;charset=UTF-8", ...NO_STORE } });
}

/** The resource path of workers/dvza/resource.ts (store mode, a Patient search), one step more at each level. */
export const RESOURCE_STEPS = ["GET", "+ whitelist gate", "+ tenancy and endpoint match", "+ RateLimiter lease", "+ token introspection (GrantStore read)", "+ FhirStore read", "+ search, Bundle and log line", "the DVZA worker's handler, in this isolate"];

async function resourcePath(env: Env, steps: number, request: Request): Promise<Response> {
  if (steps === RESOURCE_STEPS.length - 1) return viaProduct(env, request, "/48/fhir/Patient");
  if (steps === 0) return ok();
  const cert = verifiedPeerCertificate(request.cf);
  if (!cert.ok || !(await listIndex(env.LISTS, "Whitelist"))?.has(cert.cert.commonName)) return new Response(null, { status: 403 });
  if (steps === 1) return ok();
  const url = new URL(`https://${env.AS_HOST}/48/fhir/Patient`);
  const matches = (await loadTenancy(env))?.resourceMatches(url) ?? [];
  if (matches.length === 0) return new Response("no endpoint", { status: 404 });
  if (steps === 2) return ok();
  const clientId = cert.cert.commonName;
  const admitted = await leases.admit(() => env.RATE_LIMITER.get(env.RATE_LIMITER.idFromName(`resource:${clientId}`)), "resource", clientId, RULE);
  if (!admitted.admitted) return new Response(null, { status: 429 });
  if (steps === 3) return ok();
  const token = /^Bearer (\S+)$/.exec(request.headers.get("authorization") ?? "")?.[1] ?? "";
  const grant = await introspectToken(env, token);
  if (!grant) return new Response(null, { status: 401 });
  if (steps === 4) return ok();
  const query = parseSearch("Patient", url.searchParams);
  const found = await env.FHIR.get(env.FHIR.idFromName(grant.zorgaanbieder)).search({ person: grant.subject, types: ["Patient"], restrict: {} }, query);
  if (steps === 5) return ok();
  log("info", "resource.request", { requestId: request.headers.get("medmij-request-id"), client: clientId, status: 200 });
  const entries = found.matches.map((t) => ({ type: t.type, id: t.id, body: { text: t.text }, mode: "match" as const }));
  return new Response(searchsetText({ base: `https://${env.AS_HOST}/48/fhir`, path: "Patient", applied: query.applied, total: found.total, entries }), { headers: { "content-type": "application/fhir+json; charset=utf-8", "cache-control": "no-store" } });
}

const GRANT = { clientId: "bench", redirectUri: "https://bench/cb", scope: "umcharderwijk~48", zorgaanbieder: "umcharderwijk@medmij", gegevensdienstId: "48", subject: "999990019", tokenEndpoint: "https://bench/oauth/token" };

/** One RPC to one fixed object: the bench drives these to the object's limit. */
async function object(env: Env, kind: string): Promise<Response> {
  if (kind === "grants") await env.GRANTS.get(env.GRANTS.idFromName("grants-saturation")).putCode(randomHandle(), GRANT);
  else if (kind === "rate") await env.RATE_LIMITER.get(env.RATE_LIMITER.idFromName("token:saturation")).lease("token", RULE, 1, 0);
  else if (kind === "sessions") {
    const request = { clientId: "bench", redirectUri: "https://bench/cb", state: "s", scope: "umcharderwijk~48", zorgaanbieder: "umcharderwijk@medmij", gegevensdienstId: "48", useCase: "verzamelen" as const, gegevensdienstNaam: "BgZ", clientOrganisatienaam: "Bench", tokenEndpoint: "https://bench/oauth/token", issuer: "https://bench" };
    await env.SESSIONS.get(env.SESSIONS.idFromName("sessions-saturation")).create(randomHandle(), request, randomHandle(), {});
  } else if (kind === "fhir") await env.FHIR.get(env.FHIR.idFromName("umcharderwijk@medmij")).search({ person: "999990019", types: ["Observation"], restrict: {} }, parseSearch("Observation", new URLSearchParams()));
  else return new Response("unknown object", { status: 404 });
  return ok();
}

export default {
  async fetch(request: Request, env: Env): Promise<Response> {
    const [, area, arg] = new URL(request.url).pathname.split("/");
    if (area === "floor") return floor(env, arg ?? "hello", request);
    if (area === "token") return tokenPath(env, Number(arg), request);
    if (area === "resource") return resourcePath(env, Number(arg), request);
    if (area === "object") return object(env, arg ?? "");
    if (area === "steps") return Response.json({ token: TOKEN_STEPS, resource: RESOURCE_STEPS });
    return new Response("not found", { status: 404 });
  },
} satisfies ExportedHandler<Env>;
