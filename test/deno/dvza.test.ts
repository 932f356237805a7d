/**
 * Deno: the DVZA role self-hosted (workers/adapter/deno/serve.ts) over real HTTP with Deno.serve, its objects
 * in SQLite files, its lists refreshed from MedMij Registratie running as the Deno registratie role.
 * The client-certificate verdict arrives the way nginx forwards it, and is believed only from a trusted proxy.
 */
import assert from "node:assert/strict";
import { fhirSeed } from "../../kv-seed/fhir/data.mjs";
import { node, refreshLists } from "../../workers/adapter/deno/serve.ts";
import { issueCode } from "../../workers/dvza/grants.ts";
import type { Env as DvzaEnv } from "../../workers/dvza/env.ts";
import { registratieWithLists, serve, TEST_PROXY_SECRET, viaProxy, type Served } from "./helpers.ts";

const UMC = "umcharderwijk.zorgbridge.localhost";
const CLIENT = "dvp.gezondheidskluis.localhost";
const REDIRECT = `https://${CLIENT}/oauth/callback`;

async function network(): Promise<{ registratie: Served; dvza: Served; dir: string }> {
  const dir = await Deno.makeTempDir();
  const registratie = await registratieWithLists(dir);
  const dvzaNode = await node("dvza", {
    DATA_DIR: `${dir}/dvza`,
    REGISTRATIE_URL: registratie.url,
    DVZA_HOSTNAMES: `${UMC},delinde.zorgbridge.localhost`,
    GRANT_SHARDS: "4",
    AUTHENTICATOR: "digid-sim",
    DEPLOYMENT_ENV: "development",
  });
  await refreshLists(dvzaNode);
  const fhir = dvzaNode.env.FHIR as DvzaEnv["FHIR"];
  await fhir.get(fhir.idFromName("umcharderwijk@medmij")).seed(fhirSeed("umcharderwijk@medmij"));
  return { registratie, dvza: await serve(dvzaNode, "127.0.0.1"), dir };
}

const tokenRequest = (dvza: Served, code: string, headers: Record<string, string>) =>
  fetch(`${dvza.url}/oauth/token`, {
    method: "POST",
    headers: { "x-forwarded-host": UMC, "content-type": "application/x-www-form-urlencoded", ...headers },
    body: new URLSearchParams({ grant_type: "authorization_code", code, redirect_uri: REDIRECT }).toString(),
  });

