/**
 * SPEC X-9: passkeys at the DVP, in workerd, against answers forged per the WebAuthn specification with Web
 * Crypto (test/helpers/webauthn.ts): the real worker, its real Durable Objects. What must be refused is: an
 * assertion for another origin or RP ID, a replayed or foreign or expired challenge, a signature by another
 * key, a counter lower than (or equal to) the stored one, a missing user verification flag; and what must hold:
 * challenges single-use and bound to the browser, the counter stored, the account found by its passkey only.
 * The same ceremonies through Chromium's own authenticator: test/browser/pgo-accounts.test.ts.
 */
import { env } from "cloudflare:test";
import { afterEach, beforeEach, describe, expect, it, vi } from "vitest";
import worker from "../../workers/dvp/index.ts";
import { base64url } from "../../workers/shared/base64.ts";
import type { Env } from "../../workers/dvp/env.ts";
import { storeLists } from "../helpers/network.ts";
import { euOnly } from "../helpers/residency.ts";
import { FLAG, handleBytes, newEcKey, SoftAuthenticator } from "../helpers/webauthn.ts";

const base = env as unknown as Env;
const HOST = base.DVP_HOSTNAME;
const ORIGIN = `https://${HOST}`;
const ctx = { waitUntil() {}, passThroughOnException() {}, props: {} } as unknown as ExecutionContext;

let warned: Record<string, unknown>[] = [];
beforeEach(async () => {
  warned = [];
  vi.spyOn(console, "warn").mockImplementation((line: unknown) => void warned.push(JSON.parse(String(line)) as Record<string, unknown>));
  await storeLists(base.LISTS);
});
afterEach(() => {
  vi.useRealTimers();
  vi.restoreAllMocks();
});

let browsers = 0;

/** A browser at the PGO: a cookie jar for its host, requests straight into the worker, from an address of its own. */
class Pgo {
  private readonly jar = new Map<string, string>();
  /** What the edge sets as cf-connecting-ip (S-3: login starts are limited per address). */
  readonly address = `198.51.100.${++browsers % 250}`;
  constructor(readonly env: Env = { ...base, PGO_LOGIN: "passkey" }) {}

  async fetch(path: string, init: RequestInit = {}): Promise<Response> {
    const headers = new Headers(init.headers);
    if (!headers.has("cf-connecting-ip")) headers.set("cf-connecting-ip", this.address);
    if (this.jar.size) headers.set("cookie", [...this.jar].map(([k, v]) => `${k}=${v}`).join("; "));
    const res = await worker.fetch(new Request(`${ORIGIN}${path}`, { ...init, headers, redirect: "manual" }), this.env, ctx);
    for (const line of res.headers.getAll("set-cookie")) {
      const [pair] = line.split(";");
      const [name, value] = [pair!.slice(0, pair!.indexOf("=")), pair!.slice(pair!.indexOf("=") + 1)];
      if (/max-age=0/i.test(line)) this.jar.delete(name);
      else this.jar.set(name, value);
    }
    return res;
  }

  json(path: string, body: unknown, headers: Record<string, string> = {}): Promise<Response> {
    return this.fetch(path, { method: "POST", headers: { "content-type": "application/json", ...headers }, body: JSON.stringify(body) });
  }

  has(cookie: string): boolean {
    return this.jar.has(cookie);
  }

  forget(cookie: string): void {
    this.jar.delete(cookie);
  }

  cookie(name: string): string | undefined {
    return this.jar.get(name);
  }

  restore(name: string, value: string | undefined): void {
    if (value) this.jar.set(name, value);
  }

  async registerOptions(naam = "Sanne Visser") {
    const res = await this.json("/passkey/register/options", { naam });
    expect(res.status).toBe(200);
    return ((await res.json()) as { options: { challenge: string; rp: { id: string; name: string }; user: { id: string; name: string }; authenticatorSelection: Record<string, unknown>; attestation: string; excludeCredentials: { id: string }[] } }).options;
  }

  async loginOptions() {
    const res = await this.json("/passkey/login/options", {});
    expect(res.status).toBe(200);
    return ((await res.json()) as { options: { challenge: string; rpId: string; userVerification: string; allowCredentials?: unknown[] } }).options;
  }

  async heading(): Promise<string | undefined> {
    return /<h1>([^<]*)<\/h1>/.exec(await (await this.fetch("/")).text())?.[1];
  }
}

