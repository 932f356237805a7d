/**
 * Property-based tests (fast-check) over the authorize and token parameter space and over list XML
 * mutations: no input yields a 5xx, a token for the wrong client, a redirect to an unvalidated URI,
 * or the loss of the last valid list (SPEC AS-10, AS-11, AS-16, AS-17, L-9, S-3).
 */
import { SELF, abortAllDurableObjects, env, reset } from "cloudflare:test";
import fc from "fast-check";
import { beforeEach, describe, expect, it } from "vitest";
import type { Env } from "../../workers/dvza/env.ts";
import { DVZA_LISTS } from "../../workers/dvza/index.ts";
import { redirectUriProblem } from "../../workers/dvza/redirect-uri.ts";
import { refreshAll, refreshList } from "../../workers/shared/lists/refresh.ts";
import { readStored } from "../../workers/shared/lists/store.ts";
import type { ListKind } from "../../workers/shared/lists/catalogue.ts";
import { DVP_APP, DVP_KLUIS, UMC_HOST, mtlsFrom, storeLists } from "../helpers/network.ts";
import { SEED_XML } from "../helpers/seed-xml.ts";
import { newCode, REDIRECT } from "./token/helpers.ts";

const dvzaEnv = env as unknown as Env;
const RUNS = 150;
let source = 0;

beforeEach(async () => {
  await abortAllDurableObjects();
  await storeLists(dvzaEnv.LISTS, {});
});

const clientIds = fc.constantFrom(DVP_KLUIS, DVP_APP, "dvp.onbekend.localhost", "DVP.gezondheidskluis.localhost", "", "x");
const redirectUris = fc.oneof(
  fc.constantFrom(
    REDIRECT, `${REDIRECT}/`, `${REDIRECT}?a=1`, `https://${DVP_KLUIS}:443/oauth/callback`, `https://${DVP_KLUIS}:8443/oauth/callback`,
    `http://${DVP_KLUIS}/oauth/callback`, `https://${DVP_APP}/cb`, "https://evil.localhost/cb", `https://evil@${DVP_KLUIS}/cb`, `${REDIRECT}#f`,
    "javascript:alert(1)", "//evil.localhost/cb", `https://${DVP_KLUIS}.evil.localhost/cb`,
  ),
  fc.webUrl({ withQueryParameters: true, withFragments: true }),
  fc.string(),
);
const scopes = fc.oneof(fc.constantFrom("umcharderwijk~48", "umcharderwijk~24", "umcharderwijk~5", "umcharderwijk~99", "ziekenhuisoost~48", "umcharderwijk~48 umcharderwijk~24", "48", ""), fc.string());
const optional = <T>(a: fc.Arbitrary<T>) => fc.option(a, { nil: undefined });

describe("authorize: any parameters", () => {
  it("never 5xx, and never redirects anywhere but the DigiD login or a redirect_uri that passed validation (AS-16)", async () => {
    await fc.assert(
      fc.asyncProperty(
        fc.record({
          response_type: optional(fc.constantFrom("code", "token", "code id_token", "")),
          client_id: optional(clientIds),
          redirect_uri: optional(redirectUris),
          scope: optional(scopes),
          state: optional(fc.string({ maxLength: 20 })),
        }),
        fc.array(fc.tuple(fc.constantFrom("client_id", "redirect_uri", "scope", "state", "prompt", "nonce"), fc.string({ maxLength: 10 })), { maxLength: 2 }),
        async (params, extra) => {
          const q = new URLSearchParams();
          for (const [k, v] of Object.entries(params)) if (v !== undefined) q.append(k, v);
          for (const [k, v] of extra) q.append(k, v);
          const res = await SELF.fetch(`https://${UMC_HOST}/oauth/authorize?${q}`, { redirect: "manual", headers: { "cf-connecting-ip": `198.51.${Math.floor(source / 250) % 250}.${source++ % 250}` } });
          await res.body?.cancel();
          expect(res.status).toBeLessThan(500);
          const location = res.headers.get("location");
          if (location === null) return;
          if (location.startsWith("https://digid.medmij.localhost/login?")) return;
          // Any other redirect goes to exactly the redirect_uri of the request, which validated for its client.
          const clientId = q.getAll("client_id");
          const redirectUri = q.getAll("redirect_uri");
          expect(clientId).toHaveLength(1);
          expect(redirectUri).toHaveLength(1);
          expect(redirectUriProblem(redirectUri[0]!, clientId[0]!)).toBeUndefined();
          expect(location.startsWith(`${redirectUri[0]!}${redirectUri[0]!.includes("?") ? "&" : "?"}`) || location.startsWith(redirectUri[0]!)).toBe(true);
        },
      ),
      { numRuns: RUNS, seed: 42 },
    );
  }, 60_000);
});

