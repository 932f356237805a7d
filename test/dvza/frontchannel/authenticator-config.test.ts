/**
 * Which authenticator runs, and what happens when it cannot (SPEC S-6, X-3): the simulator is refused in
 * staging and production, a broken adapter configuration is a log line and a 503 page with the way back,
 * never a silent fallback, and the deployment files say what each environment uses.
 */
import { abortAllDurableObjects } from "cloudflare:test";
import { afterEach, beforeEach, describe, expect, it, vi } from "vitest";
import worker from "../../../workers/dvza/index.ts";
import type { Env } from "../../../workers/dvza/env.ts";
import { storeLists } from "../../helpers/network.ts";
import { euOnly } from "../../helpers/residency.ts";
import { authorizeUrl, dvzaEnv } from "./helpers.ts";

const ctx = { waitUntil() {}, passThroughOnException() {}, props: {} } as unknown as ExecutionContext;

beforeEach(async () => {
  await abortAllDurableObjects();
  await storeLists(dvzaEnv.LISTS);
});
afterEach(() => vi.restoreAllMocks());

async function authorizeWith(overrides: Partial<Env>): Promise<{ res: Response; logged: string }> {
  const lines: string[] = [];
  vi.spyOn(console, "error").mockImplementation((...a: unknown[]) => void lines.push(a.map(String).join(" ")));
  // Staging and production place Durable Objects in the EU, which workerd only allows through these.
  const seen = new Map<string, string[]>();
  const placedEnv = overrides.DEPLOYMENT_ENV === "staging" || overrides.DEPLOYMENT_ENV === "production"
    ? { RATE_LIMITER: euOnly(dvzaEnv.RATE_LIMITER, "RATE_LIMITER", seen), SESSIONS: euOnly(dvzaEnv.SESSIONS, "SESSIONS", seen) }
    : {};
  const res = await worker.fetch(new Request(authorizeUrl({})), { ...dvzaEnv, ...placedEnv, ...overrides } as Env, ctx);
  return { res, logged: lines.join("\n") };
}

async function expectUnavailablePage(res: Response): Promise<void> {
  expect(res.status).toBe(503);
  expect(res.headers.get("location")).toBeNull();
  const html = await res.text();
  expect(html).toContain("Inloggen is op dit moment niet mogelijk");
  const back = new URL(/href="([^"]+)"/.exec(html)![1]!.replace(/&amp;/g, "&"));
  expect(back.searchParams.get("error")).toBe("temporarily_unavailable");
  expect(back.searchParams.get("state")).toBe("s-123");
}

describe("X-3: the DigiD simulator is never accepted in staging or production", () => {
  it.each(["staging", "production"])("%s refuses digid-sim with a log line and a 503 page", async (deployment) => {
    const { res, logged } = await authorizeWith({ DEPLOYMENT_ENV: deployment, AUTHENTICATOR: "digid-sim" });
    await expectUnavailablePage(res);
    expect(logged).toContain(`the DigiD simulator is refused in ${deployment}`);
  });

  it("development still uses it", async () => {
    const { res } = await authorizeWith({ DEPLOYMENT_ENV: "development", AUTHENTICATOR: "digid-sim" });
    expect(res.status).toBe(302);
  });
});

describe("X-3: a broken configuration fails closed, and says why in the log", () => {
  it.each<[string, Partial<Env>, RegExp]>([
    ["an unknown authenticator", { AUTHENTICATOR: "ldap" }, /no authenticator 'ldap'/],
    ["digid-saml without keys", { AUTHENTICATOR: "digid-saml" }, /SAML_SP_ENTITY_ID is not set/],
    [
      "digid-saml with metadata that is not XML",
      { AUTHENTICATOR: "digid-saml", SAML_SP_ENTITY_ID: "https://sp", SAML_SP_SIGNING_KEY: "-----BEGIN PRIVATE KEY-----\nAA==\n-----END PRIVATE KEY-----", SAML_SP_SIGNING_CERT: "-----BEGIN CERTIFICATE-----\nAA==\n-----END CERTIFICATE-----", DIGID_IDP_METADATA: "<EntityDescriptor", DIGID_MTLS: dvzaEnv.DIGID_SIM },
      /DIGID_IDP_METADATA/,
    ],
    ["oidc without an issuer", { AUTHENTICATOR: "oidc" }, /OIDC_ISSUER is not a URL/],
    ["oidc over http", { AUTHENTICATOR: "oidc", OIDC_ISSUER: "http://broker.example.nl", OIDC_CLIENT_ID: "x" }, /must be an https URL/],
    ["a minimum level that does not exist", { AUTHENTICATOR: "oidc", OIDC_ISSUER: "https://broker.example.nl", OIDC_CLIENT_ID: "x", AUTHN_MIN_LEVEL: "midden-plus" }, /AUTHN_MIN_LEVEL 'midden-plus'/],
  ])("%s", async (_name, overrides, reason) => {
    const { res, logged } = await authorizeWith(overrides);
    await expectUnavailablePage(res);
    expect(logged).toMatch(reason);
  });
});

describe("the deployment files", () => {
  const toml = import.meta.glob("../../../wrangler.toml", { query: "?raw", import: "default", eager: true })["../../../wrangler.toml"] as string;
  const section = (name: string) => toml.slice(toml.indexOf(`[env.${name}.vars]`)).split(/\n\[/)[0]!;

  it.each(["staging", "production"])("%s authenticates with DigiD SAML and names itself", (name) => {
    expect(section(name)).toContain(`DEPLOYMENT_ENV = "${name}"`);
    expect(section(name)).toContain('AUTHENTICATOR = "digid-saml"');
    expect(toml).toMatch(new RegExp(`\\[env\\.${name}\\][\\s\\S]*?binding = "DIGID_MTLS"`));
  });
});
