/**
 * DVP Server: the backend of a personal health environment (PGO), MedMij's OAuth client
 * (SPEC §1, G-1, AS-3..AS-18, W-1, LOG-1..LOG-3, P-1..P-4).
 *
 *   GET  /                       the Person's page (login, providers, collections, reports)
 *   GET  /api/zorgaanbieders     provider directory from the Zorgaanbiederslijst (?q= name search)
 *   GET  /api/gegevensdiensten   Gegevensdiensten from the Gegevensdienstnamenlijst (?q=)
 *   POST /verzamelen, /delen     start a run: a hand-off page (or JSON) to the provider's authorization endpoint
 *   GET  /oauth/callback         the provider's answer: state check, token, FHIR, audit
 *   GET  /gegevens, /collections/:id[/binary/:bid]   the Person's health data per zib, a collection, a document
 *   GET|POST /metingen, /documenten   the Person's own measurements and documents, to share (Delen)
 *   GET  /api/collections[/:id], DELETE /api/collections/:id, POST /collections/:id/delete
 *   GET  /api/gegevens[?gegevensdienst=]   FHIR Bundles of what was collected; /api/metingen, /api/documenten
 *   GET  /api/log                the Person's own audit log (LOG-1)
 *   GET  /api/portabiliteitsrapport?van=&tot=   (P-1..P-4)
 *   GET|POST /account/end        ending the service, with the report offered first; the account goes too (P-2)
 *
 * The Person's login is the PGO's own (X-9, workers/dvp/login/): passkeys (/passkey/*, /account/passkeys),
 * the PGO's OpenID Connect provider (/login/oidc), or in development the fixed test Persons (POST /login).
 */
import { Hono } from "hono";
import { gegevensdienstSpec } from "../shared/catalogue.ts";
import { base64url, randomHandle, sha256 } from "../shared/crypto.ts";
import { errorPage } from "../shared/html/page.ts";
import { refreshAll, type RefreshTarget } from "../shared/lists/refresh.ts";
import { listIndex } from "../shared/lists/store.ts";
import { isPort443Https } from "../shared/lists/zorgaanbiederslijst.ts";
import { log } from "../shared/log.ts";
import { redirectTo, withQuery } from "../shared/oauth/errors.ts";
import { formatScope } from "../shared/scope.ts";
import type { Env } from "./env.ts";
import { endAccount, personOf } from "./accounts.ts";
import { audit, auditOf } from "./audit.ts";
import { csrfOk, readForm, type Ctx, type DvpApp } from "./http.ts";
import { loginConfig, misconfiguredPage } from "./login/config.ts";
import { oidcLoginRoutes } from "./login/oidc.ts";
import { loginPage, PASSKEY_SCRIPT_PATH } from "./login/pages.ts";
import { CEREMONY_STARTS, loginStartLimit } from "./login/rate-limit.ts";
import { welcome } from "./login/welcome.ts";
import { parseMeasurement } from "./measurement.ts";
import { dashboard, endPage, handoffPage, type OfferingView } from "./pages.ts";
import { parseChoice } from "./collect/plan.ts";
import { pgoDataRoutes, shareChoice } from "./data-routes.ts";
import { offerings } from "./offerings.ts";
import { personStore } from "./stores.ts";
import { passkeyAccountRoutes, passkeyLoginRoutes } from "./passkeys/routes.ts";
import { passkeyScript } from "./passkeys/script.ts";
import { personById } from "./persons.ts";
import { reportXml, validateReport } from "./portabiliteitsrapport.ts";
import { redirectUriOf, run, type FlowPayload } from "./run.ts";
import { csrfFor, currentSession, endSessionsOf, logout, startFlow, takeFlow } from "./session.ts";
import type { WorkerHandler } from "../shared/ports.ts";

export { AuditLog } from "../../durable-objects/audit-log.ts";
export { DvpSessions } from "../../durable-objects/dvp-sessions.ts";
export { LoginCeremonies } from "../../durable-objects/login-ceremonies.ts";
export { PersonStore } from "../../durable-objects/person-store.ts";
export { PgoAccounts } from "../../durable-objects/pgo-accounts.ts";
export { RateLimiter } from "../../durable-objects/rate-limiter.ts";
export type { Env } from "./env.ts";