async function newAccount(naam = "Sanne Visser"): Promise<{ pgo: Pgo; auth: SoftAuthenticator }> {
  const pgo = new Pgo();
  const auth = await SoftAuthenticator.create();
  const res = await pgo.json("/passkey/register", { credential: await auth.attest(await pgo.registerOptions(naam)) });
  expect(res.status).toBe(200);
  expect(await res.json()).toEqual({ redirect: "/" });
  pgo.forget("__Host-pgo-session");
  return { pgo, auth };
}

const refusedFor = (reason: RegExp) => warned.some((l) => l.event === "passkey.refused" && reason.test(String(l.reason)));

async function expectRefused(res: Response, pgo: Pgo, reason: RegExp): Promise<void> {
  expect(res.status).toBe(400);
  expect(await res.json()).toEqual({ error: "Dat is niet gelukt. Probeer het opnieuw." });
  expect(pgo.has("__Host-pgo-session")).toBe(false);
  expect(refusedFor(reason), JSON.stringify(warned)).toBe(true);
}

/** A valid answer works once; replayed from the very browser its challenge was bound to, it is refused. */
async function expectReplayRefused(pgo: Pgo, path: string, credential: Record<string, unknown>): Promise<void> {
  const binding = pgo.cookie("__Host-pgo-login");
  expect((await pgo.json(path, { credential })).status).toBe(200);
  pgo.forget("__Host-pgo-session");
  // A login ends the browser's ceremony binding; the replay puts it back.
  pgo.restore("__Host-pgo-login", binding);
  await expectRefused(await pgo.json(path, { credential }), pgo, /challenge used/);
}

describe("X-9: a Person creates an account with a passkey and logs in with it", () => {
  it("the options ask for user verification and a discoverable credential, for this RP ID, with an opaque user handle", async () => {
    const o = await new Pgo().registerOptions("Sanne Visser");
    expect(o.rp).toEqual({ id: HOST, name: base.DVP_NAME });
    expect(o.authenticatorSelection).toMatchObject({ residentKey: "required", userVerification: "required" });
    expect(o.attestation).toBe("none");
    expect(handleBytes(o.user.id)).toHaveLength(32);
    expect(o.challenge).toMatch(/^[A-Za-z0-9_-]{43}$/);
    const l = await new Pgo().loginOptions();
    expect(l).toMatchObject({ rpId: HOST, userVerification: "required" });
    expect(l.allowCredentials ?? []).toEqual([]);
  });

  it("registers, logs in, and the counter moves on with every use", async () => {
    const { pgo, auth } = await newAccount("Sanne Visser");
    for (const counter of [1, 7]) {
      const res = await pgo.json("/passkey/login", { credential: await auth.assert(await pgo.loginOptions(), { counter }) });
      expect(res.status).toBe(200);
      expect(pgo.has("__Host-pgo-session")).toBe(true);
      expect(await pgo.heading()).toBe("Welkom, Sanne Visser");
      pgo.forget("__Host-pgo-session");
    }
    // Authenticators that keep no counter (0 every time, as synced passkeys do) keep working.
    const { pgo: p2, auth: a2 } = await newAccount("Kees");
    for (let i = 0; i < 2; i++) expect((await p2.json("/passkey/login", { credential: await a2.assert(await p2.loginOptions(), { counter: 0 }) })).status).toBe(200);
  });

  it("the account id is opaque and names the Person everywhere: the log and the Portabiliteitsrapport's Deelnemer", async () => {
    const { pgo, auth } = await newAccount();
    await pgo.json("/passkey/login", { credential: await auth.assert(await pgo.loginOptions()) });
    const log = (await (await pgo.fetch("/api/log")).json()) as { person: string; entries: { action: string }[] };
    expect(log.person).toBe(auth.userHandle);
    expect(log.person).toMatch(/^[A-Za-z0-9_-]{43}$/);
    expect(log.entries.map((e) => e.action)).toEqual(["login", "login"]);
    const report = await (await pgo.fetch("/api/portabiliteitsrapport?van=2000-01-01&tot=2100-01-01")).text();
    expect(report).toContain(`<Deelnemer>${auth.userHandle}</Deelnemer>`);
  });
});

