/**
 * Person authentication through DigiD's SAML interface (SPEC S-6, X-3), end to end over HTTP: the DVZA in
 * workerd, the test IdP in Node built from xml-crypto, xml-encryption and xmldom (test/peers/saml-idp.mjs).
 * The IdP verifies our AuthnRequest (redirect-binding signature, Node crypto) and ArtifactResolve (XML-DSig,
 * xml-crypto, over the DVZA's client certificate); the DVZA verifies what xml-crypto signed. Each attack or
 * failure below is one test; refusals are checked in the DVZA's own log line (never shown to the Person).
 */
import { afterAll, afterEach, beforeAll, describe, expect, it } from "vitest";
import { HOSTS, startNetwork, type LocalNetwork, type LogEvent } from "../../scripts/local-network.mjs";
import { NetBrowser, field, startAtPgo } from "./browser.ts";

let net: LocalNetwork;
let idp: { behaviour: Record<string, unknown>; reset(): void; seen: { authnRequests: Record<string, string>[]; artifactResolves: Record<string, string>[] }; host: string };
const UMC = () => net.base(HOSTS.umcharderwijk);
const REDIRECT = `https://${HOSTS.dvpKluis}/oauth/callback`;
const SP_ENTITY_ID = "https://zorgbridge.medmij.localhost/saml/sp";

beforeAll(async () => {
  net = await startNetwork({ port: 0, authn: "digid-saml" });
  idp = net.peers!.idp;
}, 120_000);
afterAll(async () => net?.dispose());
afterEach(() => idp.reset());

function authorizeUrl(state = "st-saml"): string {
  const q = new URLSearchParams({ response_type: "code", client_id: HOSTS.dvpKluis, redirect_uri: REDIRECT, scope: "umcharderwijk~48", state });
  return `${UMC()}/oauth/authorize?${q}`;
}

interface Login {
  readonly b: NetBrowser;
  /** The answer of the DVZA's return endpoint. */
  readonly atReturn: Response;
  readonly returnUrl: string;
}

/** authorize -> IdP login page -> log in (or cancel) -> the browser back at /oauth/authn/return. */
async function login(bsn = "999990019", action: "login" | "cancel" = "login", b = new NetBrowser(net)): Promise<Login> {
  const toIdp = await b.get(authorizeUrl());
  expect(toIdp.status).toBe(302);
  const idpUrl = toIdp.headers.get("location")!;
  expect(new URL(idpUrl).hostname).toBe(idp.host);
  const page = await b.get(idpUrl);
  expect(page.status).toBe(200);
  const html = await page.text();
  const back = await b.post(new URL("/saml/idp/login", idpUrl).href, { request: field(html, "request"), bsn, action });
  expect(back.status).toBe(302);
  const returnUrl = back.headers.get("location")!;
  return { b, atReturn: await b.get(returnUrl), returnUrl };
}

/** A login whose answer the DVZA refuses: the page, the link back, and the reason in the DVZA's log. */
async function refused(reason: RegExp, status = 400): Promise<LogEvent> {
  const before = net.events("authn.refused").length;
  const { b, atReturn } = await login();
  expect(atReturn.status).toBe(status);
  const html = await atReturn.text();
  const back = /href="([^"]+)"/.exec(html)![1]!.replace(/&amp;/g, "&");
  const to = new URL(back);
  expect(to.origin + to.pathname).toBe(REDIRECT);
  expect(to.searchParams.get("error")).toBe(status === 503 ? "temporarily_unavailable" : "access_denied");
  expect(to.searchParams.get("state")).toBe("st-saml");
  expect(to.searchParams.get("iss")).toBe(`https://${HOSTS.umcharderwijk}`);
  // Nothing was kept: the session ended, so there is no consent step to reach.
  expect((await b.get(`${UMC()}/oauth/consent`)).status).toBe(400);
  await expect.poll(() => net.events("authn.refused").length).toBeGreaterThan(before);
  const event = net.events("authn.refused").slice(before).find((e) => reason.test(String(e.reason)));
  expect(event, `no authn.refused matching ${reason}: ${JSON.stringify(net.events("authn.refused").slice(before))}`).toBeDefined();
  return event!;
}

