/**
 * Passkey endpoints (SPEC X-9). Before login: create an account with a passkey, log in with one. Logged in:
 * add a passkey, see them, remove one (never the last way in). Each ceremony is two JSON calls from the PGO's
 * own script: options (a challenge, stored single-use and bound to this browser) and the answer (verified
 * against that challenge, this RP ID and these origins, user verification required).
 *
 * A refusal is a warn line `passkey.refused` with the step and a reason from a fixed vocabulary, and the same
 * plain answer for the Person whatever went wrong.
 */
import type { Hono } from "hono";
import type { CeremonyPurpose } from "../../../durable-objects/login-ceremonies.ts";
import { errorPage } from "../../shared/html/page.ts";
import { log } from "../../shared/log.ts";
import { accountOf, newAccountId } from "../accounts.ts";
import { csrfOk, jsonAnswer, readForm, readJson, type Ctx, type DvpApp } from "../http.ts";
import { browserBinding, startCeremony, takeCeremony } from "../login/ceremony.ts";
import { passkeysPage } from "../login/pages.ts";
import { welcome } from "../login/welcome.ts";
import { csrfFor } from "../session.ts";
import { assertionSubject, checkAssertion, checkRegistration, claimedChallenge, creationOptions, requestOptions, type RelyingParty } from "./webauthn.ts";

const REFUSED = "Dat is niet gelukt. Probeer het opnieuw.";

function refuse(step: string, reason: string): Response {
  log("warn", "passkey.refused", { step, reason });
  return jsonAnswer({ error: REFUSED }, 400);
}

const notOffered = (): Response => jsonAnswer({ error: "Passkeys worden hier niet gebruikt." }, 404);

/** A name to address the Person by: 1..80 printable characters. */
function displayName(value: unknown): string | undefined {
  if (typeof value !== "string") return undefined;
  const naam = value.normalize("NFC").trim().replace(/\s+/g, " ");
  return naam.length >= 1 && naam.length <= 80 && !/[\p{Cc}\p{Cf}]/u.test(naam) ? naam : undefined;
}

async function finished(c: Ctx, personId: string): Promise<Response> {
  return jsonAnswer({ redirect: "/" }, 200, { "set-cookie": await welcome(c.env, personId) });
}

/** The relying party and the JSON body, or the answer that ends the request. */
async function passkeyRequest(c: Ctx): Promise<{ rp: RelyingParty; body: Record<string, unknown> } | Response> {
  const rp = c.get("login").passkey;
  if (!rp) return notOffered();
  const body = await readJson(c);
  return body instanceof Response ? body : { rp, body };
}

/** Options whose challenge is stored single-use, bound to `bindingHash` (a browser or a Person session). */
async function offer(c: Ctx, bindingHash: string, purpose: CeremonyPurpose, options: { challenge: string }, data: Record<string, string>, setCookie?: string): Promise<Response> {
  if (!(await startCeremony(c.env, bindingHash, options.challenge, purpose, { ...data, challenge: options.challenge }))) return jsonAnswer({ error: REFUSED }, 500);
  return jsonAnswer({ options }, 200, setCookie ? { "set-cookie": setCookie } : {});
}

/** The ceremony the answer names, taken once (whatever follows, this answer is never accepted again), or the refusal. */
async function answered(c: Ctx, bindingHash: string | undefined, credential: unknown, purpose: CeremonyPurpose, step: string): Promise<Record<string, string> | Response> {
  if (!bindingHash) return refuse(step, "no ceremony cookie");
  const challenge = claimedChallenge(credential);
  if (!challenge) return refuse(step, "a malformed response");
  const taken = await takeCeremony(c.env, bindingHash, challenge, purpose);
  return taken.ok ? taken.data : refuse(step, `challenge ${taken.refusal}`);
}

