/**
 * SPEC X-9: which logins a PGO offers, and what a refused configuration does. Staging and production never
 * offer the fixed test Persons: such a configuration is one error log line (`login.config`) and, on every
 * request, a clear Dutch page; nothing falls back to another login. The deployment files say what each
 * environment offers.
 */
import { env } from "cloudflare:test";
import { afterEach, beforeEach, describe, expect, it, vi } from "vitest";
import worker from "../../workers/dvp/index.ts";
import type { Env } from "../../workers/dvp/env.ts";
import { loginMethods, passkeyParty } from "../../workers/dvp/login/methods.ts";
import { storeLists } from "../helpers/network.ts";
import { euOnly } from "../helpers/residency.ts";

const base = env as unknown as Env;
const ctx = { waitUntil() {}, passThroughOnException() {}, props: {} } as unknown as ExecutionContext;
let errors: string[] = [];

beforeEach(async () => {
  errors = [];
  vi.spyOn(console, "error").mockImplementation((...a: unknown[]) => void errors.push(a.map(String).join(" ")));
  await storeLists(base.LISTS);
});
afterEach(() => vi.restoreAllMocks());

/** An environment as a deployment would have it; staging and production place objects in the EU. */
function deployment(overrides: Partial<Env>): Env {
  const seen = new Map<string, string[]>();
  const production = overrides.DEPLOYMENT_ENV === "staging" || overrides.DEPLOYMENT_ENV === "production";
  const placedEnv = production
    ? {
        SESSIONS: euOnly(base.SESSIONS, "SESSIONS", seen),
        PERSONS: euOnly(base.PERSONS, "PERSONS", seen),
        AUDIT: euOnly(base.AUDIT, "AUDIT", seen),
        CEREMONIES: euOnly(base.CEREMONIES, "CEREMONIES", seen),
        ACCOUNTS: euOnly(base.ACCOUNTS, "ACCOUNTS", seen),
      }
    : {};
  return { ...base, ...placedEnv, ...overrides } as Env;
}

const get = (e: Env, path: string, init: RequestInit = {}) => worker.fetch(new Request(`https://${base.DVP_HOSTNAME}${path}`, init), e, ctx);
const postForm = (e: Env, path: string, body: string) => get(e, path, { method: "POST", headers: { "content-type": "application/x-www-form-urlencoded" }, body });

describe("X-9: staging and production refuse the fixed test Persons", () => {
  it.each(["staging", "production"])("%s with PGO_LOGIN naming test-persons: one error line, then a clear page on every request, no fallback", async (name) => {
    // A name of its own, so this isolate has not judged this configuration before (the verdict is per isolate).
    const e = deployment({ DEPLOYMENT_ENV: name, PGO_LOGIN: "passkey,test-persons", DVP_NAME: `PGO ${name} ${crypto.randomUUID()}` });
    const answers = [await get(e, "/"), await postForm(e, "/login", "person=jansen"), await get(e, "/static/passkey.js"), await get(e, "/passkey/login/options", { method: "POST", headers: { "content-type": "application/json" }, body: "{}" })];
    for (const res of answers) {
      expect(res.status).toBe(503);
      expect(res.headers.get("content-type")).toBe("text/html; charset=utf-8");
      expect(res.headers.get("content-security-policy")).toContain("default-src 'none'");
      expect(res.headers.get("set-cookie")).toBeNull();
      const html = await res.text();
      expect(html).toContain("Inloggen is niet beschikbaar");
      expect(html).toContain("niet goed ingesteld");
      // Not even the passkey login is offered: no fallback.
      expect(html).not.toMatch(/Passkey gebruiken|Testpersoon/);
    }
    const lines = errors.filter((l) => l.includes('"login.config"'));
    expect(lines).toHaveLength(1);
    expect(JSON.parse(lines[0]!)).toMatchObject({ level: "error", event: "login.config", reason: `PGO_LOGIN names test-persons: the fixed test Persons are refused in ${name} (X-9)` });
  });

  it.each<[string, Partial<Env>, RegExp]>([
    ["production without PGO_LOGIN", { DEPLOYMENT_ENV: "production", PGO_LOGIN: undefined }, /PGO_LOGIN is not set; production must name its logins/],
    ["an unknown login", { PGO_LOGIN: "passkey,password" }, /PGO_LOGIN names 'password'/],
    ["oidc without a provider", { PGO_LOGIN: "oidc" }, /oidc: OIDC_ISSUER is not a URL/],
    ["oidc without client authentication", { PGO_LOGIN: "passkey,oidc", OIDC_ISSUER: "https://login.example.nl", OIDC_CLIENT_ID: "pgo" }, /OIDC_CLIENT_PRIVATE_KEY is not set/],
    ["a plain-http passkey origin in production", { DEPLOYMENT_ENV: "production", PGO_LOGIN: "passkey", PASSKEY_ORIGINS: `http://${base.DVP_HOSTNAME}:8787` }, /is not https/],
    ["a passkey origin of another site", { PGO_LOGIN: "passkey", PASSKEY_ORIGINS: "https://evil.example" }, /is not dvp.gezondheidskluis.localhost or a subdomain/],
  ])("%s is refused the same way", async (_name, overrides, reason) => {
    const e = deployment({ ...overrides, DVP_NAME: `PGO ${crypto.randomUUID()}` });
    const res = await get(e, "/");
    expect(res.status).toBe(503);
    expect(await res.text()).toContain("Inloggen is niet beschikbaar");
    expect(errors.filter((l) => l.includes('"login.config"')).map((l) => JSON.parse(l).reason as string)).toEqual([expect.stringMatching(reason)]);
  });

  it("production with passkeys offers them and nothing else; a test Person's login and a test Person's session are refused", async () => {
    const e = deployment({ DEPLOYMENT_ENV: "production", PGO_LOGIN: "passkey" });
    const page = await get(e, "/");
    expect(page.status).toBe(200);
    const html = await page.text();
    expect(html).toContain("Passkey gebruiken");
    expect(html).not.toMatch(/Testpersoon|Johan Jansen|Ontwikkelomgeving/);
    expect(page.headers.get("content-security-policy")).toContain("script-src 'self'");
    expect((await postForm(e, "/login", "person=jansen")).status).toBe(404);
    // A session that names a test Person (left over from elsewhere, or forged into storage) is no login here.
    const id = "t".repeat(43);
    const { hashHandle, shardCountOf } = await import("../../workers/shared/shard.ts");
    const h = await hashHandle(id, shardCountOf(base.SESSION_SHARDS));
    await base.SESSIONS.get(base.SESSIONS.idFromName(`sessions-${h.shard}`)).createSession(h.hash, "jansen");
    const res = await get(e, "/api/collections", { headers: { cookie: `__Host-pgo-session=${id}` } });
    expect(res.status).toBe(401);
    // The same session works in development, where the test Persons are offered.
    expect((await get(deployment({ PGO_LOGIN: "test-persons" }), "/api/collections", { headers: { cookie: `__Host-pgo-session=${id}` } })).status).toBe(200);
  });

  it("the passkey script is a same-origin file with strict headers, and the only script a page loads", async () => {
    const res = await get(deployment({ PGO_LOGIN: "passkey" }), "/static/passkey.js");
    expect(res.status).toBe(200);
    expect(res.headers.get("content-type")).toBe("text/javascript; charset=utf-8");
    expect(res.headers.get("x-content-type-options")).toBe("nosniff");
    expect(res.headers.get("cross-origin-resource-policy")).toBe("same-origin");
    expect(await res.text()).toContain("navigator.credentials.get");
    const html = await (await get(deployment({ PGO_LOGIN: "passkey" }), "/")).text();
    expect(html.match(/<script/g)).toHaveLength(1);
    expect(html).toContain('<script src="/static/passkey.js" defer></script>');
    // A page without passkeys has no script at all, and its CSP allows none.
    const plain = await get(deployment({ PGO_LOGIN: "test-persons" }), "/");
    expect(await plain.text()).not.toContain("<script");
    expect(plain.headers.get("content-security-policy")).not.toContain("script-src");
  });
});

