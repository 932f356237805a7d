/**
 * The front channel of the Authorization Server: authorize (AS-4, AS-6, AS-13, AS-15, AS-16,
 * AS-17, L-8), Person authentication through the DigiD simulator (S-6), consent (AS-1, AS-2) and
 * the code it yields, redeemed at the token endpoint (AS-7..AS-11).
 */
import { abortAllDurableObjects } from "cloudflare:test";
import { afterEach, beforeEach, describe, expect, it, vi } from "vitest";
import worker from "../../../workers/dvza/index.ts";
import { DELINDE_HOST, DVP_APP, DVP_KLUIS, OCL, UMC_HOST, storeLists } from "../../helpers/network.ts";
import { Browser, formField, location } from "../../helpers/browser.ts";
import { redeem } from "../token/helpers.ts";
import { AUTHORIZE, DIGID, REDIRECT, authorizeUrl, browser, decide, dvzaEnv, toConsent } from "./helpers.ts";

beforeEach(async () => {
  await abortAllDurableObjects();
  await storeLists(dvzaEnv.LISTS);
});
afterEach(() => vi.restoreAllMocks());

describe("AS-16: an invalid client or redirect_uri is shown to the Person, never redirected", () => {
  it.each<[string, Record<string, string | undefined>]>([
    ["unknown client_id", { client_id: "dvp.onbekend.localhost", redirect_uri: "https://dvp.onbekend.localhost/oauth/callback" }],
    ["missing client_id", { client_id: undefined }],
    ["missing redirect_uri", { redirect_uri: undefined }],
    ["http redirect_uri", { redirect_uri: `http://${DVP_KLUIS}/oauth/callback` }],
    ["upper-case host", { redirect_uri: `https://DVP.gezondheidskluis.localhost/oauth/callback` }],
    ["port 8443 (L-8)", { redirect_uri: `https://${DVP_KLUIS}:8443/oauth/callback` }],
    ["another host", { redirect_uri: "https://evil.localhost/oauth/callback" }],
    ["a subdomain of the client", { redirect_uri: `https://x.${DVP_KLUIS}/oauth/callback` }],
    ["user info", { redirect_uri: `https://evil@${DVP_KLUIS}/oauth/callback` }],
    ["a fragment", { redirect_uri: `${REDIRECT}#x` }],
    ["a relative URI", { redirect_uri: "/oauth/callback" }],
    ["the host of another client", { redirect_uri: `https://${DVP_APP}/oauth/callback` }],
  ])("%s", async (_name, params) => {
    const res = await browser().get(authorizeUrl(params));
    expect([400, 503]).toContain(res.status);
    expect(res.headers.get("location")).toBeNull();
    expect(res.headers.get("content-type")).toBe("text/html; charset=utf-8");
    expect(await res.text()).toContain("Deze aanvraag kan niet worden verwerkt");
  });

  it("a repeated client_id or redirect_uri is a page too", async () => {
    for (const dup of ["client_id", "redirect_uri"]) {
      const url = `${authorizeUrl({})}&${dup}=${encodeURIComponent(dup === "client_id" ? DVP_KLUIS : REDIRECT)}`;
      const res = await browser().get(url);
      expect(res.status).toBe(400);
      expect(res.headers.get("location")).toBeNull();
    }
  });
});

