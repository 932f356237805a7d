/**
 * SPEC X-5: every Durable Object the DVZA uses (grants, sessions, rate state, FHIR data) is created in the EU
 * jurisdiction. The whole front channel, the token endpoint and the Resource Server run against namespaces
 * that throw unless placed in `eu`; the deployment files leave no way to turn that off in staging or production.
 */
import { abortAllDurableObjects, env } from "cloudflare:test";
import { beforeAll, beforeEach, describe, expect, it } from "vitest";
import { fhirSeed } from "../../kv-seed/fhir/data.mjs";
import worker from "../../workers/dvza/index.ts";
import type { Env } from "../../workers/dvza/env.ts";
import { jurisdictionOf } from "../../workers/shared/durable/placement.ts";
import { Browser, formField, location } from "../helpers/browser.ts";
import { DVP_KLUIS, UMC_HOST, mtlsFrom, storeLists } from "../helpers/network.ts";
import { euOnly } from "../helpers/residency.ts";

const real = env as unknown as Env & { DIGID_SIM: Fetcher };
const ctx = { waitUntil() {}, passThroughOnException() {}, props: {} } as unknown as ExecutionContext;
const DIGID = "digid.medmij.localhost";
const REDIRECT = `https://${DVP_KLUIS}/oauth/callback`;

beforeAll(async () => {
  await real.FHIR.get(real.FHIR.idFromName("umcharderwijk@medmij")).seed(fhirSeed("umcharderwijk@medmij"));
});
beforeEach(async () => {
  await abortAllDurableObjects();
  await storeLists(real.LISTS);
});

describe("X-5: the DVZA's Durable Objects live in the EU", () => {
  it("authorize, DigiD, consent, token and a FHIR search work with EU-only namespaces, and each was placed in eu", async () => {
    const seen = new Map<string, string[]>();
    const euEnv: Env = {
      ...real,
      DO_JURISDICTION: undefined,
      GRANTS: euOnly(real.GRANTS, "GRANTS", seen),
      SESSIONS: euOnly(real.SESSIONS, "SESSIONS", seen),
      RATE_LIMITER: euOnly(real.RATE_LIMITER, "RATE_LIMITER", seen),
      FHIR: euOnly(real.FHIR, "FHIR", seen),
    };
    const dvza = { fetch: async (r: Request) => worker.fetch(r, euEnv, ctx) };
    const b = new Browser({ [UMC_HOST]: dvza, [DIGID]: real.DIGID_SIM });
    const q = new URLSearchParams({ response_type: "code", client_id: DVP_KLUIS, redirect_uri: REDIRECT, scope: "umcharderwijk~48", state: "eu" });
    const form = await (await b.get(location(await b.get(`https://${UMC_HOST}/oauth/authorize?${q}`)))).text();
    const back = await b.post(`https://${DIGID}/login`, { bsn: "999990019", RelayState: formField(form, "RelayState")!, return: formField(form, "return")! });
    await b.get(location(back));
    const consent = await (await b.get(`https://${UMC_HOST}/oauth/consent`)).text();
    const code = new URL(location(await b.post(`https://${UMC_HOST}/oauth/consent`, { csrf: formField(consent, "csrf")!, decision: "ja" }))).searchParams.get("code")!;
    const cf = mtlsFrom(DVP_KLUIS) as unknown as IncomingRequestCfProperties;
    const token = await dvza.fetch(new Request(`https://${UMC_HOST}/oauth/token`, { method: "POST", cf, headers: { "content-type": "application/x-www-form-urlencoded" }, body: new URLSearchParams({ grant_type: "authorization_code", code, redirect_uri: REDIRECT }).toString() }));
    const { access_token } = (await token.json()) as { access_token: string };
    const fhir = await dvza.fetch(new Request(`https://${UMC_HOST}/48/fhir/Patient`, { cf, headers: { authorization: `Bearer ${access_token}`, "medmij-request-id": crypto.randomUUID() } }));
    expect(fhir.status).toBe(200);
    expect([...seen.keys()].sort()).toEqual(["FHIR", "GRANTS", "RATE_LIMITER", "SESSIONS"]);
    expect([...seen.values()].flat().every((j) => j === "eu")).toBe(true);
  });

  it("staging and production are always eu; only development may say none", () => {
    expect(jurisdictionOf({})).toBe("eu");
    expect(jurisdictionOf({ DO_JURISDICTION: "none", DEPLOYMENT_ENV: "development" })).toBe("none");
    expect(jurisdictionOf({ DO_JURISDICTION: "none", DEPLOYMENT_ENV: "production" })).toBe("eu");
    expect(jurisdictionOf({ DO_JURISDICTION: "none", DEPLOYMENT_ENV: "staging" })).toBe("eu");
    expect(jurisdictionOf({ DO_JURISDICTION: "us" })).toBe("eu");
  });

  it("the deployment files set none only for development, never in an environment", () => {
    const files = {
      ...import.meta.glob("../../wrangler.toml", { query: "?raw", import: "default", eager: true }),
      ...import.meta.glob("../../workers/*/wrangler.toml", { query: "?raw", import: "default", eager: true }),
    } as Record<string, string>;
    expect(Object.keys(files).length).toBe(4);
    for (const [file, toml] of Object.entries(files)) {
      const environments = toml.indexOf("[env.");
      const inEnvironments = environments < 0 ? "" : toml.slice(environments);
      expect(inEnvironments, file).not.toMatch(/DO_JURISDICTION/);
    }
  });
});
