/**
 * Issue 19 #3: the DVP's outbound mutual TLS on Deno (workers/adapter/deno/mtls-client.ts, the `MTLS` fetcher of the
 * DVP role): Deno.createHttpClient with the DVP's certificate and key read from files, through real TLS to nginx
 * (scripts/deno/nginx.conf.sh) that verifies the client certificate against the CA, in front of the DVZA role on
 * Deno. The connection goes through an HTTP CONNECT egress proxy of the test's (MTLS_PROXY), which stands in for DNS
 * (the lists name hosts on port 443, L-8) and records every connection the DVP opens.
 *   S-2: the DVP's certificate is what gets it a token and its resources; without it, the bare 403 (W-2);
 *   W-1 / L-8: a host that is not on the Whitelist, a port other than 443, or no Whitelist held at all: refused
 *   before any connection (the proxy sees none).
 */
import assert from "node:assert/strict";
import { fhirSeed } from "../../kv-seed/fhir/data.mjs";
import { SqliteKv } from "../../workers/adapter/deno/kv.ts";
import { MtlsRefused, mtlsFetcher } from "../../workers/adapter/deno/mtls-client.ts";
import { node, serveRequest } from "../../workers/adapter/deno/serve.ts";
import { proxyTrust } from "../../workers/adapter/deno/tls-client-auth.ts";
import { peerAllowed } from "../../workers/dvp/peer.ts";
import type { Env as DvzaEnv } from "../../workers/dvza/env.ts";
import { issueCode } from "../../workers/dvza/grants.ts";
import type { KvStore } from "../../workers/shared/ports.ts";
import { storeLists } from "../helpers/network.ts";
import { GRANT } from "./helpers.ts";
import { CLIENT, connectProxy, freePort, HAVE_NGINX, makePki, startNginx, UMC } from "./pki.ts";

const PROXY_SECRET = crypto.randomUUID().replaceAll("-", "") + crypto.randomUUID().replaceAll("-", "");