describe("other errors go back to the validated redirect_uri with error and state (RFC 6749 §4.1.2.1)", () => {
  async function errorOf(params: Record<string, string | undefined>, base?: string, extra = ""): Promise<URL> {
    const res = await browser().get(authorizeUrl(params, base) + extra);
    expect(res.status).toBe(302);
    const to = new URL(location(res));
    expect(`${to.origin}${to.pathname}`).toBe(params.redirect_uri ?? REDIRECT);
    return to;
  }

  it.each<[string, Record<string, string | undefined>, string]>([
    ["AS-4: response_type=token", { response_type: "token" }, "unsupported_response_type"],
    ["AS-4: response_type missing", { response_type: undefined }, "invalid_request"],
    ["AS-6: two scopes", { scope: "umcharderwijk~48 umcharderwijk~24" }, "invalid_scope"],
    ["AS-6: scope without the naam~ part (a peer quirk)", { scope: "48" }, "invalid_scope"],
    ["AS-6: missing scope", { scope: undefined }, "invalid_scope"],
    ["unknown Gegevensdienst", { scope: "umcharderwijk~99" }, "invalid_scope"],
    ["a provider this deployment does not host", { scope: "ziekenhuisoost~48" }, "invalid_scope"],
    ["a provider whose authorization endpoint is another host", { scope: "huisartsenpraktijkdelinde~48" }, "invalid_scope"],
    ["AS-19: an OpenID Connect request (scope openid)", { scope: "openid" }, "invalid_scope"],
    ["AS-19: no id_token (response_type code id_token)", { response_type: "code id_token" }, "unsupported_response_type"],
    ["AS-13: client not recognised for the Gegevensdienst", { client_id: DVP_APP, redirect_uri: `https://${DVP_APP}/cb`, scope: "umcharderwijk~24" }, "unauthorized_client"],
  ])("%s -> %s", async (_name, params, error) => {
    const to = await errorOf(params);
    expect(to.searchParams.get("error")).toBe(error);
    expect(to.searchParams.get("state")).toBe("s-123");
    expect(to.searchParams.get("error_description")).toBeTruthy();
  });

  it("AS-15: a missing state is invalid_request, and no state is invented", async () => {
    const res = await browser().get(authorizeUrl({ state: undefined }));
    const to = new URL(location(res));
    expect(to.searchParams.get("error")).toBe("invalid_request");
    expect(to.searchParams.has("state")).toBe(false);
  });

  it("a repeated scope is invalid_request", async () => {
    const to = await errorOf({}, undefined, "&scope=umcharderwijk~24");
    expect(to.searchParams.get("error")).toBe("invalid_request");
  });

  it("AS-17: the client's own query on the redirect_uri comes back byte for byte", async () => {
    const res = await browser().get(authorizeUrl({ redirect_uri: `${REDIRECT}?flow=a%2Fb&x=1`, response_type: "token" }));
    expect(location(res).startsWith(`${REDIRECT}?flow=a%2Fb&x=1&error=unsupported_response_type&`)).toBe(true);
  });
});

