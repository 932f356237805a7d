/**
 * AS-10 across processes: two Deno DVZA instances (separate processes, each its own SQLite for the rest) share
 * one Deno KV for codes and tokens (GRANTS_BACKEND=deno-kv). Every round, one code is redeemed by many parallel
 * token requests spread over both instances: exactly one token is issued, and the replays revoke it
 * (RFC 6749 §4.1.2). Lists come from Registratie on Deno, as in production.
 */
import assert from "node:assert/strict";
import { KvGrantNamespace, KvGrantStore, type DenoKvLike } from "../../workers/adapter/deno/kv-grant-store.ts";
import type { Env as DvzaEnv } from "../../workers/dvza/env.ts";
import { issueCode, introspectToken } from "../../workers/dvza/grants.ts";
import { registratieWithLists, TEST_PROXY_SECRET, viaProxy } from "./helpers.ts";

const UMC = "umcharderwijk.zorgbridge.localhost";
const CLIENT = "dvp.gezondheidskluis.localhost";
const REDIRECT = `https://${CLIENT}/oauth/callback`;
const ROUNDS = 60;
const PER_INSTANCE = 8;
const UNLIMITED = { ratePerSecond: 1e6, burst: 1e6 };

async function instance(vars: Record<string, string>): Promise<{ url: string; process: Deno.ChildProcess }> {
  const process = new Deno.Command(Deno.execPath(), {
    args: ["run", "--allow-all", "--no-check", new URL("../../workers/adapter/deno/serve.ts", import.meta.url).pathname],
    env: { ...vars, PORT: "0", ROLE: "dvza" },
    stdout: "piped",
    stderr: "inherit",
  }).spawn();
  const reader = process.stdout.pipeThrough(new TextDecoderStream()).getReader();
  let buffered = "";
  for (;;) {
    const { value, done } = await reader.read();
    if (done) throw new Error("the instance exited before listening");
    buffered += value;
    const m = /"event":"deno\.listening".*?"port":(\d+)/.exec(buffered);
    if (m) {
      // Keep draining its log so the pipe never fills.
      void (async () => {
        while (!(await reader.read()).done);
      })();
      return { url: `http://127.0.0.1:${m[1]}`, process };
    }
  }
}

Deno.test("AS-10 across two Deno instances sharing one Deno KV: exactly one token per code, every round", async () => {
  const dir = await Deno.makeTempDir();
  const registratie = await registratieWithLists(dir);
  const kvPath = `${dir}/grants.kv`;
  const common = {
    REGISTRATIE_URL: registratie.url, DVZA_HOSTNAMES: UMC, TRUSTED_PROXIES: "127.0.0.1", PROXY_SECRET: TEST_PROXY_SECRET, GRANTS_BACKEND: "deno-kv", DENO_KV_PATH: kvPath,
    RATE_LIMITS: JSON.stringify({ token: UNLIMITED, resource: UNLIMITED, authorize: UNLIMITED }), PATH: Deno.env.get("PATH") ?? "",
  };
  const instances = [await instance({ ...common, DATA_DIR: `${dir}/a` }), await instance({ ...common, DATA_DIR: `${dir}/b` })];
  const kv = (await Deno.openKv(kvPath)) as unknown as DenoKvLike;
  const env = { GRANTS: new KvGrantNamespace(new KvGrantStore(kv)), GRANT_SHARDS: "4", DO_JURISDICTION: "none" } as unknown as DvzaEnv;
  const grant = { clientId: CLIENT, redirectUri: REDIRECT, scope: "umcharderwijk~48", zorgaanbieder: "umcharderwijk@medmij", gegevensdienstId: "48", subject: "999990019", tokenEndpoint: `https://${UMC}/oauth/token` };
  try {
    let requests = 0;
    for (let round = 0; round < ROUNDS; round++) {
      const { code } = await issueCode(env, grant);
      const body = new URLSearchParams({ grant_type: "authorization_code", code, redirect_uri: REDIRECT }).toString();
      const answers = await Promise.all(
        instances.flatMap(({ url }) =>
          Array.from({ length: PER_INSTANCE }, async () => {
            const r = await fetch(`${url}/oauth/token`, { method: "POST", headers: { "x-forwarded-host": UMC, "content-type": "application/x-www-form-urlencoded", ...viaProxy(CLIENT) }, body });
            return { status: r.status, body: (await r.json()) as { access_token?: string; error?: string }, from: url };
          }),
        ),
      );
      requests += answers.length;
      const winners = answers.filter((a) => a.status === 200);
      assert.equal(winners.length, 1, `round ${round}: exactly one token (${answers.map((a) => a.status).join(",")})`);
      for (const a of answers) if (a.status !== 200) assert.equal(a.body.error, "invalid_grant");
      // The replays revoked the winner's token, whichever instance issued it.
      assert.equal(await introspectToken(env, winners[0]!.body.access_token!), null, `round ${round}: the token is revoked`);
    }
    assert.equal(requests, ROUNDS * PER_INSTANCE * 2);
  } finally {
    kv.close();
    for (const i of instances) {
      i.process.kill("SIGTERM");
      await i.process.status;
    }
    await registratie.stop();
    registratie.node.close();
    await Deno.remove(dir, { recursive: true });
  }
});
