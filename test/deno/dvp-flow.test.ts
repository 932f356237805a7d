/**
 * Issue 19 #2 and #3 together: the DVP role on Deno (two instances, separate processes, sharing PostgreSQL for their
 * sessions, OAuth flows and lists) collects from the DVZA role on Deno behind nginx, with its outbound mutual TLS
 * (certificate and key from files, through an HTTP CONNECT egress proxy standing in for DNS). The Person logs in at
 * DVP instance A, starts Verzamelen at B, comes back with the code at A: A takes the flow B started (AS-15, once),
 * redeems the code over mutual TLS (S-2: nginx verified the DVP's certificate, the DVZA checked its CN against the
 * Whitelist, W-1), fetches the Person's BgZ and stores it; the collection is there, complete.
 */
import assert from "node:assert/strict";
import { fhirSeed } from "../../kv-seed/fhir/data.mjs";
import { DigidArtifacts } from "../../durable-objects/digid-artifacts.ts";
import { DenoNamespace } from "../../workers/adapter/deno/durable-object.ts";
import { node, refreshLists, serveRequest } from "../../workers/adapter/deno/serve.ts";
import { proxyTrust } from "../../workers/adapter/deno/tls-client-auth.ts";
import digidSim from "../../workers/digid-sim/index.ts";
import type { Env as DvzaEnv } from "../../workers/dvza/env.ts";
import { registratieWithLists, spawnInstance, TEST_PROXY_SECRET, type Instance } from "./helpers.ts";
import { CLIENT, connectProxy, freePort, HAVE_NGINX, makePki, startNginx, UMC } from "./pki.ts";
import { HAVE_POSTGRES, startPostgres } from "./postgres.ts";

const NGINX_SECRET = crypto.randomUUID().replaceAll("-", "") + crypto.randomUUID().replaceAll("-", "");

/** A browser: cookies per host, every request through the TLS terminator's headers. */
class Browser {
  readonly #jars = new Map<string, Map<string, string>>();
  async go(base: string, host: string, path: string, init: RequestInit = {}): Promise<Response> {
    const jar = this.#jars.get(host) ?? new Map<string, string>();
    this.#jars.set(host, jar);
    const headers: Record<string, string> = { "x-forwarded-host": host, "x-medmij-proxy-secret": TEST_PROXY_SECRET, "x-ssl-client-verify": "NONE", ...(init.headers as Record<string, string> | undefined) };
    if (jar.size) headers.cookie = [...jar].map(([k, v]) => `${k}=${v}`).join("; ");
    const r = await fetch(`${base}${path}`, { ...init, headers, redirect: "manual" });
    for (const c of (r.headers as unknown as { getSetCookie(): string[] }).getSetCookie()) {
      const [pair] = c.split(";");
      const eq = pair!.indexOf("=");
      if (/max-age=0/i.test(c)) jar.delete(pair!.slice(0, eq));
      else jar.set(pair!.slice(0, eq), pair!.slice(eq + 1));
    }
    return r;
  }
}

const field = (html: string, name: string) => new RegExp(`name="${name}" value="([^"]*)"`).exec(html)?.[1]?.replace(/&amp;/g, "&");
const pathOf = (location: string) => {
  const u = new URL(location);
  return u.pathname + u.search;
};
const form = (fields: Record<string, string>) => ({ method: "POST", headers: { "content-type": "application/x-www-form-urlencoded" }, body: new URLSearchParams(fields).toString() });