/** L-3/L-4: the lists a DVP needs, refreshed by the cron trigger. */
export const DVP_LISTS: readonly RefreshTarget[] = [
  { kind: "Zorgaanbiederslijst", release: "2" },
  { kind: "Whitelist", release: "2" },
  { kind: "Gegevensdienstnamenlijst", release: "1" },
];

const persons = personStore;

const app = new Hono<DvpApp>();

// X-9: the login configuration is checked before anything else, on every request (the verdict is computed
// and, when it refuses, logged once per isolate). A refused configuration answers every request with a page.
app.use("*", async (c, next) => {
  const config = await loginConfig(c.env);
  if (!config.ok) return misconfiguredPage();
  c.set("login", config.value);
  await next();
});

// --- login (the PGO's own; outside MedMij) ---------------------------------------------------------

app.get(PASSKEY_SCRIPT_PATH, () => passkeyScript());

// Development and the local network only: the configuration refuses test Persons in staging and production.
app.post("/login", async (c) => {
  if (!c.get("login").methods.has("test-persons")) return errorPage(404, "Niet gevonden", "Deze pagina bestaat niet.");
  const form = await readForm(c);
  if (form instanceof Response) return form;
  const person = personById(form.get("person") ?? "");
  if (!person) return errorPage(400, "Inloggen mislukt", "Onbekende persoon.");
  const headers = new Headers({ location: "/", "cache-control": "no-store" });
  for (const cookie of await welcome(c.env, person.id)) headers.append("set-cookie", cookie);
  return new Response(null, { status: 303, headers });
});

for (const start of CEREMONY_STARTS) app.use(start.path, loginStartLimit(start.json));
passkeyLoginRoutes(app);
oidcLoginRoutes(app);

// Everything below needs a Person session, bound to a Person who may still log in here (X-9).
app.use("*", async (c, next) => {
  const session = await currentSession(c.env, c.req.raw);
  const person = session ? await personOf(c.env, c.get("login"), session.personId) : undefined;
  if (!session || !person) {
    if (c.req.method === "GET" && new URL(c.req.url).pathname === "/") return loginPage(c.env.DVP_NAME, c.get("login"));
    if (new URL(c.req.url).pathname.startsWith("/api/")) return c.json({ error: "login required" }, 401);
    return errorPage(401, "Niet ingelogd", "Log eerst in bij uw persoonlijke gezondheidsomgeving.");
  }
  c.set("session", session);
  c.set("person", person);
  await next();
});

app.get("/", async (c) => {
  const s = c.get("session");
  const query = c.req.query("q") ?? "";
  return dashboard(c.env.DVP_NAME, c.get("person"), await csrfFor(s), query, await offerings(c.env, query), await persons(c.env, s.personId).list());
});

passkeyAccountRoutes(app);

app.post("/logout", async (c) => {
  const form = await readForm(c);
  if (form instanceof Response) return form;
  if (!(await csrfOk(c, form))) return errorPage(403, "Ongeldig formulier", "Dit formulier hoort niet bij uw sessie.");
  return new Response(null, { status: 303, headers: { location: "/", "set-cookie": await logout(c.get("session")), "cache-control": "no-store" } });
});

// --- directory (G-1) -------------------------------------------------------------------------------

app.get("/api/zorgaanbieders", async (c) => {
  const list = await offerings(c.env, c.req.query("q") ?? "");
  const grouped = new Map<string, OfferingView[]>();
  for (const o of list) grouped.set(o.zorgaanbieder, [...(grouped.get(o.zorgaanbieder) ?? []), o]);
  return c.json(
    [...grouped].map(([naam, os]) => ({ zorgaanbiedernaam: naam, gegevensdiensten: os.map((o) => ({ id: o.gegevensdienstId, weergavenaam: o.naam, useCase: o.useCase })) })),
    200,
    { "cache-control": "no-store" },
  );
});

app.get("/api/gegevensdiensten", async (c) => {
  const gnl = await listIndex(c.env.LISTS, "Gegevensdienstnamenlijst");
  const found = gnl ? gnl.search(c.req.query("q") ?? "") : [];
  return c.json(found.map((g) => ({ ...g, useCase: gegevensdienstSpec(g.id)?.useCase ?? null })), 200, { "cache-control": "no-store" });
});