describe("X-9: a login assertion is refused", () => {
  it("for another origin", async () => {
    const { pgo, auth } = await newAccount();
    await expectRefused(await pgo.json("/passkey/login", { credential: await auth.assert(await pgo.loginOptions(), { origin: "https://dvp.gezondheidskluis.example" }) }), pgo, /another origin/);
    // A sibling or the parent is another origin too, and so is plain http for this host.
    await expectRefused(await pgo.json("/passkey/login", { credential: await auth.assert(await pgo.loginOptions(), { origin: `http://${HOST}` }) }), pgo, /another origin/);
  });

  it("for another RP ID (its hash in the authenticator data), the parent domain included", async () => {
    const { pgo, auth } = await newAccount();
    await expectRefused(await pgo.json("/passkey/login", { credential: await auth.assert(await pgo.loginOptions(), { rpId: "evil.example" }) }), pgo, /another relying party ID/);
    await expectRefused(await pgo.json("/passkey/login", { credential: await auth.assert(await pgo.loginOptions(), { rpId: HOST.split(".").slice(1).join(".") }) }), pgo, /another relying party ID/);
  });

  it("when it replays a challenge: the same valid assertion works once", async () => {
    const { pgo, auth } = await newAccount();
    await expectReplayRefused(pgo, "/passkey/login", await auth.assert(await pgo.loginOptions()));
  });

  it("when its challenge was issued to another browser, was never issued, or has expired", async () => {
    const { pgo, auth } = await newAccount();
    await pgo.loginOptions();
    const other = new Pgo();
    const theirs = await other.loginOptions();
    // Stored in the other browser's shard, it is usually not even found from this one; in the same shard, it is foreign.
    await expectRefused(await pgo.json("/passkey/login", { credential: await auth.assert(theirs) }), pgo, /challenge (foreign|unknown)/);
    await expectRefused(await pgo.json("/passkey/login", { credential: await auth.assert(await pgo.loginOptions(), { challenge: "A".repeat(43) }) }), pgo, /challenge unknown/);
    vi.useFakeTimers({ toFake: ["Date"] });
    const options = await pgo.loginOptions();
    vi.setSystemTime(Date.now() + 5 * 60_000);
    await expectRefused(await pgo.json("/passkey/login", { credential: await auth.assert(options) }), pgo, /challenge expired/);
  });

  it("when its signature covers another challenge than the clientDataJSON it comes with, or another ceremony type", async () => {
    const { pgo, auth } = await newAccount();
    const issued = await pgo.loginOptions();
    const signed = await auth.assert(await pgo.loginOptions());
    // The clientDataJSON now names the other challenge this browser was issued; the signature is over the first.
    const response = signed.response as { clientDataJSON: string };
    const clientData = JSON.parse(new TextDecoder().decode(handleBytes(response.clientDataJSON))) as Record<string, unknown>;
    const swapped = { ...signed, response: { ...response, clientDataJSON: base64url(new TextEncoder().encode(JSON.stringify({ ...clientData, challenge: issued.challenge }))) } };
    await expectRefused(await pgo.json("/passkey/login", { credential: swapped }), pgo, /signature does not verify/);
    await expectRefused(await pgo.json("/passkey/login", { credential: await auth.assert(await pgo.loginOptions(), { type: "webauthn.create" }) }), pgo, /another ceremony type/);
  });

  it("when it is signed by another key", async () => {
    const { pgo, auth } = await newAccount();
    const other = await newEcKey();
    await expectRefused(await pgo.json("/passkey/login", { credential: await auth.assert(await pgo.loginOptions(), { signWith: other.privateKey }) }), pgo, /signature does not verify/);
  });

  it("when its counter is lower than, or equal to, the stored one: a cloned authenticator", async () => {
    const { pgo, auth } = await newAccount();
    expect((await pgo.json("/passkey/login", { credential: await auth.assert(await pgo.loginOptions(), { counter: 5 }) })).status).toBe(200);
    pgo.forget("__Host-pgo-session");
    await expectRefused(await pgo.json("/passkey/login", { credential: await auth.assert(await pgo.loginOptions(), { counter: 3 }) }), pgo, /cloned authenticator/);
    await expectRefused(await pgo.json("/passkey/login", { credential: await auth.assert(await pgo.loginOptions(), { counter: 5 }) }), pgo, /cloned authenticator/);
    // A counter that falls back to 0 after counting is a clone too.
    await expectRefused(await pgo.json("/passkey/login", { credential: await auth.assert(await pgo.loginOptions(), { counter: 0 }) }), pgo, /cloned authenticator/);
    expect((await pgo.json("/passkey/login", { credential: await auth.assert(await pgo.loginOptions(), { counter: 6 }) })).status).toBe(200);
  });

  it("without the user verification flag (presence alone is not enough), or without user presence", async () => {
    const { pgo, auth } = await newAccount();
    await expectRefused(await pgo.json("/passkey/login", { credential: await auth.assert(await pgo.loginOptions(), { flags: FLAG.UP }) }), pgo, /no user verification/);
    await expectRefused(await pgo.json("/passkey/login", { credential: await auth.assert(await pgo.loginOptions(), { flags: FLAG.UV }) }), pgo, /no user presence/);
  });

  it("when it names another account than the passkey's, or a passkey the account does not have", async () => {
    const a = await newAccount("A");
    const b = await newAccount("B");
    // B's valid signature, but A's user handle: A has no such passkey.
    await expectRefused(await b.pgo.json("/passkey/login", { credential: await b.auth.assert(await b.pgo.loginOptions(), { userHandle: a.auth.userHandle }) }), b.pgo, /a passkey this account does not have/);
    const stranger = await SoftAuthenticator.create();
    stranger.userHandle = a.auth.userHandle;
    await expectRefused(await a.pgo.json("/passkey/login", { credential: await stranger.assert(await a.pgo.loginOptions()) }), a.pgo, /a passkey this account does not have/);
  });

  it("without the pre-login cookie the challenge was bound to, or as a form post (no JSON)", async () => {
    const { pgo, auth } = await newAccount();
    const credential = await auth.assert(await pgo.loginOptions());
    pgo.forget("__Host-pgo-login");
    await expectRefused(await pgo.json("/passkey/login", { credential }), pgo, /no ceremony cookie/);
    const form = await pgo.fetch("/passkey/login", { method: "POST", headers: { "content-type": "application/x-www-form-urlencoded" }, body: "credential=x" });
    expect(form.status).toBe(415);
    expect(await form.text()).toContain("JavaScript");
  });
});

