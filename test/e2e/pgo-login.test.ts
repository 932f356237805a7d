/**
 * SPEC X-9: a Person logs in at the PGO through the PGO's own OpenID Connect provider, end to end over HTTP:
 * the DVP in workerd, the provider node-oidc-provider 9 in Node (test/peers/pgo-idp.mjs through
 * test/peers/oidc-broker.mjs). The provider enforces PKCE and verifies the DVP's private_key_jwt; the DVP
 * verifies the provider's ID tokens with jose against its JWKS (workers/shared/oidc/, the DVZA's code too).
 * Claim-level failures come from a provider that re-signs a changed ID token with its own key, so only the
 * claim is wrong. Then the account collects, and ends the service (P-2).
 */
import { afterAll, afterEach, beforeAll, describe, expect, it } from "vitest";
import { HOSTS, startNetwork, type LocalNetwork } from "../../scripts/local-network.mjs";
import { NetBrowser, field } from "./browser.ts";

type Provider = {
  behaviour: Record<string, unknown>;
  reset(): void;
  issuer: string;
  seen: { authorizationRequests: Record<string, string>[]; tokenRequests: { clientAuth: string }[] };
};

let net: LocalNetwork;
const pgo = () => net.base(HOSTS.dvpKluis);
const setCookies = (res: Response): string[] => (res.headers as unknown as { getSetCookie(): string[] }).getSetCookie();
const provider = () => net.pgoIdp as Provider;

beforeAll(async () => {
  net = await startNetwork({ port: 0, pgoIdp: true });
}, 120_000);
afterAll(async () => net?.dispose());
afterEach(() => provider().reset());

/** The PGO's button: the hand-off page's Refresh is where the browser goes, and the login cookie it set. */
async function startAtPgo(b: NetBrowser): Promise<{ authorize: string; loginCookie: string }> {
  const start = await b.post(`${pgo()}/login/oidc`, {});
  expect(start.status).toBe(200);
  expect(start.headers.get("cache-control")).toBe("no-store");
  const cookie = setCookies(start).find((c) => c.startsWith("__Host-pgo-login="));
  await start.body?.cancel();
  const authorize = new URL(/^0;url=(.+)$/.exec(start.headers.get("refresh")!)![1]!, pgo()).href;
  return { authorize, loginCookie: cookie?.split(";")[0] ?? "" };
}

/** Through the provider (its login form when it has no session) until the browser is back at the PGO. */
async function throughProvider(b: NetBrowser, authorize: string, account = "gk-7f3a91c2", action = "login"): Promise<{ res: Response; url: string }> {
  let url = authorize;
  let res = await b.get(url);
  for (let i = 0; i < 12; i++) {
    if (url.startsWith(`${pgo()}/login/oidc/return`)) return { res, url };
    if (res.status >= 300 && res.status < 400) {
      url = new URL(res.headers.get("location")!, url).href;
      await res.body?.cancel();
      res = await b.get(url);
      continue;
    }
    const form = /action="([^"]+)"/.exec(await res.text());
    if (!form) throw new Error(`no way on at ${url} (${res.status})`);
    url = new URL(form[1]!, url).href;
    res = await b.post(url, { account, action });
  }
  throw new Error("too many hops");
}

async function oidcLogin(b = new NetBrowser(net), account?: string, action?: string) {
  const { authorize, loginCookie } = await startAtPgo(b);
  const back = await throughProvider(b, authorize, account, action);
  return { b, ...back, loginCookie };
}

async function whoAmI(b: NetBrowser): Promise<string> {
  return ((await (await b.get(`${pgo()}/api/log`)).json()) as { person: string }).person;
}

async function refused(reason: RegExp, status = 400, heading = "Inloggen mislukt") {
  const before = net.events("oidc-login.refused").length;
  const { res, b } = await oidcLogin();
  expect(res.status).toBe(status);
  expect(setCookies(res).some((c) => c.startsWith("__Host-pgo-session="))).toBe(false);
  expect(await res.text()).toContain(heading);
  expect((await b.get(`${pgo()}/api/collections`)).status).toBe(401);
  await expect.poll(() => net.events("oidc-login.refused").slice(before).some((e) => reason.test(String(e.reason)))).toBe(true);
}