/** After the Person's consent: the code, redeemed over mTLS, and the Patient the token serves. */
async function patientAfterConsent(l: Login): Promise<string> {
  expect(l.atReturn.status).toBe(302);
  expect(l.atReturn.headers.get("location")).toBe("/oauth/consent");
  const consent = await l.b.get(`${UMC()}/oauth/consent`);
  const decided = await l.b.post(`${UMC()}/oauth/consent`, { csrf: field(await consent.text(), "csrf"), decision: "ja" });
  const code = new URL(decided.headers.get("location")!).searchParams.get("code")!;
  const cert = { "x-local-network-client-cert": HOSTS.dvpKluis };
  const token = await net.browse(HOSTS.umcharderwijk, "/oauth/token", {
    method: "POST",
    headers: { ...cert, "content-type": "application/x-www-form-urlencoded" },
    body: new URLSearchParams({ grant_type: "authorization_code", code, redirect_uri: REDIRECT }).toString(),
  });
  const { access_token } = (await token.json()) as { access_token: string };
  const bundle = (await (await net.browse(HOSTS.umcharderwijk, "/48/fhir/Patient", { headers: { ...cert, authorization: `Bearer ${access_token}`, "medmij-request-id": crypto.randomUUID() } })).json()) as {
    entry: { resource: { id: string } }[];
  };
  return bundle.entry.map((e) => e.resource.id).join(",");
}

describe("S-6/X-3: the SAML exchange itself", () => {
  it("sends a signed AuthnRequest over HTTP-Redirect asking for the artifact binding at level Substantieel", async () => {
    await login();
    const req = idp.seen.authnRequests.at(-1)!;
    expect(req).toMatchObject({
      version: "2.0",
      destination: `https://${idp.host}/saml/idp/request_authentication`,
      protocolBinding: "urn:oasis:names:tc:SAML:2.0:bindings:HTTP-Artifact",
      acs: `https://${HOSTS.umcharderwijk}/oauth/authn/return`,
      issuer: SP_ENTITY_ID,
      comparison: "minimum",
      classRef: "urn:oasis:names:tc:SAML:2.0:ac:classes:Smartcard",
    });
    expect(req.id).toMatch(/^_[0-9a-f]{32}$/);
    expect(Math.abs(Date.parse(req.issueInstant!) - Date.now())).toBeLessThan(60_000);
    expect(req.relayState).toMatch(/^[A-Za-z0-9_-]{43}$/);
  });

  it("resolves the artifact with a signed ArtifactResolve over the DVZA's client certificate", async () => {
    const { atReturn } = await login();
    expect(atReturn.status).toBe(302);
    const resolve = idp.seen.artifactResolves.at(-1)!;
    expect(resolve.clientCertificate).toContain(`CN=${HOSTS.umcharderwijk}`);
    expect(resolve.issuer).toBe(SP_ENTITY_ID);
    expect(resolve.signatureAlgorithm).toBe("http://www.w3.org/2001/04/xmldsig-more#rsa-sha256");
  });

  it("a signed assertion makes the Person's BSN the token's subject", async () => {
    expect(await patientAfterConsent(await login("999990019"))).toBe("pat-jansen");
    expect(await patientAfterConsent(await login("999990020"))).toBe("pat-devries");
  });

  it.each([
    ["an EncryptedAssertion (AES-256-GCM, RSA-OAEP)", { encrypt: "http://www.w3.org/2009/xmlenc11#aes256-gcm" }],
    ["an EncryptedAssertion (AES-256-CBC, RSA-OAEP)", { encrypt: "http://www.w3.org/2001/04/xmlenc#aes256-cbc" }],
    ["an EncryptedID inside an EncryptedAssertion", { encrypt: "http://www.w3.org/2009/xmlenc11#aes256-gcm", encryptNameId: true }],
    ["a signed Response around the signed assertion", { signResponse: true }],
    ["level Hoog above the minimum", { level: "Hoog" }],
  ])("%s is accepted", async (_name, behaviour) => {
    Object.assign(idp.behaviour, behaviour);
    expect(await patientAfterConsent(await login("999990032"))).toBe("pat-bakker");
  });

  it("GET /saml/metadata describes the SP for DigiD: certificates and an artifact ACS per hostname", async () => {
    const res = await net.browse(HOSTS.umcharderwijk, "/saml/metadata");
    expect(res.headers.get("content-type")).toBe("application/samlmetadata+xml; charset=utf-8");
    const xml = await res.text();
    expect(xml).toContain(`entityID="${SP_ENTITY_ID}"`);
    expect(xml).toContain('AuthnRequestsSigned="true" WantAssertionsSigned="true"');
    expect(xml).toContain('<md:KeyDescriptor use="signing">');
    expect(xml).toContain('<md:KeyDescriptor use="encryption">');
    for (const host of [HOSTS.umcharderwijk, HOSTS.delinde]) {
      expect(xml).toContain(`Binding="urn:oasis:names:tc:SAML:2.0:bindings:HTTP-Artifact" Location="https://${host}/oauth/authn/return"`);
    }
  });
});