// --- starting a run (AS-15) ------------------------------------------------------------------------

async function start(c: Ctx, useCase: "verzamelen" | "delen"): Promise<Response> {
  const form = await readForm(c);
  if (form instanceof Response) return form;
  if (!(await csrfOk(c, form))) return errorPage(403, "Ongeldig formulier", "Dit formulier hoort niet bij uw sessie.");
  const naam = form.get("zorgaanbieder") ?? "";
  const gd = form.get("gegevensdienst") ?? "";
  const offering = (await listIndex(c.env.LISTS, "Zorgaanbiederslijst"))?.offering(naam, gd);
  if (!offering || gegevensdienstSpec(gd)?.useCase !== useCase) return errorPage(400, "Niet beschikbaar", "Deze zorgaanbieder biedt deze gegevensdienst niet (meer) aan.");
  const authorizeUri = offering.gegevensdienst.authorizationEndpoint;
  // L-8: every https connection uses port 443, the front channel too.
  if (!isPort443Https(authorizeUri)) return errorPage(502, "Niet beschikbaar", "De zorgaanbieder gebruikt een ongeldig adres.");
  const s = c.get("session");
  let payload: FlowPayload;
  if (useCase === "verzamelen") payload = { choice: parseChoice(form) };
  else {
    const chosen = await shareChoice(c, persons(c.env, s.personId), gd, form);
    if (chosen instanceof Response) return chosen;
    payload = chosen;
  }
  // X-1: PKCE S256 on every flow (RFC 9700 §2.1.1); an AS without PKCE ignores the parameters (RFC 6749 §3.1).
  const codeVerifier = randomHandle();
  const issuer = new URL(authorizeUri).origin;
  const state = await startFlow(s, { personId: s.personId, zorgaanbieder: naam, gegevensdienstId: gd, useCase, payload, startedAt: Date.now(), issuer, codeVerifier });
  const location = withQuery(authorizeUri, {
    response_type: "code",
    client_id: c.env.DVP_HOSTNAME,
    redirect_uri: redirectUriOf(c.env),
    scope: formatScope(naam, gd),
    state,
    code_challenge: base64url(await sha256(codeVerifier)),
    code_challenge_method: "S256",
  });
  // An app backend asks for JSON and sends the Person's browser there itself; a browser gets the hand-off page.
  if ((c.req.header("accept") ?? "").includes("application/json")) return c.json({ authorizeUrl: location }, 200, { "cache-control": "no-store" });
  return handoffPage(c.env.DVP_NAME, naam, location);
}

app.post("/verzamelen", (c) => start(c, "verzamelen"));
app.post("/delen", (c) => start(c, "delen"));

// --- the callback ----------------------------------------------------------------------------------