describe("the full run: authorize, DigiD, consent, code, token", () => {
  it("AS-1: asks the fixed consent question with the names from the lists, under strict headers", async () => {
    const { page, html } = await toConsent(browser());
    expect(page.status).toBe(200);
    expect(html).toContain(
      "U verleent hierbij &#39;umcharderwijk@medmij&#39; toestemming om &#39;Basisgegevens Zorg&#39; uit te wisselen met &#39;Gezondheidskluis &amp; Co&#39; voor het doel deze (persoons)gegevens en gezondheidsinformatie in uw persoonlijke gezondheidsomgeving op te nemen.",
    );
    expect(html).toContain("Ja, ik geef toestemming");
    const csp = page.headers.get("content-security-policy")!;
    expect(csp).toMatch(/default-src 'none'/);
    expect(csp).toMatch(/frame-ancestors 'none'/);
    expect(csp).toMatch(new RegExp(`form-action 'self' https://${DVP_KLUIS.replace(/\./g, "\\.")}`));
    expect(csp).not.toMatch(/script-src|unsafe-inline/);
    expect(page.headers.get("x-frame-options")).toBe("DENY");
    expect(page.headers.get("cache-control")).toBe("no-store");
    expect(page.headers.get("referrer-policy")).toBe("no-referrer");
    expect(page.headers.get("strict-transport-security")).toContain("max-age=31536000");
    expect(html).not.toMatch(/<script/i);
  });

  it("'Ja' returns a 256-bit code with the state; the code is redeemable once at the token endpoint for 900 s", async () => {
    const b = browser();
    const { html } = await toConsent(b);
    const done = await decide(b, html, "ja");
    expect(done.status).toBe(302);
    const to = new URL(location(done));
    expect(`${to.origin}${to.pathname}`).toBe(REDIRECT);
    expect(to.searchParams.get("state")).toBe("s-123");
    const code = to.searchParams.get("code")!;
    expect(code).toMatch(/^[A-Za-z0-9_-]{43}$/);
    expect(b.cookie(UMC_HOST, "__Host-medmij-as")).toBeUndefined();
    const token = await redeem(code);
    expect(token.status).toBe(200);
    expect(await token.json()).toMatchObject({ token_type: "bearer", expires_in: 900, scope: "umcharderwijk~48" });
    expect((await redeem(code)).status).toBe(400);
  });

  it("the session cookie is __Host-, Secure, HttpOnly, SameSite=Lax", async () => {
    const res = await browser().get(authorizeUrl({}));
    const cookie = res.headers.getAll("set-cookie")[0]!;
    expect(cookie).toMatch(/^__Host-medmij-as=[A-Za-z0-9_-]{43}; Path=\/; Secure; HttpOnly; SameSite=Lax; Max-Age=900$/);
  });

  it("AS-17: a redirect_uri with a trailing slash and explicit :443 is kept exactly and must be repeated exactly", async () => {
    const exact = `https://${DVP_KLUIS}:443/oauth/callback/`;
    const b = browser();
    const { html } = await toConsent(b, authorizeUrl({ redirect_uri: exact }));
    const to = location(await decide(b, html, "ja"));
    expect(to.startsWith(`${exact}?code=`)).toBe(true);
    const code = new URL(to).searchParams.get("code")!;
    expect((await redeem(code, { redirect_uri: REDIRECT })).status).toBe(400);
    expect((await redeem(code, { redirect_uri: exact })).status).toBe(200);
  });

  it("AS-2: Delen asks the fixed confirmation", async () => {
    const b = browser();
    const { html } = await toConsent(b, authorizeUrl({ scope: "umcharderwijk~5" }));
    expect(html).toContain(
      "U bevestigt hierbij dat &#39;Gezondheidskluis &amp; Co&#39; &#39;Meetwaarden vitale functies&#39; uit uw persoonlijke gezondheidsomgeving ter beschikking stelt aan &#39;umcharderwijk@medmij&#39;.",
    );
    expect(html).toContain("Ja, ik bevestig");
  });

  it("'Nee' returns access_denied with the state, and no code", async () => {
    const b = browser();
    const { html } = await toConsent(b);
    const to = new URL(location(await decide(b, html, "nee")));
    expect(to.searchParams.get("error")).toBe("access_denied");
    expect(to.searchParams.get("error_description")).toBe("Authorization denied.");
    expect(to.searchParams.get("state")).toBe("s-123");
    expect(to.searchParams.has("code")).toBe(false);
  });

  it("AS-1: consent counts for one run: a second decision is refused", async () => {
    const b = browser();
    const { html } = await toConsent(b);
    const sessionCookie = b.cookie(UMC_HOST, "__Host-medmij-as")!;
    expect((await decide(b, html, "ja")).status).toBe(302);
    const again = await SELFPost(sessionCookie, formField(html, "csrf")!, "ja");
    expect(again.status).toBe(400);
    expect(again.headers.get("location")).toBeNull();
  });

  it("S-3: a consent POST with a wrong CSRF token is refused and the session stays usable", async () => {
    const b = browser();
    const { html } = await toConsent(b);
    const forged = await b.post(`https://${UMC_HOST}/oauth/consent`, { csrf: "x".repeat(43), decision: "ja" });
    expect(forged.status).toBe(403);
    expect((await decide(b, html, "ja")).status).toBe(302);
  });

  it("S-3: a consent POST without the session cookie is refused", async () => {
    const b = browser();
    const { html } = await toConsent(b);
    const res = await new Browser().post(`https://${UMC_HOST}/oauth/consent`, { csrf: formField(html, "csrf")!, decision: "ja" });
    expect(res.status).toBe(400);
    expect(res.headers.get("location")).toBeNull();
  });

  it("S-6: a DigiD answer is only taken by the session that asked, and an artifact resolves once", async () => {
    const b = browser();
    const toDigid = await b.get(authorizeUrl({}));
    const form = await (await b.get(location(toDigid))).text();
    const back = location(await b.post(`https://${DIGID}/login`, { bsn: "999990020", RelayState: formField(form, "RelayState")!, return: formField(form, "return")! }));
    // Another browser (without this session) bringing the answer gets nothing.
    expect((await new Browser({ [DIGID]: dvzaEnv.DIGID_SIM }).get(back)).status).toBe(400);
    // Another session bringing it is refused as well, before the artifact is touched: the relay belongs
    // to the first session, so a stolen answer cannot even burn the Person's artifact.
    const other = browser();
    await other.get(authorizeUrl({ state: "other" }));
    expect((await other.get(back)).status).toBe(400);
    // The session that asked completes, once; the same answer again finds the session past that step.
    expect(location(await b.get(back))).toBe("/oauth/consent");
    expect((await b.get(back)).status).toBe(400);
    const artifact = new URL(back).searchParams.get("SAMLart")!;
    const resolve = await dvzaEnv.DIGID_SIM.fetch(`https://${DIGID}/resolve`, { method: "POST", headers: { "content-type": "application/x-www-form-urlencoded" }, body: `artifact=${artifact}` });
    expect(resolve.status).toBe(404);
  });

  it("the DigiD simulator only returns to an AS's own return endpoint", async () => {
    const res = await dvzaEnv.DIGID_SIM.fetch(`https://${DIGID}/login?RelayState=${"a".repeat(43)}&return=${encodeURIComponent("https://evil.localhost/steal")}`);
    expect(res.status).toBe(400);
  });

  it("HTML-escapes every value from the lists", async () => {
    const hostile = "<script>alert('x')</script> & \"Co\"";
    await storeLists(dvzaEnv.LISTS, { ocl: { ...OCL, volgnummer: "3002", clients: OCL.clients.map((c) => (c.hostname === DVP_KLUIS ? { ...c, organisatienaam: hostile } : c)) } });
    const { html } = await toConsent(browser());
    expect(html).not.toContain("<script>");
    expect(html).toContain("&lt;script&gt;alert(&#39;x&#39;)&lt;/script&gt; &amp; &quot;Co&quot;");
  });

  it("neither code, state, session id, artifact nor BSN appears in any log line", async () => {
    const lines: string[] = [];
    for (const m of ["log", "warn", "error"] as const) vi.spyOn(console, m).mockImplementation((...a: unknown[]) => void lines.push(a.map(String).join(" ")));
    const b = browser();
    const { html } = await toConsent(b, authorizeUrl({ state: "secret-state-value" }), "999990032");
    const session = b.cookie(UMC_HOST, "__Host-medmij-as")!;
    const code = new URL(location(await decide(b, html, "ja"))).searchParams.get("code")!;
    const all = lines.join("\n");
    expect(all).toContain("consent.given");
    for (const secret of [code, "secret-state-value", session, "999990032"]) expect(all).not.toContain(secret);
  });
});