describe("X-9: the decisions", () => {
  it("PGO_LOGIN", () => {
    expect(loginMethods(undefined, undefined)).toEqual({ ok: true, value: new Set(["test-persons"]) });
    expect(loginMethods(undefined, "development")).toEqual({ ok: true, value: new Set(["test-persons"]) });
    expect(loginMethods(" passkey , oidc ", "production")).toEqual({ ok: true, value: new Set(["passkey", "oidc"]) });
    expect(loginMethods("test-persons,passkey", "development")).toMatchObject({ ok: true });
    expect(loginMethods("test-persons", "staging")).toMatchObject({ ok: false, reason: expect.stringMatching(/refused in staging/) });
    expect(loginMethods("", "production")).toMatchObject({ ok: false });
    expect(loginMethods("passkeys", "development")).toMatchObject({ ok: false, reason: expect.stringMatching(/'passkeys'/) });
  });

  it("the relying party: the DVP's hostname, origins on it or its subdomains, https (http only on .localhost in development)", () => {
    expect(passkeyParty("dvp.example.nl", undefined, "production")).toEqual({ ok: true, value: { rpId: "dvp.example.nl", origins: ["https://dvp.example.nl"] } });
    expect(passkeyParty("dvp.example.nl", "https://app.dvp.example.nl", "production")).toMatchObject({ ok: true, value: { origins: ["https://dvp.example.nl", "https://app.dvp.example.nl"] } });
    expect(passkeyParty("dvp.example.nl", "https://example.nl", "production")).toMatchObject({ ok: false });
    expect(passkeyParty("dvp.example.nl", "https://dvp.example.nl/login", "production")).toMatchObject({ ok: false });
    expect(passkeyParty("dvp.localhost", "http://dvp.localhost:8787", "development")).toMatchObject({ ok: true });
    expect(passkeyParty("dvp.localhost", "http://dvp.localhost:8787", "staging")).toMatchObject({ ok: false });
    expect(passkeyParty("dvp.example.nl", "http://dvp.example.nl", "development")).toMatchObject({ ok: false });
    expect(passkeyParty("10.0.0.1", undefined, "development")).toMatchObject({ ok: false });
    expect(passkeyParty("dvp.example.nl:8443", undefined, "development")).toMatchObject({ ok: false });
  });
});

describe("X-9: the deployment files", () => {
  const toml = import.meta.glob("../../workers/dvp/wrangler.toml", { query: "?raw", import: "default", eager: true })["../../workers/dvp/wrangler.toml"] as string;
  const section = (name: string) => toml.slice(toml.indexOf(`[env.${name}.vars]`)).split(/\n\[/)[0]!;

  it.each(["staging", "production"])("%s offers passkeys, never the test Persons, and binds the account objects", (name) => {
    const vars = section(name);
    expect(vars).toContain(`DEPLOYMENT_ENV = "${name}"`);
    const login = /^PGO_LOGIN = "([^"]*)"/m.exec(vars)?.[1];
    expect(login).toBeDefined();
    expect(loginMethods(login, name)).toMatchObject({ ok: true });
    expect(login).not.toContain("test-persons");
    expect(toml).toMatch(new RegExp(`\\[env\\.${name}\\][\\s\\S]*?name = "CEREMONIES", class_name = "LoginCeremonies"[\\s\\S]*?name = "ACCOUNTS", class_name = "PgoAccounts"`));
  });
});