app.get("/oauth/callback", async (c) => {
  const s = c.get("session");
  const q = new URL(c.req.url).searchParams;
  const state = q.get("state");
  if (!state || q.getAll("state").length !== 1) return errorPage(400, "Ongeldig antwoord", "Het antwoord van de zorgaanbieder mist een geldige state.");
  const taken = await takeFlow(s, state);
  if (!taken.ok) {
    log("warn", "callback.refused", { reason: taken.refusal });
    return errorPage(400, "Ongeldig antwoord", "Dit antwoord hoort niet bij een lopende aanvraag van u, of is al gebruikt.");
  }
  const flow = taken.flow;
  const person = persons(c.env, s.personId);
  // X-2 (RFC 9207 §2.4): an `iss` that is not the AS this flow went to means a mix-up: nothing is redeemed.
  const iss = q.getAll("iss");
  if (iss.length > 1 || (iss.length === 1 && iss[0] !== flow.issuer)) {
    log("warn", "callback.refused", { reason: "iss is not the authorization server of this flow", zorgaanbieder: flow.zorgaanbieder });
    await person.add({ zorgaanbieder: flow.zorgaanbieder, gegevensdienstId: flow.gegevensdienstId, useCase: flow.useCase, outcome: "failed", requests: [], resources: [] });
    await audit(c.env, { person: s.personId, action: flow.useCase, zorgaanbieder: flow.zorgaanbieder, gegevensdienstId: flow.gegevensdienstId, requestIds: [], outcome: "failed: authorization response from another issuer" });
    return errorPage(400, "Ongeldig antwoord", "Het antwoord komt niet van de zorgaanbieder waar u naartoe werd gestuurd. Er zijn geen gegevens uitgewisseld.");
  }
  const error = q.get("error");
  const code = q.get("code");
  if (error !== null || !code) {
    const outcome = error === "access_denied" ? "denied" : "failed";
    await person.add({ zorgaanbieder: flow.zorgaanbieder, gegevensdienstId: flow.gegevensdienstId, useCase: flow.useCase, outcome, requests: [], resources: [] });
    await audit(c.env, { person: s.personId, action: flow.useCase, zorgaanbieder: flow.zorgaanbieder, gegevensdienstId: flow.gegevensdienstId, requestIds: [], outcome: error ?? "no code" });
    const message = error === "access_denied" ? "U hebt geen toestemming gegeven. Er zijn geen gegevens uitgewisseld." : "De zorgaanbieder kon de aanvraag niet afhandelen.";
    return errorPage(error === "access_denied" ? 200 : 502, error === "access_denied" ? "Geen toestemming" : "Aanvraag mislukt", message);
  }
  const result = await run(c.env, flow, code, c.get("person"), {
    measurements: (f) => person.measurements(f),
    documents: (ids) => person.documents(ids),
    documentContent: (id) => person.documentContent(id),
  });
  const id = await person.add({
    zorgaanbieder: flow.zorgaanbieder,
    gegevensdienstId: flow.gegevensdienstId,
    useCase: flow.useCase,
    outcome: result.outcome,
    requests: result.requests,
    resources: result.resources,
    origins: result.origins,
  });
  if (result.shared) await person.markShared(result.shared.kind, result.shared.ids, new Date().toISOString());
  await audit(c.env, {
    person: s.personId,
    action: flow.useCase,
    zorgaanbieder: flow.zorgaanbieder,
    gegevensdienstId: flow.gegevensdienstId,
    requestIds: result.requestIds,
    outcome: result.outcome === "completed" ? "completed" : `failed: ${result.reason ?? ""}`,
  });
  if (result.outcome !== "completed") return errorPage(502, "Aanvraag mislukt", "Het uitwisselen van gegevens met de zorgaanbieder is niet gelukt.");
  return redirectTo(`/collections/${id}`);
});

// --- the Person's data -----------------------------------------------------------------------------

app.get("/api/collections", async (c) => c.json(await persons(c.env, c.get("session").personId).list(), 200, { "cache-control": "no-store" }));

app.get("/api/collections/:id", async (c) => {
  const d = await persons(c.env, c.get("session").personId).get(c.req.param("id"));
  return d ? c.json(d, 200, { "cache-control": "no-store" }) : c.json({ error: "not found" }, 404);
});

pgoDataRoutes(app);

async function deleteCollection(c: Ctx, id: string): Promise<boolean> {
  const s = c.get("session");
  const d = await persons(c.env, s.personId).get(id);
  const deleted = await persons(c.env, s.personId).delete(id);
  if (deleted && d) {
    await audit(c.env, { person: s.personId, action: "verwijderen", zorgaanbieder: d.zorgaanbieder, gegevensdienstId: d.gegevensdienstId, requestIds: [], outcome: "ok" });
  }
  return deleted;
}

app.delete("/api/collections/:id", async (c) => {
  if (!(await csrfOk(c))) return c.json({ error: "csrf token required" }, 403);
  return (await deleteCollection(c, c.req.param("id"))) ? new Response(null, { status: 204 }) : c.json({ error: "not found" }, 404);
});

app.post("/collections/:id/delete", async (c) => {
  const form = await readForm(c);
  if (form instanceof Response) return form;
  if (!(await csrfOk(c, form))) return errorPage(403, "Ongeldig formulier", "Dit formulier hoort niet bij uw sessie.");
  await deleteCollection(c, c.req.param("id"));
  return new Response(null, { status: 303, headers: { location: "/", "cache-control": "no-store" } });
});