describe("X-9: a registration is refused", () => {
  it.each<[string, Parameters<SoftAuthenticator["attest"]>[1], RegExp]>([
    ["without user verification", { flags: FLAG.UP | FLAG.AT }, /no user verification/],
    ["for another origin", { origin: "https://evil.example" }, /another origin/],
    ["for another RP ID", { rpId: "evil.example" }, /another relying party ID/],
    ["for another challenge", { challenge: "B".repeat(43) }, /challenge unknown/],
  ])("%s", async (_name, forgery, reason) => {
    const pgo = new Pgo();
    const auth = await SoftAuthenticator.create();
    await expectRefused(await pgo.json("/passkey/register", { credential: await auth.attest(await pgo.registerOptions(), forgery) }), pgo, reason);
  });

  it("when it replays a registration: one account, once", async () => {
    const pgo = new Pgo();
    const auth = await SoftAuthenticator.create();
    await expectReplayRefused(pgo, "/passkey/register", await auth.attest(await pgo.registerOptions()));
  });
});

describe("X-9: a second passkey, and removing one", () => {
  async function loggedIn(): Promise<{ pgo: Pgo; auth: SoftAuthenticator; csrf: string }> {
    const { pgo, auth } = await newAccount("Sanne Visser");
    expect((await pgo.json("/passkey/login", { credential: await auth.assert(await pgo.loginOptions()) })).status).toBe(200);
    const html = await (await pgo.fetch("/account/passkeys")).text();
    return { pgo, auth, csrf: /name="csrf" value="([^"]+)"/.exec(html)![1]! };
  }

  it("adds a second passkey (the first excluded), removes the first, and only the second logs in then", async () => {
    const { pgo, auth, csrf } = await loggedIn();
    expect((await pgo.json("/passkey/add/options", {})).status).toBe(403);
    const res = await pgo.json("/passkey/add/options", {}, { "x-csrf-token": csrf });
    const { options } = (await res.json()) as { options: Parameters<SoftAuthenticator["attest"]>[0] & { excludeCredentials: { id: string }[] } };
    expect(options.excludeCredentials.map((c) => c.id)).toEqual([auth.id]);
    expect(options.user.id).toBe(auth.userHandle);
    const second = await SoftAuthenticator.create();
    expect((await pgo.json("/passkey/add", { credential: await second.attest(options) }, { "x-csrf-token": csrf })).status).toBe(200);
    const html = await (await pgo.fetch("/account/passkeys")).text();
    const ids = [...html.matchAll(/name="passkey" value="([^"]+)"/g)].map((m) => m[1]!);
    expect(ids).toHaveLength(2);
    // No credential id on the page: passkeys are named by their own row ids.
    expect(html).not.toContain(auth.id);
    const removed = await pgo.fetch("/account/passkeys/verwijderen", { method: "POST", headers: { "content-type": "application/x-www-form-urlencoded" }, body: new URLSearchParams({ csrf, passkey: ids[0]! }).toString() });
    expect(removed.status).toBe(303);
    pgo.forget("__Host-pgo-session");
    await expectRefused(await pgo.json("/passkey/login", { credential: await auth.assert(await pgo.loginOptions()) }), pgo, /a passkey this account does not have/);
    expect((await pgo.json("/passkey/login", { credential: await second.assert(await pgo.loginOptions()) })).status).toBe(200);
  });

  it("never removes the last passkey (recovery is by a second passkey only)", async () => {
    const { pgo, auth, csrf } = await loggedIn();
    const html = await (await pgo.fetch("/account/passkeys")).text();
    expect(html).not.toContain('name="passkey"');
    expect(html).toContain("alleen binnen met een andere passkey");
    expect(html).not.toContain("Verwijderen");
    // Even when asked directly.
    const accounts = pgo.env.ACCOUNTS;
    const stored = await accounts.get(accounts.idFromName(auth.userHandle)).passkeys();
    const res = await pgo.fetch("/account/passkeys/verwijderen", { method: "POST", headers: { "content-type": "application/x-www-form-urlencoded" }, body: new URLSearchParams({ csrf, passkey: stored[0]!.id }).toString() });
    expect(res.status).toBe(409);
    expect(await accounts.get(accounts.idFromName(auth.userHandle)).passkeys()).toHaveLength(1);
  });

  it("an add ceremony is bound to the session that started it", async () => {
    const { pgo, csrf } = await loggedIn();
    const { options } = (await (await pgo.json("/passkey/add/options", {}, { "x-csrf-token": csrf })).json()) as { options: Parameters<SoftAuthenticator["attest"]>[0] };
    const other = await loggedIn();
    const res = await other.pgo.json("/passkey/add", { credential: await (await SoftAuthenticator.create()).attest(options) }, { "x-csrf-token": other.csrf });
    await expectRefused(res, new Pgo(), /challenge (foreign|unknown)/);
  });

  it("LoginCeremonies: a ceremony is taken once, only by its own browser, only for its own step, and expires", async () => {
    const stub = base.CEREMONIES.get(base.CEREMONIES.idFromName("ceremonies-test"));
    expect(await stub.start("key-a", "browser-1", "passkey-login", { challenge: "c" }, 300_000)).toBe(true);
    expect(await stub.start("key-a", "browser-1", "passkey-login", { challenge: "other" }, 300_000)).toBe(false);
    expect(await stub.take("key-a", "browser-2", "passkey-login")).toEqual({ ok: false, refusal: "foreign" });
    expect(await stub.take("key-a", "browser-1", "passkey-register")).toEqual({ ok: false, refusal: "unknown" });
    expect(await stub.take("key-a", "browser-1", "passkey-login")).toEqual({ ok: true, data: { challenge: "c" } });
    expect(await stub.take("key-a", "browser-1", "passkey-login")).toEqual({ ok: false, refusal: "used" });
    vi.useFakeTimers({ toFake: ["Date"] });
    const t0 = Date.now();
    await stub.start("key-b", "browser-1", "oidc-login", { nonce: "n" }, 600_000);
    vi.setSystemTime(t0 + 600_000);
    expect(await stub.take("key-b", "browser-1", "oidc-login")).toEqual({ ok: false, refusal: "expired" });
  });
});

