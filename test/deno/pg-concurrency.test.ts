/**
 * AS-10 / X-6 across processes and PostgreSQL: two Deno DVZA instances (separate processes, as on two hosts: each
 * its own DATA_DIR) share one real PostgreSQL server (GRANTS_BACKEND=postgres) for codes, tokens, sessions, rate
 * state and lists. 200 rounds: each round one code is redeemed by 32 parallel token requests, half at each
 * instance. Exactly one token is issued every round, the replays revoke it (RFC 6749 §4.1.2), and the database
 * holds exactly one token row for the code. Lists come from Registratie on Deno, as in production.
 */
import assert from "node:assert/strict";
import type { Env as DvzaEnv } from "../../workers/dvza/env.ts";
import { hashHandle, introspectToken, issueCode } from "../../workers/dvza/grants.ts";
import { openSharedStore } from "../../workers/adapter/deno/shared-store.ts";
import { GRANT, registratieWithLists, spawnInstance, TEST_PROXY_SECRET, viaProxy, type Instance } from "./helpers.ts";
import { HAVE_POSTGRES, startPostgres } from "./postgres.ts";

const UMC = "umcharderwijk.zorgbridge.localhost";
const CLIENT = "dvp.gezondheidskluis.localhost";
const REDIRECT = `https://${CLIENT}/oauth/callback`;
const ROUNDS = 200;
const PARALLEL = 32;
const UNLIMITED = { ratePerSecond: 1e6, burst: 1e6 };

Deno.test({
  name: "AS-10 across two Deno instances sharing PostgreSQL: 200 rounds of 32 parallel redemptions, exactly one token each",
  ignore: !HAVE_POSTGRES,
  async fn() {
    const pg = await startPostgres();
    const dir = await Deno.makeTempDir();
    const registratie = await registratieWithLists(dir);
    const common = {
      REGISTRATIE_URL: registratie.url, DVZA_HOSTNAMES: UMC, TRUSTED_PROXIES: "127.0.0.1", PROXY_SECRET: TEST_PROXY_SECRET, GRANT_SHARDS: "4",
      GRANTS_BACKEND: "postgres", DATABASE_URL: pg.url, RATE_LIMITS: JSON.stringify({ token: UNLIMITED, resource: UNLIMITED, authorize: UNLIMITED }),
    };
    const instances: Instance[] = [];
    const store = await openSharedStore("dvza", { DATABASE_URL: pg.url });
    try {
      instances.push(await spawnInstance("dvza", { ...common, DATA_DIR: `${dir}/a` }), await spawnInstance("dvza", { ...common, DATA_DIR: `${dir}/b` }));
      const env = { ...store.bindings, GRANT_SHARDS: "4", DO_JURISDICTION: "none" } as unknown as DvzaEnv;
      let requests = 0;
      for (let round = 0; round < ROUNDS; round++) {
        const { code } = await issueCode(env, GRANT);
        const body = new URLSearchParams({ grant_type: "authorization_code", code, redirect_uri: REDIRECT }).toString();
        const answers = await Promise.all(
          Array.from({ length: PARALLEL }, async (_, i) => {
            const r = await fetch(`${instances[i % 2]!.url}/oauth/token`, { method: "POST", headers: { "x-forwarded-host": UMC, "content-type": "application/x-www-form-urlencoded", ...viaProxy(CLIENT) }, body });
            return { status: r.status, body: (await r.json()) as { access_token?: string; error?: string } };
          }),
        );
        requests += answers.length;
        const winners = answers.filter((a) => a.status === 200);
        assert.equal(winners.length, 1, `round ${round}: exactly one token (${answers.map((a) => a.status).join(",")})`);
        for (const a of answers) if (a.status !== 200) assert.equal(a.body.error, "invalid_grant", `round ${round}`);
        // The replays revoked the winner's token, whichever instance issued it.
        assert.equal(await introspectToken(env, winners[0]!.body.access_token!), null, `round ${round}: the token is revoked`);
        const h = await hashHandle(code, 4);
        const rows = await pg.sql<{ n: number; live: number }[]>`SELECT count(*)::int AS n, count(*) FILTER (WHERE revoked_at IS NULL)::int AS live FROM medmij_tokens WHERE code_hash = ${h.hash}`;
        assert.deepEqual({ ...rows[0] }, { n: 1, live: 0 }, `round ${round}: one token row, revoked`);
      }
      assert.equal(requests, ROUNDS * PARALLEL);
    } finally {
      for (const i of instances) await i.stop();
      await store.close();
      await registratie.stop();
      await registratie.node.close();
      await pg.stop();
      await Deno.remove(dir, { recursive: true });
    }
  },
});