// --- LOG-1: the Person's own log --------------------------------------------------------------------

app.get("/api/log", async (c) => {
  const s = c.get("session");
  const entries = await auditOf(c.env, s.personId).entries();
  await audit(c.env, { person: s.personId, action: "logexport", zorgaanbieder: null, gegevensdienstId: null, requestIds: [], outcome: "ok" });
  return c.json({ person: s.personId, entries }, 200, { "cache-control": "no-store", "content-disposition": 'attachment; filename="logboek.json"' });
});

// --- P-1..P-4 --------------------------------------------------------------------------------------

function day(value: string | undefined, endOfDay: boolean): Date | undefined {
  if (!value || !/^\d{4}-\d{2}-\d{2}$/.test(value)) return undefined;
  const d = new Date(`${value}T00:00:00Z`);
  if (Number.isNaN(d.getTime())) return undefined;
  return endOfDay ? new Date(d.getTime() + 86_400_000) : d;
}

app.get("/api/portabiliteitsrapport", async (c) => {
  const s = c.get("session");
  const van = day(c.req.query("van"), false);
  const tot = day(c.req.query("tot"), true);
  if (!van || !tot || tot <= van) return c.json({ error: "van and tot must be dates (YYYY-MM-DD), van not after tot" }, 400);
  const collections = await persons(c.env, s.personId).forReport(van.toISOString(), tot.toISOString());
  const xml = reportXml({ deelnemer: s.personId, van, tot: new Date(tot.getTime() - 1), now: new Date(), collections });
  const valid = validateReport(xml);
  if (!valid.ok) {
    log("error", "portabiliteitsrapport.invalid", { reason: valid.reason });
    return c.json({ error: "the report could not be produced" }, 500);
  }
  await audit(c.env, { person: s.personId, action: "portabiliteitsrapport", zorgaanbieder: null, gegevensdienstId: null, requestIds: [], outcome: "ok" });
  return new Response(xml, {
    headers: {
      "content-type": "application/xml; charset=utf-8",
      "content-disposition": 'attachment; filename="portabiliteitsrapport.xml"',
      "cache-control": "no-store",
      "x-content-type-options": "nosniff",
    },
  });
});

app.get("/account/end", async (c) => endPage(c.env.DVP_NAME, await csrfFor(c.get("session")), c.get("person").kind === "account"));

app.post("/account/end", async (c) => {
  const form = await readForm(c);
  if (form instanceof Response) return form;
  if (!(await csrfOk(c, form))) return errorPage(403, "Ongeldig formulier", "Dit formulier hoort niet bij uw sessie.");
  const s = c.get("session");
  await persons(c.env, s.personId).erase();
  // The log itself is kept for its retention period (LOG-2), even after the service ends.
  await audit(c.env, { person: s.personId, action: "beeindigen", zorgaanbieder: null, gegevensdienstId: null, requestIds: [], outcome: "ok" });
  // X-9: the account and its passkeys go, and with them every session of this Person (this one last).
  if (c.get("person").kind === "account") await endAccount(c.env, s.personId);
  await endSessionsOf(c.env, s.personId);
  return new Response(null, { status: 303, headers: { location: "/", "set-cookie": await logout(s), "cache-control": "no-store" } });
});

app.notFound(() => errorPage(404, "Niet gevonden", "Deze pagina bestaat niet."));
app.onError((err) => {
  log("error", "dvp.error", { name: err.name, message: err.message });
  return errorPage(500, "Er ging iets mis", "Probeer het later opnieuw.");
});

/** X-9: the start-up check (Deno's serve.ts): false, after one error log line, when logins are misconfigured. */
export async function loginReady(env: Env): Promise<boolean> {
  return (await loginConfig(env)).ok;
}

export async function refreshDvpLists(env: Env, fetcher: (r: Request) => Promise<Response> = (r) => fetch(r)): Promise<void> {
  await refreshAll(DVP_LISTS, { kv: env.LISTS, registratieUrl: env.REGISTRATIE_URL, fetch: fetcher });
}

export default {
  fetch: app.fetch,
  async scheduled(_controller, env, ctx) {
    ctx.waitUntil(refreshDvpLists(env));
  },
} satisfies WorkerHandler<Env>;
