/**
 * Issue 19 #2: all state shared when instances share it (GRANTS_BACKEND=postgres, a real PostgreSQL server), so any
 * instance serves any request and the front channel needs no sticky routing:
 *   - one authorization flow of a Person's browser, every step at another DVZA instance (separate processes, each its
 *     own DATA_DIR as on two hosts): authorize, DigiD simulator, return, consent page, consent decision, token,
 *     resource (AS-1, AS-10, S-3); a replayed consent decision at the other instance finds the session gone;
 *   - rate state with the lease scheme (S-3): a burst of 6 for a source address admits 6 requests spread over both
 *     instances, not 6 at each;
 *   - the PGO's sessions and OAuth flows (AS-15) through workers/dvp/session.ts at two instances' stores: a session
 *     made at one is found at the other, a flow started at one is taken once at the other, and of two racing takes
 *     exactly one succeeds.
 */
import assert from "node:assert/strict";
import { fhirSeed } from "../../kv-seed/fhir/data.mjs";
import { DenoNamespace } from "../../workers/adapter/deno/durable-object.ts";
import { openSharedStore } from "../../workers/adapter/deno/shared-store.ts";
import { FhirStore } from "../../durable-objects/fhir-store.ts";
import { DigidArtifacts } from "../../durable-objects/digid-artifacts.ts";
import digidSim from "../../workers/digid-sim/index.ts";
import { currentSession, login, startFlow, takeFlow } from "../../workers/dvp/session.ts";
import type { Env as DvpEnv } from "../../workers/dvp/env.ts";
import { registratieWithLists, spawnInstance, TEST_PROXY_SECRET, viaProxy, type Instance } from "./helpers.ts";
import { HAVE_POSTGRES, startPostgres } from "./postgres.ts";

const UMC = "umcharderwijk.zorgbridge.localhost";
const CLIENT = "dvp.gezondheidskluis.localhost";
const REDIRECT = `https://${CLIENT}/oauth/callback`;
const UNLIMITED = { ratePerSecond: 1e6, burst: 1e6 };

/** A browser's cookies for one host (the DVZA's; each instance serves the same host). */
class Jar {
  readonly #cookies = new Map<string, string>();
  take(r: Response): void {
    for (const c of (r.headers as unknown as { getSetCookie(): string[] }).getSetCookie()) {
      const [pair] = c.split(";");
      const eq = pair!.indexOf("=");
      const name = pair!.slice(0, eq);
      if (/max-age=0/i.test(c)) this.#cookies.delete(name);
      else this.#cookies.set(name, pair!.slice(eq + 1));
    }
  }
  header(): Record<string, string> {
    return this.#cookies.size ? { cookie: [...this.#cookies].map(([k, v]) => `${k}=${v}`).join("; ") } : {};
  }
}

const field = (html: string, name: string) => new RegExp(`name="${name}" value="([^"]*)"`).exec(html)?.[1]?.replace(/&amp;/g, "&");