Deno.test({
  name: "Verzamelen from the DVP role on Deno: login at one instance, start at the other, callback at the first, the code redeemed over mutual TLS through nginx",
  ignore: !HAVE_NGINX || !HAVE_POSTGRES,
  async fn() {
    const pg = await startPostgres();
    const dir = await Deno.makeTempDir();
    const registratie = await registratieWithLists(dir);
    const simEnv: Record<string, unknown> = { DO_JURISDICTION: "none" };
    const artifacts = new DenoNamespace("ARTIFACTS", DigidArtifacts as never, simEnv, { dataDir: ":memory:" });
    simEnv.ARTIFACTS = artifacts;
    const aborts: AbortController[] = [];
    const servers: Deno.HttpServer[] = [];
    let simPort = 0;
    const simAbort = new AbortController();
    aborts.push(simAbort);
    servers.push(
      Deno.serve({ port: 0, hostname: "127.0.0.1", signal: simAbort.signal, onListen: (a) => (simPort = a.port) }, (request) => {
        const u = new URL(request.url);
        return digidSim.fetch(new Request(`https://digid.medmij.localhost${u.pathname}${u.search}`, request), simEnv as never, { waitUntil() {}, passThroughOnException() {} } as never);
      }),
    );
    const dvza = await node("dvza", {
      DATA_DIR: `${dir}/dvza`, REGISTRATIE_URL: registratie.url, DVZA_HOSTNAMES: UMC, GRANT_SHARDS: "1",
      AUTHENTICATOR: "digid-sim", DEPLOYMENT_ENV: "development", DIGID_SIM_URL: `http://127.0.0.1:${simPort}`,
    });
    const instances: Instance[] = [];
    let nginx: { stop(): Promise<void> } | undefined;
    let proxy: ReturnType<typeof connectProxy> | undefined;
    try {
      await makePki(dir);
      await refreshLists(dvza);
      const fhir = (dvza.env as unknown as DvzaEnv).FHIR;
      await fhir.get(fhir.idFromName("umcharderwijk@medmij")).seed(fhirSeed("umcharderwijk@medmij"));
      // The DVZA: its front channel straight from the browser (the test), its back channel behind nginx.
      const denoPort = await freePort();
      const dvzaAbort = new AbortController();
      aborts.push(dvzaAbort);
      const trusted = proxyTrust("127.0.0.1", TEST_PROXY_SECRET);
      const behindNginx = proxyTrust("127.0.0.1", NGINX_SECRET);
      servers.push(Deno.serve({ port: denoPort, hostname: "127.0.0.1", signal: dvzaAbort.signal, onListen() {} }, (r, info) => serveRequest(dvza, behindNginx, r, (info.remoteAddr as Deno.NetAddr).hostname)));
      let frontPort = 0;
      servers.push(Deno.serve({ port: 0, hostname: "127.0.0.1", signal: dvzaAbort.signal, onListen: (a) => (frontPort = a.port) }, (r, info) => serveRequest(dvza, trusted, r, (info.remoteAddr as Deno.NetAddr).hostname)));
      const tlsPort = await freePort();
      nginx = await startNginx(dir, "nginx", {
        LISTEN: `127.0.0.1:${tlsPort}`, SERVER_NAMES: UMC, SERVER_CERT: `${dir}/server.crt`, SERVER_KEY: `${dir}/server.key`,
        CLIENT_CA: `${dir}/ca.crt`, CLIENT_CRL: "none", UPSTREAM: `127.0.0.1:${denoPort}`, PROXY_SECRET: NGINX_SECRET,
      });
      proxy = connectProxy(tlsPort);
      const dvpVars = {
        REGISTRATIE_URL: registratie.url, DVP_HOSTNAME: CLIENT, DVP_NAME: "Gezondheidskluis", PGO_LOGIN: "test-persons", DEPLOYMENT_ENV: "development",
        TRUSTED_PROXIES: "127.0.0.1", PROXY_SECRET: TEST_PROXY_SECRET, GRANTS_BACKEND: "postgres", DATABASE_URL: pg.url,
        MTLS_CERT_FILE: `${dir}/good.crt`, MTLS_KEY_FILE: `${dir}/good.key`, MTLS_CA_FILE: `${dir}/ca.crt`, MTLS_PROXY: `http://127.0.0.1:${proxy.port}`,
      };
      instances.push(await spawnInstance("dvp", { ...dvpVars, DATA_DIR: `${dir}/dvp-a` }), await spawnInstance("dvp", { ...dvpVars, DATA_DIR: `${dir}/dvp-b` }));
      const [a, b] = instances as [Instance, Instance];
      const browser = new Browser();
      const front = `http://127.0.0.1:${frontPort}`;

      const loggedIn = await browser.go(a.url, CLIENT, "/login", form({ person: "jansen" }));
      assert.equal(loggedIn.status, 303, await loggedIn.text());
      const dashboard = await browser.go(b.url, CLIENT, "/");
      const dashHtml = await dashboard.text();
      assert.equal(dashboard.status, 200, "B knows A's session");
      const started = await browser.go(b.url, CLIENT, "/verzamelen", { ...form({ csrf: field(dashHtml, "csrf")!, zorgaanbieder: "umcharderwijk@medmij", gegevensdienst: "48" }), headers: { "content-type": "application/x-www-form-urlencoded", accept: "application/json" } });
      const startBody = await started.text();
      assert.equal(started.status, 200, startBody);
      const authorizeUrl = new URL((JSON.parse(startBody) as { authorizeUrl: string }).authorizeUrl);
      assert.equal(authorizeUrl.host, UMC);

      const toDigid = await browser.go(front, UMC, authorizeUrl.pathname + authorizeUrl.search);
      assert.equal(toDigid.status, 302, await toDigid.text());
      const loginPage = await fetch(`http://127.0.0.1:${simPort}${pathOf(toDigid.headers.get("location")!)}`);
      const loginHtml = await loginPage.text();
      const back = await fetch(`http://127.0.0.1:${simPort}/login`, { ...form({ bsn: "999990019", RelayState: field(loginHtml, "RelayState")!, return: field(loginHtml, "return")! }), redirect: "manual" });
      await back.body?.cancel();
      const returned = await browser.go(front, UMC, pathOf(back.headers.get("location")!));
      assert.equal(returned.status, 302, await returned.text());
      const consent = await browser.go(front, UMC, "/oauth/consent");
      const consentHtml = await consent.text();
      const decided = await browser.go(front, UMC, "/oauth/consent", form({ csrf: field(consentHtml, "csrf")!, decision: "ja" }));
      assert.equal(decided.status, 302);
      await decided.body?.cancel();
      const callback = new URL(decided.headers.get("location")!);
      assert.equal(callback.origin + callback.pathname, `https://${CLIENT}/oauth/callback`);

      // Back at A, which did not start the flow: it takes it from the shared store, once, and redeems over mTLS.
      const done = await browser.go(a.url, CLIENT, callback.pathname + callback.search);
      const doneText = await done.text();
      assert.equal(done.status, 302, doneText);
      const collection = /\/collections\/([^/?#]+)/.exec(done.headers.get("location") ?? "")?.[1];
      assert.ok(collection, done.headers.get("location") ?? "no location");
      const detail = await browser.go(a.url, CLIENT, `/api/collections/${collection}`);
      const stored = (await detail.json()) as { outcome: string; resourceCount: number };
      assert.equal(stored.outcome, "completed");
      assert.ok(stored.resourceCount > 0, "the Person's resources were collected");
      assert.ok(proxy.targets.length > 0 && proxy.targets.every((t) => t === `${UMC}:443`), `every connection to the provider on 443 (${proxy.targets.join(", ")})`);
      // AS-15: the same answer again, at the instance that started the flow, finds it used.
      const again = await browser.go(b.url, CLIENT, callback.pathname + callback.search);
      assert.equal(again.status, 400);
      await again.body?.cancel();
    } finally {
      for (const i of instances) await i.stop();
      proxy?.close();
      await nginx?.stop();
      for (const c of aborts) c.abort();
      for (const s of servers) await s.finished;
      artifacts.close();
      await dvza.close();
      await registratie.stop();
      await registratie.node.close();
      await pg.stop();
      await Deno.remove(dir, { recursive: true });
    }
  },
});