it("front-channel paths answer other methods with 405, never reaching the back channel", async () => {
  const { SELF } = await import("cloudflare:test");
  for (const [path, method, allow] of [
    ["/oauth/authorize", "POST", "GET, HEAD"],
    ["/oauth/authn/return", "DELETE", "GET, HEAD"],
    ["/oauth/consent", "PUT", "GET, HEAD, POST"],
  ] as const) {
    const res = await SELF.fetch(`https://${UMC_HOST}${path}`, { method, body: method === "DELETE" ? undefined : "x" });
    expect(res.status, `${method} ${path}`).toBe(405);
    expect(res.headers.get("allow")).toBe(allow);
  }
});

describe("S-3: rate limiting", () => {
  it("a source beyond its authorize budget gets 429 with Retry-After", async () => {
    const tight = { ...dvzaEnv, RATE_LIMITS: JSON.stringify({ authorize: { ratePerSecond: 0.5, burst: 2 } }) };
    const ctx = { waitUntil() {}, passThroughOnException() {}, props: {} } as unknown as ExecutionContext;
    const statuses: number[] = [];
    for (let i = 0; i < 4; i++) {
      const res = await worker.fetch(new Request(authorizeUrl({}), { headers: { "cf-connecting-ip": "192.0.2.7" } }), tight, ctx);
      statuses.push(res.status);
    }
    expect(statuses).toEqual([302, 302, 429, 429]);
  });
});

it("the authorization endpoint of another provider on the same deployment works the same way", async () => {
  const b = browser();
  const { html } = await toConsent(b, authorizeUrl({ scope: "huisartsenpraktijkdelinde~48" }, `https://${DELINDE_HOST}/oauth/authorize`));
  expect(html).toContain("&#39;huisartsenpraktijkdelinde@medmij&#39;");
});

async function SELFPost(sessionCookie: string, csrf: string, decision: string): Promise<Response> {
  const { SELF } = await import("cloudflare:test");
  return SELF.fetch(`https://${UMC_HOST}/oauth/consent`, {
    method: "POST",
    redirect: "manual",
    headers: { "content-type": "application/x-www-form-urlencoded", cookie: `__Host-medmij-as=${sessionCookie}` },
    body: new URLSearchParams({ csrf, decision }).toString(),
  });
}