describe("X-9: logging in through the PGO's own OpenID Connect provider", () => {
  it("code flow with state, nonce and PKCE S256, private_key_jwt; the first login creates the account, later ones find it", async () => {
    const { b, res } = await oidcLogin();
    expect(res.status).toBe(303);
    expect(res.headers.get("location")).toBe("/");
    const req = provider().seen.authorizationRequests.at(-1)!;
    expect(req).toMatchObject({ response_type: "code", client_id: "gezondheidskluis-pgo", scope: "openid", code_challenge_method: "S256", redirect_uri: `https://${HOSTS.dvpKluis}/login/oidc/return` });
    expect(req.state).toMatch(/^[A-Za-z0-9_-]{43}$/);
    expect(req.nonce).toMatch(/^[A-Za-z0-9_-]{43}$/);
    expect(req.code_challenge).toMatch(/^[A-Za-z0-9_-]{43}$/);
    expect(provider().seen.tokenRequests.at(-1)!.clientAuth).toBe("private_key_jwt");
    const home = await (await b.get(`${pgo()}/`)).text();
    expect(home).toContain("Welkom, Sanne Visser");
    const account = await whoAmI(b);
    // An opaque account id, not the provider's subject.
    expect(account).toMatch(/^[A-Za-z0-9_-]{43}$/);
    expect(account).not.toContain("gk-7f3a91c2");
    // Another browser, the same Person at the provider: the same account.
    const again = await oidcLogin();
    expect(await whoAmI(again.b)).toBe(account);
    // Another Person at the provider: another account.
    const other = await oidcLogin(new NetBrowser(net), "gk-0b44de17");
    expect(await whoAmI(other.b)).not.toBe(account);
    expect(await (await other.b.get(`${pgo()}/`)).text()).toContain("Welkom, Karim El Amrani");
  });

  it("the account collects (Verzamelen) like any Person", async () => {
    const { b } = await oidcLogin(new NetBrowser(net), "gk-0b44de17");
    const csrf = field(await (await b.get(`${pgo()}/`)).text(), "csrf");
    const start = await b.post(`${pgo()}/verzamelen`, { csrf, zorgaanbieder: "umcharderwijk@medmij", gegevensdienst: "48" });
    const authorize = new URL(/^0;url=(.+)$/.exec(start.headers.get("refresh")!)![1]!, pgo()).href;
    await start.body?.cancel();
    const toDigid = await b.follow(await b.get(authorize), authorize);
    const loginForm = await toDigid.final.text();
    const atDigid = await b.post(`${net.base(HOSTS.digid)}/login`, { bsn: "999990020", RelayState: field(loginForm, "RelayState"), return: field(loginForm, "return") });
    const consent = await b.follow(atDigid, `${net.base(HOSTS.digid)}/login`);
    const decided = await b.post(consent.url, { csrf: field(await consent.final.text(), "csrf"), decision: "ja" });
    const done = await b.follow(decided, consent.url);
    expect(done.url).toMatch(/\/collections\/[0-9a-f-]{36}$/);
    const list = (await (await b.get(`${pgo()}/api/collections`)).json()) as { outcome: string; zorgaanbieder: string }[];
    expect(list[0]).toMatchObject({ outcome: "completed", zorgaanbieder: "umcharderwijk@medmij" });
  });

  it("the PGO's login never asks the provider for a BSN, and its log lines carry no claim", async () => {
    await oidcLogin();
    expect(provider().seen.authorizationRequests.at(-1)!.scope).not.toMatch(/bsn/);
    const lines = net.logs.filter((l) => l.includes("oidc-login") || l.includes("account.created")).join("\n");
    expect(lines).not.toMatch(/gk-7f3a91c2|Sanne Visser/);
  });
});

