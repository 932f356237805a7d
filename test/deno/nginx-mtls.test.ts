/**
 * Self-hosted mTLS end to end (SPEC S-2, S-5, W-1, W-2, AS-11): real TLS with real certificates made by openssl at
 * test time, terminated by nginx (Debian package) configured by scripts/deno/nginx.conf.sh, in front of the DVZA
 * role on Deno. The client is curl, presenting each certificate in turn:
 *   a whitelisted DVP; a valid certificate whose CN is not on the Whitelist; an expired one; one from another CA;
 *   a whitelisted CN signed by the wrong CA; none at all; the whitelisted name padded with a space or a TAB
 *   (issue 15 #7); a whitelisted certificate its CA has revoked (issue 19 #6: the CA's CRL, fetched and checked by
 *   scripts/deno/refresh-crl.sh, in nginx's CLIENT_CRL).
 * Only the first reaches the token endpoint; every other gets the bare 403. And the trust in nginx's verdict
 * (X-7, issue 15 #8): a local process that connects straight to Deno's port with nginx's headers is not nginx,
 * and nothing a client sends through nginx passes for nginx's word.
 */
import assert from "node:assert/strict";
import { node, refreshLists, serveRequest } from "../../workers/adapter/deno/serve.ts";
import { proxyTrust } from "../../workers/adapter/deno/tls-client-auth.ts";
import { issueCode } from "../../workers/dvza/grants.ts";
import type { Env as DvzaEnv } from "../../workers/dvza/env.ts";
import type { KvStore } from "../../workers/shared/ports.ts";
import { storeLists } from "../helpers/network.ts";
import { CLIENT, freePort, HAVE_NGINX, makePki, NGINX, run, UMC, waitFor } from "./pki.ts";

const REDIRECT = `https://${CLIENT}/oauth/callback`;
const PROXY_SECRET = crypto.randomUUID().replaceAll("-", "") + crypto.randomUUID().replaceAll("-", "");

