/**
 * Person authentication through an OpenID Connect broker (SPEC X-3), end to end over HTTP: the DVZA in
 * workerd, the broker node-oidc-provider 9 in Node (test/peers/oidc-broker.mjs). The broker enforces PKCE
 * and verifies our private_key_jwt or client_secret_basic; the DVZA verifies the broker's ID tokens with
 * jose against its JWKS. Claim-level failures come from a broker that re-signs a changed ID token with its
 * own key, so only the claim is wrong.
 */
import { afterAll, afterEach, beforeAll, describe, expect, it } from "vitest";
import { HOSTS, startNetwork, type LocalNetwork } from "../../scripts/local-network.mjs";
import { NetBrowser, field } from "./browser.ts";

type Broker = {
  behaviour: Record<string, unknown>;
  reset(): void;
  rotateKeys(): Promise<void>;
  issuer: string;
  seen: { authorizationRequests: Record<string, string>[]; tokenRequests: { clientAuth: string }[] };
};

const REDIRECT = `https://${HOSTS.dvpKluis}/oauth/callback`;
const ISS = `https://${HOSTS.umcharderwijk}`;

function suite(net: () => LocalNetwork) {
  const broker = () => net().peers!.broker as Broker;
  const umc = () => net().base(HOSTS.umcharderwijk);

  /** authorize -> broker login -> back at /oauth/authn/return; returns the DVZA's answer there. */
  async function login(bsn = "999990019", action: "login" | "cancel" = "login") {
    const b = new NetBrowser(net());
    const q = new URLSearchParams({ response_type: "code", client_id: HOSTS.dvpKluis, redirect_uri: REDIRECT, scope: "umcharderwijk~48", state: "st-oidc" });
    const toBroker = await b.get(`${umc()}/oauth/authorize?${q}`);
    expect(toBroker.status).toBe(302);
    const interaction = await b.follow(toBroker, `${umc()}/oauth/authorize`);
    const html = await interaction.final.text();
    const action_ = /action="([^"]+)"/.exec(html)![1]!;
    const back = await b.post(new URL(action_, interaction.url).href, { bsn, action });
    let res = back;
    let url = interaction.url;
    // Through the broker's own redirects until the browser is back at the DVZA.
    while (res.status >= 300 && res.status < 400 && !url.includes("/oauth/authn/return")) {
      url = new URL(res.headers.get("location")!, url).href;
      res = await b.get(url);
    }
    return { b, atReturn: res, returnUrl: url };
  }

  async function refused(reason: RegExp, status = 400) {
    const before = net().events("authn.refused").length;
    const { atReturn, b } = await login();
    expect(atReturn.status).toBe(status);
    const html = await atReturn.text();
    const to = new URL(/href="([^"]+)"/.exec(html)![1]!.replace(/&amp;/g, "&"));
    expect(to.searchParams.get("error")).toBe(status === 503 ? "temporarily_unavailable" : "access_denied");
    expect(to.searchParams.get("iss")).toBe(ISS);
    expect((await b.get(`${umc()}/oauth/consent`)).status).toBe(400);
    await expect.poll(() => net().events("authn.refused").slice(before).some((e) => reason.test(String(e.reason)))).toBe(true);
  }

  async function consentPage(l: Awaited<ReturnType<typeof login>>) {
    expect(l.atReturn.status).toBe(302);
    expect(l.atReturn.headers.get("location")).toBe("/oauth/consent");
    const page = await l.b.get(`${umc()}/oauth/consent`);
    expect(await page.text()).toContain("Geef toestemming");
  }

  return { broker, login, refused, consentPage };
}