/** Before login. */
export function passkeyLoginRoutes(app: Hono<DvpApp>): void {
  app.post("/passkey/register/options", async (c) => {
    const req = await passkeyRequest(c);
    if (req instanceof Response) return req;
    const naam = displayName(req.body.naam);
    if (!naam) return jsonAnswer({ error: "Vul in hoe we u mogen noemen (hoogstens 80 tekens)." }, 400);
    const binding = await browserBinding(c.req.raw, true);
    const accountId = newAccountId();
    return offer(c, binding.hash, "passkey-register", await creationOptions(req.rp, { accountId, naam }), { accountId, naam }, binding.setCookie);
  });

  app.post("/passkey/register", async (c) => {
    const req = await passkeyRequest(c);
    if (req instanceof Response) return req;
    const data = await answered(c, (await browserBinding(c.req.raw, false))?.hash, req.body.credential, "passkey-register", "register");
    if (data instanceof Response) return data;
    const { accountId, naam, challenge } = data as { accountId: string; naam: string; challenge: string };
    const checked = await checkRegistration(req.rp, req.body.credential, challenge);
    if (!checked.ok) return refuse("register", checked.reason);
    if (!(await accountOf(c.env, accountId).create({ accountId, naam, passkey: checked.value }))) return refuse("register", "the account exists");
    log("info", "account.created", { method: "passkey" });
    return finished(c, accountId);
  });

  app.post("/passkey/login/options", async (c) => {
    const req = await passkeyRequest(c);
    if (req instanceof Response) return req;
    const binding = await browserBinding(c.req.raw, true);
    return offer(c, binding.hash, "passkey-login", await requestOptions(req.rp), {}, binding.setCookie);
  });

  app.post("/passkey/login", async (c) => {
    const req = await passkeyRequest(c);
    if (req instanceof Response) return req;
    const data = await answered(c, (await browserBinding(c.req.raw, false))?.hash, req.body.credential, "passkey-login", "login");
    if (data instanceof Response) return data;
    const subject = assertionSubject(req.body.credential);
    if (!subject) return refuse("login", "a malformed response");
    const account = accountOf(c.env, subject.userHandle);
    const stored = await account.passkey(subject.credentialId);
    if (!stored) return refuse("login", "a passkey this account does not have");
    const checked = await checkAssertion(req.rp, req.body.credential, data.challenge!, stored);
    if (!checked.ok) return refuse("login", checked.reason);
    // Only over the counter it was verified against: a racing or cloned use of the same counter loses.
    if (!(await account.recordUse(stored.credentialId, stored.counter, checked.value.counter))) return refuse("login", "the signature counter did not increase: a cloned authenticator");
    return finished(c, subject.userHandle);
  });
}

/** Logged in, accounts only (test Persons have no passkeys). */
export function passkeyAccountRoutes(app: Hono<DvpApp>): void {
  for (const path of ["/account/passkeys", "/account/passkeys/*"]) app.use(path, async (c, next) => (c.get("person").kind === "account" ? next() : errorPage(404, "Niet gevonden", "Deze pagina bestaat niet.")));
  app.use("/passkey/add/*", async (c, next) => (c.get("person").kind === "account" && c.get("login").passkey ? next() : notOffered()));
  app.use("/passkey/add", async (c, next) => (c.get("person").kind === "account" && c.get("login").passkey ? next() : notOffered()));

  const page = async (c: Ctx, status = 200, notice?: string): Promise<Response> => {
    const account = accountOf(c.env, c.get("person").id);
    const [passkeys, profile] = await Promise.all([account.passkeys(), account.profile()]);
    const res = passkeysPage(c.env.DVP_NAME, c.get("person"), await csrfFor(c.get("session")), passkeys, Boolean(profile?.oidcSubject), notice);
    return status === 200 ? res : new Response(res.body, { status, headers: res.headers });
  };

  app.get("/account/passkeys", (c) => page(c));

  app.post("/account/passkeys/verwijderen", async (c) => {
    const form = await readForm(c);
    if (form instanceof Response) return form;
    if (!(await csrfOk(c, form))) return errorPage(403, "Ongeldig formulier", "Dit formulier hoort niet bij uw sessie.");
    const removed = await accountOf(c.env, c.get("person").id).removePasskey(form.get("passkey") ?? "");
    if (removed === "last") return page(c, 409, "Dit is de enige manier om in te loggen bij uw account: voeg eerst een andere passkey toe.");
    return new Response(null, { status: 303, headers: { location: "/account/passkeys", "cache-control": "no-store" } });
  });

  app.post("/passkey/add/options", async (c) => {
    if (!(await csrfOk(c))) return jsonAnswer({ error: "Dit verzoek hoort niet bij uw sessie." }, 403);
    const req = await passkeyRequest(c);
    if (req instanceof Response) return req;
    const person = c.get("person");
    const existing = await accountOf(c.env, person.id).passkeys();
    // Bound to the Person session itself: only this session can finish it.
    return offer(c, c.get("session").idHash, "passkey-add", await creationOptions(req.rp, { accountId: person.id, naam: person.naam || c.env.DVP_NAME }, existing), { accountId: person.id });
  });

  app.post("/passkey/add", async (c) => {
    if (!(await csrfOk(c))) return jsonAnswer({ error: "Dit verzoek hoort niet bij uw sessie." }, 403);
    const req = await passkeyRequest(c);
    if (req instanceof Response) return req;
    const data = await answered(c, c.get("session").idHash, req.body.credential, "passkey-add", "add");
    if (data instanceof Response) return data;
    if (data.accountId !== c.get("person").id) return refuse("add", "a ceremony of another account");
    const checked = await checkRegistration(req.rp, req.body.credential, data.challenge!);
    if (!checked.ok) return refuse("add", checked.reason);
    const added = await accountOf(c.env, c.get("person").id).addPasskey(checked.value);
    if (added === "limit") return jsonAnswer({ error: "U hebt het hoogste aantal passkeys al." }, 409);
    if (added !== "added") return refuse("add", `the passkey was not added (${added})`);
    return jsonAnswer({ redirect: "/account/passkeys" });
  });
}
