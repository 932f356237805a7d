/**
 * DVZA: the Authorization Server and Resource Server of one or more Zorgaanbieders (SPEC §3-§7),
 * multi-tenant by hostname (tenants.ts).
 *
 * Request order, visible here on purpose (W-3):
 *   front channel (Person's browser): /oauth/authorize, /oauth/authn/return, /oauth/consent;
 *                                     /saml/metadata (public, for DigiD onboarding)
 *   back channel (DVP Server): whitelist gate -> /oauth/token | resource endpoints
 *   the provider's own system, on OPERATOR_HOSTNAME only: the operator FHIR interface feeding store mode
 */
import { Hono } from "hono";
import { refreshAll, type RefreshTarget } from "../shared/lists/refresh.ts";
import { readStored } from "../shared/lists/store.ts";
import { timingSafeEqualString } from "../shared/crypto.ts";
import { counters, setCounting } from "../shared/durable/hops.ts";
import { log } from "../shared/log.ts";
import { authnReturn } from "./authn-return.ts";
import { authorizeEndpoint } from "./authorize.ts";
import { whitelistGate, type BackchannelVariables } from "./backchannel.ts";
import { consentDecision, consentForm } from "./consent.ts";
import type { Env } from "./env.ts";
import { isOperatorHost, operatorEndpoint } from "./operator.ts";
import { resourceEndpoint } from "./resource.ts";
import { samlMetadata } from "./saml-metadata.ts";
import { ownHostnames, recordLapsed } from "./tenants.ts";
import { tokenEndpoint } from "./token.ts";
import type { WorkerHandler } from "../shared/ports.ts";

export { AuthorizationSessions } from "../../durable-objects/authorization-sessions.ts";
export { FhirStore } from "../../durable-objects/fhir-store.ts";
export { GrantStore } from "../../durable-objects/grant-store.ts";
export { RateLimiter } from "../../durable-objects/rate-limiter.ts";
export type { Env } from "./env.ts";

/** The lists a DVZA needs: its own tenancy, the Whitelist (W-1), clients with recognitions (AS-13), names (AS-1). */
export const DVZA_LISTS: readonly RefreshTarget[] = [
  { kind: "Zorgaanbiederslijst", release: "2" },
  { kind: "Whitelist", release: "2" },
  { kind: "OAuthclientlist", release: "3" },
  { kind: "Gegevensdienstnamenlijst", release: "1" },
];

/** Front-channel paths and their methods: these, and only these, skip the whitelist gate. */
const FRONT_CHANNEL: ReadonlyMap<string, readonly string[]> = new Map([
  ["/oauth/authorize", ["GET", "HEAD"]],
  ["/oauth/authn/return", ["GET", "HEAD"]],
  ["/oauth/consent", ["GET", "HEAD", "POST"]],
  ["/saml/metadata", ["GET", "HEAD"]],
]);

const app = new Hono<{ Bindings: Env; Variables: BackchannelVariables }>();

const METRICS_PATH = "/.well-known/medmij-edge/metrics";

// Benchmarks: Durable Object round trips per request, counted only when METRICS_TOKEN is configured.
app.use("*", async (c, next) => {
  const token = c.env.METRICS_TOKEN;
  if (!token) return next();
  setCounting(true);
  if (new URL(c.req.url).pathname !== METRICS_PATH) {
    counters.requests++;
    return next();
  }
  const presented = /^Bearer (.+)$/.exec(c.req.header("authorization") ?? "")?.[1] ?? "";
  if (!(await timingSafeEqualString(presented, token))) return new Response(null, { status: 401 });
  return Response.json({ ...counters }, { headers: { "cache-control": "no-store" } });
});

// the operator interface lives on a hostname of its own, before and apart from everything MedMij.
app.use("*", async (c, next) => {
  const url = new URL(c.req.url);
  if (!isOperatorHost(c.env, url)) return next();
  if (ownHostnames(c.env).has(url.hostname)) {
    log("error", "operator.config", { reason: "OPERATOR_HOSTNAME is one of DVZA_HOSTNAMES: it must be a hostname of its own" });
    return new Response(null, { status: 503 });
  }
  return operatorEndpoint(c);
});

// A deployment answers only for its own hostnames; anything else was routed here by mistake.
app.use("*", async (c, next) => {
  if (!ownHostnames(c.env).has(new URL(c.req.url).hostname)) return new Response(null, { status: 421 });
  await next();
});

// W-1..W-3: every request that is not front channel passes the whitelist gate before anything else.
app.use("*", async (c, next) => {
  const methods = FRONT_CHANNEL.get(new URL(c.req.url).pathname);
  if (!methods) return whitelistGate(c, next);
  if (!methods.includes(c.req.method)) return new Response(null, { status: 405, headers: { allow: methods.join(", ") } });
  await next();
});

app.get("/oauth/authorize", authorizeEndpoint);
app.get("/oauth/authn/return", authnReturn);
app.get("/oauth/consent", consentForm);
app.post("/oauth/consent", consentDecision);
app.get("/saml/metadata", samlMetadata);
app.post("/oauth/token", tokenEndpoint);
app.all("/oauth/token", () => new Response(null, { status: 405, headers: { allow: "POST" } }));
app.all("*", resourceEndpoint);

app.onError((err) => {
  log("error", "dvza.error", { name: err.name, message: err.message });
  return new Response("Internal Server Error\n", { status: 500, headers: { "content-type": "text/plain; charset=utf-8", "cache-control": "no-store" } });
});

export async function refreshDvzaLists(env: Env, fetcher: (r: Request) => Promise<Response> = (r) => fetch(r)): Promise<void> {
  const zalBefore = await readStored(env.LISTS, "Zorgaanbiederslijst");
  const outcomes = await refreshAll(DVZA_LISTS, { kv: env.LISTS, registratieUrl: env.REGISTRATIE_URL, fetch: fetcher });
  if (outcomes.some((o) => o.kind === "Zorgaanbiederslijst" && o.result === "updated")) {
    const zalAfter = await readStored(env.LISTS, "Zorgaanbiederslijst");
    if (zalAfter) await recordLapsed(env, zalBefore?.list, zalAfter.list);
  }
}

export default {
  fetch: app.fetch,
  async scheduled(_controller, env, ctx) {
    ctx.waitUntil(refreshDvzaLists(env));
  },
} satisfies WorkerHandler<Env>;