describe("X-9: the PGO refuses", () => {
  it("an ID token with a nonce that is not this login's", () => {
    provider().behaviour.idToken = { nonce: "replayed-nonce-from-another-login" };
    return refused(/nonce is not this session's/);
  });
  it("an ID token for another audience", () => {
    provider().behaviour.idToken = { aud: "another-client" };
    return refused(/ERR_JWT_CLAIM_VALIDATION_FAILED/);
  });
  it("an ID token from another issuer", () => {
    provider().behaviour.idToken = { iss: "https://evil-idp.example.nl" };
    return refused(/ERR_JWT_CLAIM_VALIDATION_FAILED/);
  });
  it("an ID token with a bad signature, or none", async () => {
    provider().behaviour.idToken = "signature";
    await refused(/does not verify \(ERR_JWS_SIGNATURE_VERIFICATION_FAILED\)/);
    provider().behaviour.idToken = "alg-none";
    await refused(/does not verify/);
  });
  it("an expired ID token", () => {
    const now = Math.floor(Date.now() / 1000);
    provider().behaviour.idToken = { iat: now - 3_600, exp: now - 600 };
    return refused(/ERR_JWT_EXPIRED/);
  });
  it("RFC 9207: an authorization response naming another issuer", () => {
    provider().behaviour.authorizationIss = "https://evil-idp.example.nl";
    return refused(/iss is not the configured provider/);
  });
  it("a provider whose token endpoint fails: a clear page, no login", () => {
    provider().behaviour.tokenStatus = 503;
    return refused(/HTTP 503/, 503, "Inloggen is nu niet mogelijk");
  });
  it("the Person cancelling at the provider: a clear page, no login", async () => {
    const { res } = await oidcLogin(new NetBrowser(net), "gk-7f3a91c2", "cancel");
    expect(res.status).toBe(200);
    expect(await res.text()).toContain("U bent niet ingelogd");
  });

  it("a replayed answer: the same code and state work once", async () => {
    const { res, url, loginCookie } = await oidcLogin(new NetBrowser(net), "gk-0b44de17");
    expect(res.status).toBe(303);
    // Replayed with the very login cookie the flow was bound to.
    const replay = await net.fetch(url, { headers: { cookie: loginCookie } });
    expect(replay.status).toBe(400);
    expect(setCookies(replay).some((c) => c.startsWith("__Host-pgo-session="))).toBe(false);
    await expect.poll(() => net.events("oidc-login.refused").some((e) => /login used/.test(String(e.reason)))).toBe(true);
  });

  it("an answer delivered to another browser than the one that started the login", async () => {
    const victim = new NetBrowser(net);
    const { authorize } = await startAtPgo(new NetBrowser(net));
    await startAtPgo(victim);
    const { res } = await throughProvider(victim, authorize);
    expect(res.status).toBe(400);
    expect((await victim.get(`${pgo()}/api/collections`)).status).toBe(401);
  });
});

describe("P-2: ending the service of an OIDC account", () => {
  it("deletes the account and its data; the next login through the provider is a new, empty account", async () => {
    const { b } = await oidcLogin(new NetBrowser(net), "gk-7f3a91c2");
    const before = await whoAmI(b);
    const offer = await (await b.get(`${pgo()}/account/end`)).text();
    expect(offer).toContain("download uw portabiliteitsrapport");
    expect(offer).toContain("uw account, uw passkeys en al uw gegevens");
    const report = await b.get(`${pgo()}/api/portabiliteitsrapport?van=2000-01-01&tot=2100-01-01`);
    expect(await report.text()).toContain(`<Deelnemer>${before}</Deelnemer>`);
    const ended = await b.post(`${pgo()}/account/end`, { csrf: field(offer, "csrf") });
    expect(ended.status).toBe(303);
    expect((await b.get(`${pgo()}/api/collections`)).status).toBe(401);
    const again = await oidcLogin(new NetBrowser(net), "gk-7f3a91c2");
    const after = await whoAmI(again.b);
    expect(after).not.toBe(before);
    expect(await (await again.b.get(`${pgo()}/api/collections`)).json()).toEqual([]);
    const log = (await (await again.b.get(`${pgo()}/api/log`)).json()) as { entries: { action: string }[] };
    // The new account's own log: nothing of the old one (whose log stays for its retention, LOG-2).
    expect(log.entries.map((e) => e.action)).toEqual(["login", "logexport"]);
  });
});