describe("X-3: signature wrapping and signatures", () => {
  it("the signed assertion moved into Extensions, a forged one in its place", () => {
    idp.behaviour.wrap = "moved";
    return refused(/unexpected elements/);
  });
  it("the signed assertion duplicated by a forged one", () => {
    idp.behaviour.wrap = "duplicated";
    return refused(/exactly one assertion/);
  });
  it("a forged sibling carrying the signed assertion's ID and Signature", () => {
    idp.behaviour.wrap = "sibling";
    return refused(/appears more than once/);
  });
  it("an unsigned assertion", () => {
    idp.behaviour.signAssertion = false;
    return refused(/Assertion is not signed/);
  });
  it("an assertion changed after it was signed", () => {
    idp.behaviour.tamper = true;
    return refused(/digest does not match/);
  });
  it("a SHA-1 signature", () => {
    Object.assign(idp.behaviour, { sigAlg: "http://www.w3.org/2000/09/xmldsig#rsa-sha1", digestAlg: "http://www.w3.org/2000/09/xmldsig#sha1" });
    return refused(/SHA-1/);
  });
  it("a signature by a key that is not in DigiD's metadata", () => {
    idp.behaviour.signingKey = "other";
    return refused(/does not verify with the trusted certificates/);
  });
  it("an assertion encrypted with RSA PKCS#1 v1.5 key transport (Bleichenbacher)", () => {
    Object.assign(idp.behaviour, { encrypt: "http://www.w3.org/2009/xmlenc11#aes256-gcm", keyTransport: "http://www.w3.org/2001/04/xmlenc#rsa-1_5" });
    return refused(/PKCS#1 v1.5 key transport is refused/);
  });
  it("an unsigned ArtifactResponse", () => {
    idp.behaviour.signArtifactResponse = false;
    return refused(/ArtifactResponse is not signed/);
  });
});

describe("X-3: what the assertion says", () => {
  // Issue 15 #5: an assertion is used once (SAML Profiles §4.1.4.5), and its IssueInstant is this login's.
  it("the same assertion ID a second time (a replay): refused, though every other check passes", async () => {
    idp.behaviour.assertionId = `_replayed${crypto.randomUUID().replaceAll("-", "")}`;
    const first = await login();
    expect(first.atReturn.status).toBe(302);
    return refused(/used before \(replay\)/);
  });
  it("issued in the future (beyond the 60 s skew)", () => {
    idp.behaviour.issueInstantShift = 120;
    return refused(/Assertion was issued in the future/);
  });
  it("issued too long ago, though its validity was stretched to cover it", () => {
    Object.assign(idp.behaviour, { issueInstantShift: -1200 });
    return refused(/Assertion was issued too long ago/);
  });
  it("issued after its own NotOnOrAfter", () => {
    Object.assign(idp.behaviour, { validitySeconds: 20, issueInstantShift: 40 });
    return refused(/issued after it stopped being valid/);
  });
  it("expired (60 s skew at most)", () => {
    idp.behaviour.clockShift = -400;
    return refused(/has expired/);
  });
  it("not yet valid", () => {
    idp.behaviour.notBeforeShift = 120;
    return refused(/not yet valid/);
  });
  it("for another audience", () => {
    idp.behaviour.audience = "https://other-sp.example.nl";
    return refused(/another audience/);
  });
  it("for another recipient", () => {
    idp.behaviour.recipient = `https://${HOSTS.delinde}/oauth/authn/return`;
    return refused(/another recipient/);
  });
  it("for another destination", () => {
    idp.behaviour.destination = `https://${HOSTS.delinde}/oauth/authn/return`;
    return refused(/another destination/);
  });
  it("from another issuer", () => {
    idp.behaviour.issuer = "https://not-digid.example.nl";
    return refused(/another issuer/);
  });
  it("answering another (earlier) AuthnRequest: a replayed InResponseTo", async () => {
    await login();
    idp.behaviour.inResponseTo = idp.seen.authnRequests.at(-1)!.id;
    return refused(/answers another AuthnRequest/);
  });
  it("below the minimum level (Midden < Substantieel)", () => {
    idp.behaviour.level = "Midden";
    return refused(/below the minimum substantieel/);
  });
  it("a NameID that is not a BSN sector identifier", () => {
    idp.behaviour.nameId = "urn:oasis:names:tc:SAML:2.0:nameid-format:transient:abc";
    return refused(/not a DigiD BSN/);
  });
  it("a BSN failing the eleven-test", () => {
    idp.behaviour.nameId = "s00000000:123456789";
    return refused(/eleven-test/);
  });
});

describe("X-3: replay", () => {
  it("a replayed artifact finds the session past that step, and nothing is sent to DigiD", async () => {
    const l = await login();
    expect(l.atReturn.status).toBe(302);
    const resolves = idp.seen.artifactResolves.length;
    const again = await l.b.get(l.returnUrl);
    expect(again.status).toBe(400);
    expect(idp.seen.artifactResolves.length).toBe(resolves);
    // In a fresh session the relay value belongs to nobody.
    const other = new NetBrowser(net);
    await other.get(authorizeUrl());
    expect((await other.get(l.returnUrl)).status).toBe(400);
    expect(idp.seen.artifactResolves.length).toBe(resolves);
  });
});

describe("S-6: DigiD's own answers and outages", () => {
  it("the Person cancels at DigiD: a clear page and the way back as access_denied", async () => {
    const { atReturn, b } = await login("999990019", "cancel");
    expect(atReturn.status).toBe(200);
    const html = await atReturn.text();
    expect(html).toContain("U bent niet ingelogd");
    const to = new URL(/href="([^"]+)"/.exec(html)![1]!.replace(/&amp;/g, "&"));
    expect(to.searchParams.get("error")).toBe("access_denied");
    expect(to.searchParams.get("iss")).toBe(`https://${HOSTS.umcharderwijk}`);
    expect((await b.get(`${UMC()}/oauth/consent`)).status).toBe(400);
  });

  it.each(["AuthnFailed", "NoAvailableIDP", "RequestDenied", "RequestUnsupported"])("status %s: a clear page and the way back", async (status) => {
    idp.behaviour.status = status;
    const { atReturn } = await login();
    expect(atReturn.status).toBe(200);
    const html = await atReturn.text();
    expect(html).toContain("U bent niet ingelogd");
    expect(html).toContain("error=access_denied");
    await expect.poll(() => net.events("authn.refused").some((e) => String(e.reason).includes(status))).toBe(true);
  });

  it("DigiD's artifact resolution fails (HTTP 503): a friendly page, nothing stored", () => {
    idp.behaviour.resolveStatus = 503;
    return refused(/HTTP 503/, 503);
  });

  it("DigiD is slower than DIGID_TIMEOUT_MS: a friendly page, nothing stored", () => {
    idp.behaviour.resolveDelayMs = 3_000;
    return refused(/no ArtifactResponse within 2000 ms/, 503);
  });

  it("an oversized ArtifactResponse is refused without being parsed", () => {
    idp.behaviour.resolveBody = `<x>${"<y>padding</y>".repeat(30_000)}</x>`;
    return refused(/too large/);
  });

  it("a deeply nested ArtifactResponse is refused", () => {
    idp.behaviour.resolveBody = `${"<a>".repeat(200)}${"</a>".repeat(200)}`;
    return refused(/nested deeper/);
  });
});