Deno.test({
  name: "S-2 / W-1 on Deno: the DVP's outbound mutual TLS (certificate and key from files) through nginx, and no connection to a host off the Whitelist",
  ignore: !HAVE_NGINX,
  async fn(t) {
    const dir = await Deno.makeTempDir();
    const denoPort = await freePort();
    const tlsPort = await freePort();
    const controller = new AbortController();
    const dvza = await node("dvza", { DATA_DIR: `${dir}/dvza`, REGISTRATIE_URL: "http://127.0.0.1:9", DVZA_HOSTNAMES: UMC, GRANT_SHARDS: "4" });
    // The DVP's own view of the lists (its LISTS), which its guard consults.
    const dvpLists = new SqliteKv(":memory:");
    const noLists = new SqliteKv(":memory:");
    let nginx: { stop(): Promise<void> } | undefined;
    let proxy: ReturnType<typeof connectProxy> | undefined;
    const clients: { close(): void }[] = [];
    try {
      await makePki(dir);
      await storeLists(dvza.env.LISTS as KvStore);
      await storeLists(dvpLists);
      const fhir = (dvza.env as unknown as DvzaEnv).FHIR;
      await fhir.get(fhir.idFromName("umcharderwijk@medmij")).seed(fhirSeed("umcharderwijk@medmij"));
      const trusted = proxyTrust("127.0.0.1", PROXY_SECRET);
      const server = Deno.serve({ port: denoPort, hostname: "127.0.0.1", signal: controller.signal, onListen() {} }, (request, info) =>
        serveRequest(dvza, trusted, request, (info.remoteAddr as Deno.NetAddr).hostname),
      );
      nginx = await startNginx(dir, "nginx", {
        LISTEN: `127.0.0.1:${tlsPort}`, SERVER_NAMES: UMC, SERVER_CERT: `${dir}/server.crt`, SERVER_KEY: `${dir}/server.key`,
        CLIENT_CA: `${dir}/ca.crt`, CLIENT_CRL: "none", UPSTREAM: `127.0.0.1:${denoPort}`, PROXY_SECRET,
      });
      proxy = connectProxy(tlsPort);
      const files = { MTLS_CERT_FILE: `${dir}/good.crt`, MTLS_KEY_FILE: `${dir}/good.key`, MTLS_CA_FILE: `${dir}/ca.crt`, MTLS_PROXY: `http://127.0.0.1:${proxy.port}` };
      const mtls = mtlsFetcher(files, (uri) => peerAllowed({ LISTS: dvpLists } as never, uri));
      clients.push(mtls);
      const env = dvza.env as unknown as DvzaEnv;
      const tokenRequest = (code: string) =>
        new Request(`https://${UMC}/oauth/token`, {
          method: "POST",
          headers: { "content-type": "application/x-www-form-urlencoded" },
          body: new URLSearchParams({ grant_type: "authorization_code", code, redirect_uri: GRANT.redirectUri, client_id: CLIENT }).toString(),
        });

      let token = "";
      await t.step("S-2: with its certificate and key from files the DVP gets a token through nginx's verification", async () => {
        const { code } = await issueCode(env, GRANT);
        const r = await mtls.fetch(tokenRequest(code));
        const body = await r.text();
        assert.equal(r.status, 200, body);
        token = (JSON.parse(body) as { access_token: string }).access_token;
        assert.ok(token);
        assert.deepEqual(proxy!.targets, [`${UMC}:443`], "one connection, to the provider on port 443");
      });

      await t.step("the same connection carries a resource request (RS behind the same verification)", async () => {
        const r = await mtls.fetch(new Request(`https://${UMC}/48/fhir/Patient`, { headers: { authorization: `Bearer ${token}`, "medmij-request-id": crypto.randomUUID() } }));
        const bundle = (await r.json()) as { entry?: { resource: { id: string } }[] };
        assert.equal(r.status, 200);
        assert.deepEqual(bundle.entry?.map((e) => e.resource.id), ["pat-jansen"]);
      });

      await t.step("W-2: the same request without the client certificate gets the bare 403, and the code is not spent", async () => {
        const { code } = await issueCode(env, GRANT);
        const bare = Deno.createHttpClient({ caCerts: [await Deno.readTextFile(`${dir}/ca.crt`)], proxy: { url: files.MTLS_PROXY } });
        clients.push(bare);
        const r = await fetch(tokenRequest(code), { client: bare });
        assert.equal(r.status, 403);
        assert.equal(await r.text(), "");
        assert.equal((await mtls.fetch(tokenRequest(code))).status, 200, "with the certificate it still redeems");
      });

      for (const [uri, why, guard] of [
        ["https://dvza.not-whitelisted.localhost/oauth/token", "a host not on the Whitelist (W-1)", dvpLists],
        [`https://${UMC}:8443/oauth/token`, "a port other than 443 (L-8)", dvpLists],
        [`https://${UMC}/oauth/token`, "no Whitelist held at all (W-2)", noLists],
      ] as const) {
        await t.step(`${why}: refused before any connection`, async () => {
          const guarded = guard === dvpLists ? mtls : mtlsFetcher(files, (u) => peerAllowed({ LISTS: noLists } as never, u));
          if (guarded !== mtls) clients.push(guarded);
          const before = proxy!.targets.length;
          await assert.rejects(guarded.fetch(new Request(uri, { method: "POST", body: "grant_type=authorization_code" })), MtlsRefused);
          assert.equal(proxy!.targets.length, before, "the proxy saw no connection");
        });
      }
      controller.abort();
      await server.finished;
    } finally {
      for (const c of clients) c.close();
      controller.abort();
      proxy?.close();
      await nginx?.stop();
      dvpLists.close();
      noLists.close();
      await dvza.close();
      await Deno.remove(dir, { recursive: true });
    }
  },
});