describe("private_key_jwt, signed ID tokens", () => {
  let net: LocalNetwork;
  const t = suite(() => net);
  beforeAll(async () => {
    net = await startNetwork({ port: 0, authn: "oidc" });
  }, 120_000);
  afterAll(async () => net?.dispose());
  afterEach(() => t.broker().reset());

  it("authorization code flow with state, nonce and PKCE S256; the client authenticates with private_key_jwt", async () => {
    await t.consentPage(await t.login());
    const req = t.broker().seen.authorizationRequests.at(-1)!;
    expect(req).toMatchObject({ response_type: "code", client_id: "medmij-dvza", code_challenge_method: "S256", redirect_uri: `https://${HOSTS.umcharderwijk}/oauth/authn/return` });
    expect(req.state).toMatch(/^[A-Za-z0-9_-]{43}$/);
    expect(req.nonce).toMatch(/^[A-Za-z0-9_-]{43}$/);
    expect(req.acr_values).toBe("urn:oasis:names:tc:SAML:2.0:ac:classes:Smartcard");
    expect(t.broker().seen.tokenRequests.at(-1)!.clientAuth).toBe("private_key_jwt");
  });

  it("the ID token's BSN claim becomes the token's subject", async () => {
    const l = await t.login("999990020");
    await t.consentPage(l);
    const decided = await l.b.post(`${net.base(HOSTS.umcharderwijk)}/oauth/consent`, { csrf: field(await (await l.b.get(`${net.base(HOSTS.umcharderwijk)}/oauth/consent`)).text(), "csrf"), decision: "ja" });
    // The consent page was fetched twice; the second fetch's token is the one that counts.
    expect(decided.status).toBe(302);
    const code = new URL(decided.headers.get("location")!).searchParams.get("code")!;
    const cert = { "x-local-network-client-cert": HOSTS.dvpKluis };
    const token = (await (
      await net.browse(HOSTS.umcharderwijk, "/oauth/token", { method: "POST", headers: { ...cert, "content-type": "application/x-www-form-urlencoded" }, body: new URLSearchParams({ grant_type: "authorization_code", code, redirect_uri: REDIRECT }).toString() })
    ).json()) as { access_token: string };
    const bundle = (await (await net.browse(HOSTS.umcharderwijk, "/48/fhir/Patient", { headers: { ...cert, authorization: `Bearer ${token.access_token}`, "medmij-request-id": crypto.randomUUID() } })).json()) as { entry: { resource: { id: string } }[] };
    expect(bundle.entry.map((e) => e.resource.id)).toEqual(["pat-devries"]);
  });

  it("a rotated broker key is fetched from the JWKS and accepted", async () => {
    await t.consentPage(await t.login());
    await t.broker().rotateKeys();
    await t.consentPage(await t.login());
  });

  it("a bad signature", () => {
    t.broker().behaviour.idToken = "signature";
    return t.refused(/does not verify \(ERR_JWS_SIGNATURE_VERIFICATION_FAILED\)/);
  });
  it("alg: none", () => {
    t.broker().behaviour.idToken = "alg-none";
    return t.refused(/does not verify/);
  });
  it("another iss", () => {
    t.broker().behaviour.idToken = { iss: "https://evil-broker.example.nl" };
    return t.refused(/ERR_JWT_CLAIM_VALIDATION_FAILED/);
  });
  it("another aud", () => {
    t.broker().behaviour.idToken = { aud: "another-client" };
    return t.refused(/ERR_JWT_CLAIM_VALIDATION_FAILED/);
  });
  it("a nonce that is not the session's", () => {
    t.broker().behaviour.idToken = { nonce: "replayed-nonce-from-another-session" };
    return t.refused(/nonce is not this session's/);
  });
  it("an expired ID token", () => {
    const now = Math.floor(Date.now() / 1000);
    t.broker().behaviour.idToken = { iat: now - 3_600, exp: now - 600 };
    return t.refused(/ERR_JWT_EXPIRED/);
  });
  it("acr below the minimum", () => {
    t.broker().behaviour.level = "Midden";
    return t.refused(/below the minimum substantieel/);
  });
  it("a BSN failing the eleven-test", () => {
    t.broker().behaviour.bsn = "s00000000:123456789";
    return t.refused(/bsn claim is not a BSN/);
  });
  it("RFC 9207: an authorization response naming another issuer", () => {
    t.broker().behaviour.authorizationIss = "https://evil-broker.example.nl";
    return t.refused(/iss is not the configured broker/);
  });
  it("the broker's token endpoint fails (HTTP 503): a friendly page, nothing stored", () => {
    t.broker().behaviour.tokenStatus = 503;
    return t.refused(/HTTP 503/, 503);
  });
  it("the Person cancels at the broker: access_denied, a clear page", async () => {
    const { atReturn } = await t.login("999990019", "cancel");
    expect(atReturn.status).toBe(200);
    const html = await atReturn.text();
    expect(html).toContain("U bent niet ingelogd");
    expect(html).toContain("error=access_denied");
  });
});

describe("client_secret_basic, encrypted ID tokens (JWE)", () => {
  let net: LocalNetwork;
  const t = suite(() => net);
  beforeAll(async () => {
    net = await startNetwork({ port: 0, authn: "oidc", authnOptions: { oidc: { clientAuth: "client_secret_basic", encryptIdToken: true } } });
  }, 120_000);
  afterAll(async () => net?.dispose());

  it("the client authenticates with client_secret_basic and the JWE ID token is decrypted with jose", async () => {
    await t.consentPage(await t.login());
    expect(t.broker().seen.tokenRequests.at(-1)!.clientAuth).toBe("client_secret_basic");
  });
});