describe("the whole network through SAML", () => {
  it("a Person collects BgZ at the PGO, authenticating with DigiD SAML", async () => {
    const b = new NetBrowser(net);
    const pgo = net.base(HOSTS.dvpKluis);
    const authorize = await startAtPgo(net, b, "jansen", { zorgaanbieder: "umcharderwijk@medmij", gegevensdienst: "48" });
    // the PGO sends PKCE S256.
    expect(new URL(authorize).searchParams.get("code_challenge_method")).toBe("S256");
    const toIdp = await b.get(authorize);
    const idpUrl = toIdp.headers.get("location")!;
    const html = await (await b.get(idpUrl)).text();
    const back = await b.post(new URL("/saml/idp/login", idpUrl).href, { request: field(html, "request"), bsn: "999990019", action: "login" });
    const consent = await b.follow(back, idpUrl);
    expect(consent.url).toBe(`${UMC()}/oauth/consent`);
    const decided = await b.post(consent.url, { csrf: field(await consent.final.text(), "csrf"), decision: "ja" });
    const done = await b.follow(decided, consent.url);
    expect(done.url).toMatch(new RegExp(`^${pgo}/collections/[0-9a-f-]{36}$`));
    expect(await done.final.text()).toContain("Opgehaald bij umcharderwijk@medmij");
  });
});