Deno.test({
  name: "S-2 / W-1 / W-2 with real certificates through nginx: only a whitelisted DVP from the right CA reaches the token endpoint",
  ignore: !HAVE_NGINX,
  async fn(t) {
    const dir = await Deno.makeTempDir();
    const denoPort = await freePort();
    const tlsPort = await freePort();
    let nginx: Deno.ChildProcess | undefined;
    const controller = new AbortController();
    const n = await node("dvza", { DATA_DIR: `${dir}/data`, REGISTRATIE_URL: "http://127.0.0.1:9", DVZA_HOSTNAMES: UMC, GRANT_SHARDS: "4" });
    try {
      await makePki(dir);
      await storeLists(n.env.LISTS as KvStore);
      const trusted = proxyTrust("127.0.0.1", PROXY_SECRET);
      const server = Deno.serve({ port: denoPort, hostname: "127.0.0.1", signal: controller.signal, onListen() {} }, (request, info) =>
        serveRequest(n, trusted, request, (info.remoteAddr as Deno.NetAddr).hostname),
      );
      await Deno.mkdir(`${dir}/nginx`);
      // The CA's CRL as nginx reads it, made by the refresh script from the published (DER) CRL.
      const refresh = (url: string) =>
        new Deno.Command("bash", { args: [new URL("../../scripts/deno/refresh-crl.sh", import.meta.url).pathname], cwd: dir, env: { PATH: Deno.env.get("PATH") ?? "", CLIENT_CA: `${dir}/ca.crt`, CLIENT_CRL: `${dir}/client.crl.pem`, CRL_URLS: url, RELOAD: "" }, stdout: "null", stderr: "piped" }).output();
      assert.equal((await refresh(`file://${dir}/ca.crl`)).success, true, "refresh-crl.sh takes the CA's CRL");
      const conf = await run("bash", [new URL("../../scripts/deno/nginx.conf.sh", import.meta.url).pathname], dir, {
        PATH: Deno.env.get("PATH") ?? "",
        LISTEN: `127.0.0.1:${tlsPort}`,
        SERVER_NAMES: UMC,
        SERVER_CERT: `${dir}/server.crt`,
        SERVER_KEY: `${dir}/server.key`,
        CLIENT_CA: `${dir}/ca.crt`,
        CLIENT_CRL: `${dir}/client.crl.pem`,
        UPSTREAM: `127.0.0.1:${denoPort}`,
        PREFIX: `${dir}/nginx`,
        PROXY_SECRET,
      });
      await Deno.writeTextFile(`${dir}/nginx/nginx.conf`, conf.replace(/^worker_processes auto;/m, "worker_processes 1;"));
      nginx = new Deno.Command(NGINX, { args: ["-c", `${dir}/nginx/nginx.conf`, "-p", `${dir}/nginx`, "-g", "daemon off; master_process off;"], stdout: "null", stderr: "piped" }).spawn();
      await waitFor(tlsPort);

      const env = n.env as unknown as DvzaEnv;
      const grant = { clientId: CLIENT, redirectUri: REDIRECT, scope: "umcharderwijk~48", zorgaanbieder: "umcharderwijk@medmij", gegevensdienstId: "48", subject: "999990019", tokenEndpoint: `https://${UMC}/oauth/token` };
      /** curl over real TLS, verifying nginx's certificate with the test CA; `cert` is the client certificate. */
      const token = async (cert: string | undefined, code: string, headers: string[] = []) => {
        const args = ["-s", "-o", "-", "-w", "\n%{http_code}", "--cacert", `${dir}/ca.crt`, "--resolve", `${UMC}:${tlsPort}:127.0.0.1`, "-X", "POST",
          "-H", "content-type: application/x-www-form-urlencoded", ...headers.flatMap((h) => ["-H", h]), "--data", new URLSearchParams({ grant_type: "authorization_code", code, redirect_uri: REDIRECT }).toString()];
        if (cert) args.push("--cert", `${dir}/${cert}.crt`, "--key", `${dir}/${cert}.key`);
        args.push(`https://${UMC}:${tlsPort}/oauth/token`);
        const out = await run("curl", args, dir);
        const cut = out.lastIndexOf("\n");
        return { status: Number(out.slice(cut + 1)), body: out.slice(0, cut) };
      };

      await t.step("a whitelisted DVP with a certificate from the accepted CA is served (AS-10: a token, once)", async () => {
        const { code } = await issueCode(env, grant);
        const r = await token("good", code);
        assert.equal(r.status, 200, r.body);
        assert.ok((JSON.parse(r.body) as { access_token?: string }).access_token);
        assert.equal((await token("good", code)).status, 400, "the replay is refused");
      });

      for (const [cert, why] of [
        [undefined, "no client certificate"],
        ["unlisted", "a valid certificate whose CN is not on the Whitelist (W-1)"],
        ["expired", "an expired certificate (S-2)"],
        ["foreign", "a certificate from another CA (S-2)"],
        ["impostor", "a whitelisted CN signed by the wrong CA (S-2)"],
        ["leading-space", "the whitelisted CN with a leading space, from the accepted CA (W-1, AS-11: exact match)"],
        ["trailing-space", "the whitelisted CN with a trailing space (W-1, AS-11)"],
        ["trailing-tab", "the whitelisted CN with a trailing TAB (W-1, AS-11)"],
        ["revoked", "a whitelisted certificate from the accepted CA that the CA has revoked (S-2, CRL)"],
      ] as const) {
        await t.step(`${why}: the bare 403 of W-2, and the code is not spent`, async () => {
          const { code } = await issueCode(env, grant);
          const r = await token(cert, code);
          assert.equal(r.status, 403);
          assert.equal(r.body, "");
          assert.equal((await token("good", code)).status, 200, "the rightful client can still redeem it");
        });
      }

      await t.step("S-2: refresh-crl.sh refuses a CRL the accepted CA did not sign, and keeps the good one", async () => {
        const before = await Deno.readTextFile(`${dir}/client.crl.pem`);
        const out = await refresh(`file://${dir}/other.crl.pem`);
        assert.equal(out.success, false);
        assert.match(new TextDecoder().decode(out.stderr), /not signed by a CA/);
        assert.equal(await Deno.readTextFile(`${dir}/client.crl.pem`), before);
      });

      await t.step("X-7: a local process straight to Deno's port with nginx's headers is not nginx: the bare 403, the code not spent", async () => {
        const { code } = await issueCode(env, grant);
        const form = new URLSearchParams({ grant_type: "authorization_code", code, redirect_uri: REDIRECT }).toString();
        // curl sets the Host it likes, as any local process can (Deno's fetch would not let the test do it).
        const forged = [`host: ${UMC}`, "x-ssl-client-verify: SUCCESS", `x-ssl-client-s-dn: CN=${CLIENT},O=Test,C=NL`, `x-forwarded-host: ${UMC}`, "content-type: application/x-www-form-urlencoded"];
        for (const extra of [[], ["x-medmij-proxy-secret: not-the-secret-0123456789abcdef0123456789"], ["x-medmij-proxy-secret;"]]) {
          const out = await run("curl", ["-s", "-o", "-", "-w", "\n%{http_code}", "-X", "POST", ...[...forged, ...extra].flatMap((h) => ["-H", h]), "--data", form, `http://127.0.0.1:${denoPort}/oauth/token`], dir);
          const cut = out.lastIndexOf("\n");
          assert.equal(Number(out.slice(cut + 1)), 403, out);
          assert.equal(out.slice(0, cut), "");
        }
        assert.equal((await token("good", code)).status, 200, "the rightful client, through nginx, can still redeem it");
      });

      await t.step("X-7: what a client sends through nginx never passes for nginx's word (forwarded host, proxy secret, verdict headers)", async () => {
        const { code } = await issueCode(env, grant);
        // Another deployment's host, a guessed secret and a forged verdict, sent by a client without a certificate.
        const forged = ["x-forwarded-host: ziekenhuisoost.medicloud.localhost", "x-medmij-proxy-secret: guessed", "x-ssl-client-verify: SUCCESS", `x-ssl-client-s-dn: CN=${CLIENT}`];
        const without = await token(undefined, code, forged);
        assert.equal(without.status, 403, "nginx replaced the forged verdict with its own (NONE)");
        // With the right certificate the forged forwarded host is dropped: the request is UMC's (a 421 would mean it was believed).
        const r = await token("good", code, forged);
        assert.equal(r.status, 200, r.body);
      });

      await t.step("S-5: TLS 1.1 is refused, and a TLS 1.2 suite outside the NCSC's good list too", async () => {
        const base = ["-s", "-o", "/dev/null", "-w", "%{http_code}", "--cacert", `${dir}/ca.crt`, "--resolve", `${UMC}:${tlsPort}:127.0.0.1`];
        for (const extra of [["--tls-max", "1.1"], ["--tls-max", "1.2", "--ciphers", "ECDHE-ECDSA-AES128-SHA256"]]) {
          const out = await new Deno.Command("curl", { args: [...base, ...extra, `https://${UMC}:${tlsPort}/`], stdout: "piped", stderr: "null" }).output();
          assert.equal(out.success, false, `handshake with ${extra.join(" ")} must fail`);
        }
      });
      controller.abort();
      await server.finished;
    } finally {
      controller.abort();
      if (nginx) {
        nginx.kill("SIGQUIT");
        await nginx.status;
      }
      n.close();
      await Deno.remove(dir, { recursive: true });
    }
  },
});