Deno.test("DVZA on Deno: lists from Registratie, the whitelist gate, exactly-once codes and the Resource Server", async (t) => {
  const { registratie, dvza, dir } = await network();
  const env = dvza.node.env as unknown as DvzaEnv;
  const grant = { clientId: CLIENT, redirectUri: REDIRECT, scope: "umcharderwijk~48", zorgaanbieder: "umcharderwijk@medmij", gegevensdienstId: "48", subject: "999990019", tokenEndpoint: `https://${UMC}/oauth/token` };
  try {
    await t.step("W-2: no client certificate, a bare 403 with no body", async () => {
      // nginx's verdict for a connection without a certificate: NONE, with its secret.
      const r = await tokenRequest(dvza, "x", { "x-medmij-proxy-secret": TEST_PROXY_SECRET, "x-ssl-client-verify": "NONE" });
      assert.equal(r.status, 403);
      assert.equal(await r.text(), "");
    });

    await t.step("W-1: a verified certificate whose CN is not on the Whitelist, a bare 403", async () => {
      const r = await tokenRequest(dvza, "x", viaProxy("dvp.not-whitelisted.localhost"));
      assert.equal(r.status, 403);
      assert.equal(await r.text(), "");
    });

    await t.step("S-2: a certificate the proxy could not verify, a bare 403", async () => {
      const r = await tokenRequest(dvza, "x", { "x-medmij-proxy-secret": TEST_PROXY_SECRET, "x-ssl-client-verify": "FAILED:certificate has expired", "x-ssl-client-s-dn": `CN=${CLIENT}` });
      assert.equal(r.status, 403);
      await r.body?.cancel();
    });

    await t.step("S-2: the same verdict from an address that is not a trusted proxy is ignored, a bare 403", async () => {
      const elsewhere = await serve(dvza.node, "10.0.0.1");
      try {
        const { code } = await issueCode(env, grant);
        // Raw HTTP: Deno's fetch does not send a Host header of the caller's choosing, and an untrusted
        // peer's X-Forwarded-Host is ignored like its certificate headers.
        const body = new URLSearchParams({ grant_type: "authorization_code", code, redirect_uri: REDIRECT }).toString();
        const head = [`POST /oauth/token HTTP/1.1`, `host: ${UMC}`, "content-type: application/x-www-form-urlencoded", `content-length: ${body.length}`, "connection: close",
          ...Object.entries(viaProxy(CLIENT)).map(([k, v]) => `${k}: ${v}`)];
        const conn = await Deno.connect({ hostname: "127.0.0.1", port: Number(new URL(elsewhere.url).port) });
        await conn.write(new TextEncoder().encode(`${head.join("\r\n")}\r\n\r\n${body}`));
        const answer = new TextDecoder().decode(await new Response(conn.readable).arrayBuffer());
        assert.match(answer, /^HTTP\/1\.1 403 /);
        assert.match(answer, /content-length: 0/i);
        // The code was not spent: the rightful client, through the trusted proxy, still redeems it.
        assert.equal((await tokenRequest(dvza, code, viaProxy(CLIENT))).status, 200);
      } finally {
        await elsewhere.stop();
      }
    });

    let accessToken = "";
    await t.step("AS-10: a code is redeemed once; the answer is not cached", async () => {
      const { code } = await issueCode(env, grant);
      const r = await tokenRequest(dvza, code, viaProxy(CLIENT));
      assert.equal(r.status, 200);
      assert.equal(r.headers.get("cache-control"), "no-store");
      const body = (await r.json()) as { access_token: string; token_type: string; scope: string };
      assert.equal(body.token_type.toLowerCase(), "bearer");
      assert.equal(body.scope, "umcharderwijk~48");
      accessToken = body.access_token;
      const again = await tokenRequest(dvza, code, viaProxy(CLIENT));
      assert.equal(again.status, 400);
      assert.equal(((await again.json()) as { error: string }).error, "invalid_grant");
    });

    await t.step("AS-10: the replay revoked the token; a fresh one reads the Person's own Patient", async () => {
      const revoked = await fetch(`${dvza.url}/48/fhir/Patient`, { headers: { "x-forwarded-host": UMC, authorization: `Bearer ${accessToken}`, "medmij-request-id": crypto.randomUUID(), ...viaProxy(CLIENT) } });
      assert.equal(revoked.status, 401);
      await revoked.body?.cancel();
      const { code } = await issueCode(env, grant);
      const token = ((await (await tokenRequest(dvza, code, viaProxy(CLIENT))).json()) as { access_token: string }).access_token;
      const r = await fetch(`${dvza.url}/48/fhir/Patient`, { headers: { "x-forwarded-host": UMC, authorization: `Bearer ${token}`, "medmij-request-id": crypto.randomUUID(), ...viaProxy(CLIENT) } });
      assert.equal(r.status, 200);
      const text = await r.text();
      const bundle = JSON.parse(text) as { resourceType: string; entry?: { resource: { id: string } }[] };
      assert.equal(bundle.resourceType, "Bundle");
      assert.deepEqual(bundle.entry?.map((e) => e.resource.id), ["pat-jansen"], "only the token's Person");
      assert.ok(!text.includes("999990019"), "X-8: no BSN in what is served");
    });
  } finally {
    await dvza.stop();
    await registratie.stop();
    dvza.node.close();
    registratie.node.close();
    await Deno.remove(dir, { recursive: true });
  }
});