describe("X-5, P-2: accounts live in the EU, and end with the service", () => {
  it("register, log in, end the service: with EU-only namespaces; afterwards the passkey finds no account and its sessions are gone", async () => {
    const seen = new Map<string, string[]>();
    const euEnv: Env = {
      ...base,
      PGO_LOGIN: "passkey",
      DO_JURISDICTION: undefined,
      SESSIONS: euOnly(base.SESSIONS, "SESSIONS", seen),
      PERSONS: euOnly(base.PERSONS, "PERSONS", seen),
      AUDIT: euOnly(base.AUDIT, "AUDIT", seen),
      CEREMONIES: euOnly(base.CEREMONIES, "CEREMONIES", seen),
      ACCOUNTS: euOnly(base.ACCOUNTS, "ACCOUNTS", seen),
      RATE_LIMITER: euOnly(base.RATE_LIMITER, "RATE_LIMITER", seen),
    };
    const pgo = new Pgo(euEnv);
    const auth = await SoftAuthenticator.create();
    expect((await pgo.json("/passkey/register", { credential: await auth.attest(await pgo.registerOptions("Noor")) })).status).toBe(200);
    const second = new Pgo(euEnv);
    expect((await second.json("/passkey/login", { credential: await auth.assert(await second.loginOptions()) })).status).toBe(200);
    expect(await second.heading()).toBe("Welkom, Noor");

    const end = await (await pgo.fetch("/account/end")).text();
    expect(end).toContain("download uw portabiliteitsrapport");
    const csrf = /name="csrf" value="([^"]+)"/.exec(end)![1]!;
    const ended = await pgo.fetch("/account/end", { method: "POST", headers: { "content-type": "application/x-www-form-urlencoded" }, body: `csrf=${csrf}` });
    expect(ended.status).toBe(303);
    // Every session of the account ended, not only this one.
    expect((await second.fetch("/api/collections")).status).toBe(401);
    expect(await euEnv.ACCOUNTS.jurisdiction("eu").get(base.ACCOUNTS.idFromName(auth.userHandle)).profile()).toBeNull();
    await expectRefused(await pgo.json("/passkey/login", { credential: await auth.assert(await pgo.loginOptions()) }), pgo, /a passkey this account does not have/);
    // The log stays for its retention (LOG-2).
    const log = await base.AUDIT.get(base.AUDIT.idFromName(auth.userHandle)).entries();
    expect(log.map((e) => e.action)).toContain("beeindigen");
    expect([...seen.keys()].sort()).toEqual(["ACCOUNTS", "AUDIT", "CEREMONIES", "PERSONS", "RATE_LIMITER", "SESSIONS"]);
    expect([...seen.values()].flat().every((j) => j === "eu")).toBe(true);
  });
});