Deno.test({
  name: "All state shared (PostgreSQL): one flow with every step at another instance, shared rate state, shared PGO sessions and flows",
  ignore: !HAVE_POSTGRES,
  async fn(t) {
    const pg = await startPostgres();
    const dir = await Deno.makeTempDir();
    const registratie = await registratieWithLists(dir);
    // The DigiD simulator, in this process.
    const simEnv = { DO_JURISDICTION: "none" } as Record<string, unknown>;
    const artifacts = new DenoNamespace("ARTIFACTS", DigidArtifacts as never, simEnv, { dataDir: ":memory:" });
    simEnv.ARTIFACTS = artifacts;
    const simAbort = new AbortController();
    let simPort = 0;
    const sim = Deno.serve({ port: 0, hostname: "127.0.0.1", signal: simAbort.signal, onListen: (a) => (simPort = a.port) }, (request) => {
      const u = new URL(request.url);
      return digidSim.fetch(new Request(`https://digid.medmij.localhost${u.pathname}${u.search}`, request), simEnv as never, { waitUntil() {}, passThroughOnException() {} } as never);
    });
    const instances: Instance[] = [];
    const stores: Awaited<ReturnType<typeof openSharedStore>>[] = [];
    try {
      const common = {
        REGISTRATIE_URL: registratie.url, DVZA_HOSTNAMES: UMC, TRUSTED_PROXIES: "127.0.0.1", PROXY_SECRET: TEST_PROXY_SECRET, GRANT_SHARDS: "4",
        GRANTS_BACKEND: "postgres", DATABASE_URL: pg.url, AUTHENTICATOR: "digid-sim", DEPLOYMENT_ENV: "development", DIGID_SIM_URL: `http://127.0.0.1:${simPort}`,
        RATE_LIMITS: JSON.stringify({ authorize: { ratePerSecond: 0.001, burst: 6 }, token: UNLIMITED, resource: UNLIMITED }),
      };
      // Store mode's FhirStore stays in each instance's own files: each "host" is fed the provider's data.
      for (const name of ["a", "b"]) {
        const fhir = new DenoNamespace("FHIR", FhirStore as never, {}, { dataDir: `${dir}/${name}` });
        await (fhir.get(fhir.idFromName("umcharderwijk@medmij")) as unknown as { seed(t: readonly string[]): Promise<number> }).seed(fhirSeed("umcharderwijk@medmij"));
        fhir.close();
        instances.push(await spawnInstance("dvza", { ...common, DATA_DIR: `${dir}/${name}` }));
      }
      const [a, b] = instances as [Instance, Instance];
      const jar = new Jar();
      /** The Person's browser through the TLS terminator: the proxy's headers, this browser's address and cookies. */
      const browse = async (at: Instance, path: string, init: RequestInit & { address?: string } = {}) => {
        const headers = { "x-forwarded-host": UMC, "x-medmij-proxy-secret": TEST_PROXY_SECRET, "x-ssl-client-verify": "NONE", "x-real-ip": init.address ?? "10.0.0.1", ...jar.header(), ...(init.headers as Record<string, string> | undefined) };
        const r = await fetch(`${at.url}${path}`, { ...init, headers, redirect: "manual" });
        jar.take(r);
        return r;
      };
      const pathOf = (location: string) => {
        const u = new URL(location);
        return u.pathname + u.search;
      };

      await t.step("one authorization flow, each step at another instance: authorize (A), DigiD, return (B), consent (A), decision (B), token (A), resource (B)", async () => {
        const q = new URLSearchParams({ response_type: "code", client_id: CLIENT, redirect_uri: REDIRECT, scope: "umcharderwijk~48", state: crypto.randomUUID() });
        const toDigid = await browse(a, `/oauth/authorize?${q}`);
        assert.equal(toDigid.status, 302, await toDigid.text());
        const loginPage = await fetch(`http://127.0.0.1:${simPort}${pathOf(toDigid.headers.get("location")!)}`);
        const html = await loginPage.text();
        assert.equal(loginPage.status, 200, html);
        const back = await fetch(`http://127.0.0.1:${simPort}/login`, {
          method: "POST", redirect: "manual", headers: { "content-type": "application/x-www-form-urlencoded" },
          body: new URLSearchParams({ bsn: "999990019", RelayState: field(html, "RelayState")!, return: field(html, "return")! }).toString(),
        });
        assert.equal(back.status, 302);
        await back.body?.cancel();
        const returned = await browse(b, pathOf(back.headers.get("location")!));
        assert.equal(returned.status, 302, await returned.text());
        const consent = await browse(a, "/oauth/consent");
        const consentHtml = await consent.text();
        assert.equal(consent.status, 200, consentHtml);
        const form = new URLSearchParams({ csrf: field(consentHtml, "csrf")!, decision: "ja" }).toString();
        const decided = await browse(b, "/oauth/consent", { method: "POST", headers: { "content-type": "application/x-www-form-urlencoded" }, body: form });
        assert.equal(decided.status, 302);
        await decided.body?.cancel();
        const redirect = new URL(decided.headers.get("location")!);
        assert.equal(redirect.origin + redirect.pathname, REDIRECT);
        const code = redirect.searchParams.get("code")!;
        assert.ok(code, "a code");
        // AS-1: one consent, one run: the same decision again, at the other instance, finds no session.
        const again = await browse(a, "/oauth/consent", { method: "POST", headers: { "content-type": "application/x-www-form-urlencoded" }, body: form });
        assert.notEqual(again.status, 302);
        await again.body?.cancel();
        const token = await fetch(`${a.url}/oauth/token`, {
          method: "POST", headers: { "x-forwarded-host": UMC, "content-type": "application/x-www-form-urlencoded", ...viaProxy(CLIENT) },
          body: new URLSearchParams({ grant_type: "authorization_code", code, redirect_uri: REDIRECT }).toString(),
        });
        assert.equal(token.status, 200);
        const { access_token } = (await token.json()) as { access_token: string };
        const resource = await fetch(`${b.url}/48/fhir/Patient`, { headers: { "x-forwarded-host": UMC, authorization: `Bearer ${access_token}`, "medmij-request-id": crypto.randomUUID(), ...viaProxy(CLIENT) } });
        const bundle = (await resource.json()) as { entry?: { resource: { id: string } }[] };
        assert.equal(resource.status, 200);
        assert.deepEqual(bundle.entry?.map((e) => e.resource.id), ["pat-jansen"]);
      });

      await t.step("S-3: rate state is shared: a burst of 6 admits 6 authorize requests over both instances together", async () => {
        let admitted = 0;
        for (let i = 0; i < 12; i++) {
          const r = await browse(i % 2 ? b : a, "/oauth/authorize", { address: "10.0.0.2" });
          await r.body?.cancel();
          if (r.status !== 429) admitted++;
        }
        assert.equal(admitted, 6);
      });

      await t.step("AS-15: the PGO's sessions and flows are shared: made at one instance, used at the other, a flow taken once", async () => {
        stores.push(await openSharedStore("dvp", { DATABASE_URL: pg.url }), await openSharedStore("dvp", { DATABASE_URL: pg.url }));
        const envOf = (i: number) => ({ ...stores[i]!.bindings, SESSION_SHARDS: "4", DO_JURISDICTION: "none" }) as unknown as DvpEnv;
        const cookie = await login(envOf(0), "person-1");
        const request = new Request("https://dvp.gezondheidskluis.localhost/", { headers: { cookie: cookie.split(";")[0]! } });
        const atB = await currentSession(envOf(1), request);
        assert.equal(atB?.personId, "person-1");
        const atA = await currentSession(envOf(0), request);
        const flow = { personId: "person-1", zorgaanbieder: "umcharderwijk@medmij", gegevensdienstId: "48", useCase: "verzamelen" as const, startedAt: Date.now() };
        const state = await startFlow(atA!, flow);
        const taken = await takeFlow(atB!, state);
        assert.equal(taken.ok, true);
        const replay = await takeFlow(atA!, state);
        assert.deepEqual(replay, { ok: false, refusal: "used" });
        const racing = await startFlow(atA!, flow);
        const both = await Promise.all([takeFlow(atA!, racing), takeFlow(atB!, racing)]);
        assert.equal(both.filter((r) => r.ok).length, 1, "exactly one of two racing takes");
      });
    } finally {
      for (const i of instances) await i.stop();
      for (const s of stores) await s.close();
      simAbort.abort();
      await sim.finished;
      artifacts.close();
      await registratie.stop();
      await registratie.node.close();
      await pg.stop();
      await Deno.remove(dir, { recursive: true });
    }
  },
});
