/**
 * Beyond the MedMij minimum (SPEC ): PKCE S256 binds a code to the client's verifier (RFC 7636,
 * RFC 9700 §2.1.1), and every authorization response names its issuer (RFC 9207).
 * The PKCE values are RFC 7636 Appendix B's, so the S256 transform is checked against the RFC, not ourselves.
 */
import { abortAllDurableObjects } from "cloudflare:test";
import { beforeEach, describe, expect, it } from "vitest";
import { storeLists, UMC_HOST } from "../../helpers/network.ts";
import { location } from "../../helpers/browser.ts";
import { redeem } from "../token/helpers.ts";
import { authorizeUrl, browser, decide, dvzaEnv, toConsent } from "./helpers.ts";

const VERIFIER = "dBjftJeZ4CVP-mB92K27uhbUJU1p1r_wW1gFWFOEjXk";
const CHALLENGE = "E9Melhoa2OwvFrEMTJguCHaoeK1t8URWbuGJSstw-cM";
const ISSUER = `https://${UMC_HOST}`;

beforeEach(async () => {
  await abortAllDurableObjects();
  await storeLists(dvzaEnv.LISTS);
});

/** The whole front channel with these extra authorize parameters; returns the authorization response URI. */
async function authorized(params: Record<string, string>, decision: "ja" | "nee" = "ja"): Promise<URL> {
  const b = browser();
  const { html } = await toConsent(b, authorizeUrl(params));
  return new URL(location(await decide(b, html, decision)));
}

describe("X-2 (RFC 9207): iss on every authorization response", () => {
  it("a code comes with state and iss", async () => {
    const to = await authorized({});
    expect(to.searchParams.get("code")).toMatch(/^[A-Za-z0-9_-]{43}$/);
    expect(to.searchParams.get("state")).toBe("s-123");
    expect(to.searchParams.get("iss")).toBe(ISSUER);
  });

  it("access_denied comes with iss", async () => {
    const to = await authorized({}, "nee");
    expect(to.searchParams.get("error")).toBe("access_denied");
    expect(to.searchParams.get("iss")).toBe(ISSUER);
  });

  it("a request error redirected to the client comes with iss", async () => {
    const res = await browser().get(authorizeUrl({ scope: "umcharderwijk~99" }));
    const to = new URL(location(res));
    expect(to.searchParams.get("error")).toBe("invalid_scope");
    expect(to.searchParams.get("state")).toBe("s-123");
    expect(to.searchParams.get("iss")).toBe(ISSUER);
  });
});

describe("X-1 (RFC 7636): PKCE S256", () => {
  const withChallenge = { code_challenge: CHALLENGE, code_challenge_method: "S256" };

  it("the right code_verifier redeems a code bound to its challenge", async () => {
    const code = (await authorized(withChallenge)).searchParams.get("code")!;
    const res = await redeem(code, { code_verifier: VERIFIER });
    expect(res.status).toBe(200);
    expect(((await res.json()) as { token_type: string }).token_type).toBe("bearer");
  });

  it("a wrong code_verifier is invalid_grant and does not spend the code", async () => {
    const code = (await authorized(withChallenge)).searchParams.get("code")!;
    const wrong = await redeem(code, { code_verifier: "x".repeat(43) });
    expect(wrong.status).toBe(400);
    expect(((await wrong.json()) as { error: string }).error).toBe("invalid_grant");
    // The rightful client, with its verifier, still gets its token (a thief's attempt locks nobody out).
    expect((await redeem(code, { code_verifier: VERIFIER })).status).toBe(200);
  });

  it("a missing code_verifier after a challenge is invalid_grant", async () => {
    const code = (await authorized(withChallenge)).searchParams.get("code")!;
    const res = await redeem(code);
    expect(res.status).toBe(400);
    expect(((await res.json()) as { error: string }).error).toBe("invalid_grant");
  });

  it("a code_verifier for a code without a challenge is refused (no PKCE downgrade, RFC 9700 §2.1.1)", async () => {
    const code = (await authorized({})).searchParams.get("code")!;
    const res = await redeem(code, { code_verifier: VERIFIER });
    expect(((await res.json()) as { error: string }).error).toBe("invalid_grant");
    expect((await redeem(code)).status).toBe(200);
  });

  it("a malformed code_verifier is invalid_request", async () => {
    const code = (await authorized(withChallenge)).searchParams.get("code")!;
    const res = await redeem(code, { code_verifier: "too-short" });
    expect(((await res.json()) as { error: string }).error).toBe("invalid_request");
  });

  it.each<[string, Record<string, string>]>([
    ["plain", { code_challenge: VERIFIER, code_challenge_method: "plain" }],
    ["no method (RFC 7636 §4.3 defaults to plain)", { code_challenge: CHALLENGE }],
    ["a method without a challenge", { code_challenge_method: "S256" }],
    ["a challenge that is no SHA-256", { code_challenge: "abc", code_challenge_method: "S256" }],
  ])("%s is refused with invalid_request at the redirect_uri", async (_name, params) => {
    const to = new URL(location(await browser().get(authorizeUrl(params))));
    expect(to.origin + to.pathname).toBe("https://dvp.gezondheidskluis.localhost/oauth/callback");
    expect(to.searchParams.get("error")).toBe("invalid_request");
    expect(to.searchParams.get("iss")).toBe(ISSUER);
  });
});