describe("X-9, S-3: nothing secret in the logs", () => {
  it("no challenge, credential id or user handle in any log line of a refused login", async () => {
    const { pgo, auth } = await newAccount();
    const options = await pgo.loginOptions();
    const lines: string[] = [];
    vi.spyOn(console, "log").mockImplementation((l: unknown) => void lines.push(String(l)));
    await pgo.json("/passkey/login", { credential: await auth.assert(options, { origin: "https://evil.example" }) });
    const all = [...lines, ...warned.map((w) => JSON.stringify(w))].join("\n");
    expect(all).toMatch(/passkey.refused/);
    for (const secret of [options.challenge, auth.id, auth.userHandle]) expect(all).not.toContain(secret);
  });
});

describe("X-9, S-3: starting a login ceremony is limited per source address", () => {
  it("20 starts at once from one address, then 429 with Retry-After before any ceremony is stored; another address is not affected", async () => {
    const from = (address: string) => ({ "cf-connecting-ip": address });
    const pgo = new Pgo();
    const statuses: number[] = [];
    for (let i = 0; i < 20; i++) statuses.push((await pgo.json("/passkey/login/options", {}, from("203.0.113.7"))).status);
    expect(statuses).toEqual(Array(20).fill(200));
    const refused = await pgo.json("/passkey/register/options", { naam: "Sanne Visser" }, from("203.0.113.7"));
    expect(refused.status).toBe(429);
    expect(Number(refused.headers.get("retry-after"))).toBeGreaterThanOrEqual(1);
    expect(refused.headers.get("cache-control")).toBe("no-store");
    expect(((await refused.json()) as { error: string }).error).toMatch(/^Te veel pogingen/);
    expect(warned.some((w) => w.event === "login.rate_limited" && !JSON.stringify(w).includes("203.0.113.7"))).toBe(true);
    // Another Person's address starts as usual.
    expect((await new Pgo().json("/passkey/login/options", {}, from("203.0.113.8"))).status).toBe(200);
  });
});