describe("any method on any path, with or without a certificate", () => {
  it("never 5xx", async () => {
    await fc.assert(
      fc.asyncProperty(
        fc.constantFrom("GET", "HEAD", "POST", "PUT", "DELETE", "PATCH", "OPTIONS"),
        fc.oneof(
          fc.constantFrom("/", "/oauth/authorize", "/oauth/authn/return", "/oauth/consent", "/oauth/token", "/48/fhir", "/48/fhir/Patient", "/5/fhir/Observation", "/51/fhir/Binary/x", "/oauth", "/.well-known/x"),
          fc.webPath(),
        ),
        fc.constantFrom(DVP_KLUIS, "evil.localhost", null),
        fc.constantFrom<string | null>(null, "application/json", "application/x-www-form-urlencoded", "application/fhir+json"),
        async (method, path, cert, contentType) => {
          const init: RequestInit & { cf?: unknown } = { method, redirect: "manual", headers: contentType ? { "content-type": contentType, "medmij-request-id": crypto.randomUUID() } : {} };
          if (method !== "GET" && method !== "HEAD") init.body = "{}";
          if (cert) init.cf = mtlsFrom(cert);
          const res = await SELF.fetch(`https://${UMC_HOST}${path.startsWith("/") ? path : `/${path}`}`, init as RequestInit);
          await res.body?.cancel();
          expect(res.status, `${method} ${path}`).toBeLessThan(500);
        },
      ),
      { numRuns: RUNS, seed: 3 },
    );
  }, 60_000);
});

describe("token: any request", () => {
  it("never 5xx, and a token only ever goes to the client the code was issued to, for its exact redirect_uri (AS-11, AS-17)", async () => {
    await fc.assert(
      fc.asyncProperty(
        fc.constantFrom(DVP_KLUIS, DVP_APP, "dvp.onbekend.localhost"),
        fc.record({
          grant_type: optional(fc.constantFrom("authorization_code", "password", "refresh_token", "")),
          useCode: fc.constantFrom("issued", "random", "none"),
          redirect_uri: optional(redirectUris),
          client_id: optional(clientIds),
        }),
        fc.constantFrom("application/x-www-form-urlencoded", "application/json", "text/plain"),
        async (presenter, p, contentType) => {
          const code = await newCode();
          const body = new URLSearchParams();
          if (p.grant_type !== undefined) body.set("grant_type", p.grant_type);
          if (p.useCode === "issued") body.set("code", code);
          if (p.useCode === "random") body.set("code", crypto.randomUUID());
          if (p.redirect_uri !== undefined) body.set("redirect_uri", p.redirect_uri);
          if (p.client_id !== undefined) body.set("client_id", p.client_id);
          const res = await SELF.fetch(`https://${UMC_HOST}/oauth/token`, {
            method: "POST",
            headers: { "content-type": contentType },
            body: body.toString(),
            cf: mtlsFrom(presenter) as unknown as IncomingRequestCfProperties,
          });
          await res.text();
          expect(res.status).toBeLessThan(500);
          if (res.status === 200) {
            expect(presenter).toBe(DVP_KLUIS);
            expect(p.useCode).toBe("issued");
            expect(p.redirect_uri).toBe(REDIRECT);
            expect(p.grant_type).toBe("authorization_code");
            expect(p.client_id === undefined || p.client_id === DVP_KLUIS).toBe(true);
          }
        },
      ),
      { numRuns: RUNS, seed: 7 },
    );
  }, 60_000);
});

describe("list refresh: any mutation of the served XML", () => {
  it("never loses the last valid list and never takes an invalid one into use (L-9)", async () => {
    await reset();
    await refreshAll(DVZA_LISTS, { kv: dvzaEnv.LISTS, registratieUrl: "https://registratie.medmij.localhost", fetch: async (r) => new Response(SEED_XML[/MedMij_(\w+)\.xml/.exec(r.url)![1] as ListKind]) });
    const before = await readStored(dvzaEnv.LISTS, "Whitelist");
    expect(before?.list.volgnummer).toBe("2001");
    const mutation = fc.oneof(
      fc.record({ at: fc.nat(), cut: fc.nat({ max: 40 }) }).map(({ at, cut }) => (s: string) => s.slice(0, at % s.length) + s.slice((at % s.length) + cut)),
      fc.record({ at: fc.nat(), text: fc.string({ maxLength: 12 }) }).map(({ at, text }) => (s: string) => s.slice(0, at % s.length) + text + s.slice(at % s.length)),
      fc.constantFrom(
        (s: string) => s.replace("2001", "1"),
        (s: string) => s.replace("2001", "2002").replace("2026-11-01", "2025-01-01"),
        (s: string) => s.replace("localhost</Hostname>", "LOCALHOST</Hostname>"),
        (s: string) => s.replace(/<MedMijNodes>/, "<!DOCTYPE x [<!ENTITY a 'b'>]><MedMijNodes>"),
      ),
    );
    await fc.assert(
      fc.asyncProperty(mutation, async (mutate) => {
        const served = mutate(SEED_XML.Whitelist);
        const outcome = await refreshList({ kind: "Whitelist", release: "2" }, { kv: dvzaEnv.LISTS, registratieUrl: "https://registratie.medmij.localhost", fetch: async () => new Response(served) });
        const now = await readStored(dvzaEnv.LISTS, "Whitelist");
        expect(now).not.toBeNull();
        if (outcome.result === "updated") {
          // Only a valid, newer list may replace the one in use, and then it is what is stored.
          expect(BigInt(now!.list.volgnummer)).toBeGreaterThan(BigInt(before!.list.volgnummer));
          expect(now!.list.hostnames.every((h) => /^[a-z0-9.-]+$/.test(h))).toBe(true);
          // Put the original back so every run starts from the same list.
          await storeLists(dvzaEnv.LISTS, {});
          await dvzaEnv.LISTS.put("list/Whitelist", JSON.stringify(before));
        } else {
          expect(now!.list.volgnummer).toBe(before!.list.volgnummer);
          expect(now!.sha256).toBe(before!.sha256);
        }
      }),
      { numRuns: 300, seed: 99 },
    );
  }, 120_000);
});
