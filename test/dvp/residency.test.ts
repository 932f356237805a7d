/**
 * SPEC X-5: the DVP's Person sessions, collected data and NEN 7513 log (personal data) live in Durable Objects
 * created in the EU jurisdiction: login, the Person's page, their collections and their log work with
 * namespaces that throw unless placed in `eu`.
 */
import { env } from "cloudflare:test";
import { describe, expect, it } from "vitest";
import worker from "../../workers/dvp/index.ts";
import type { Env } from "../../workers/dvp/env.ts";
import { storeLists } from "../helpers/network.ts";
import { euOnly } from "../helpers/residency.ts";

const real = env as unknown as Env;
const ctx = { waitUntil() {}, passThroughOnException() {}, props: {} } as unknown as ExecutionContext;

describe("X-5: the DVP's Durable Objects live in the EU", () => {
  it("login, the dashboard, collections and the log work with EU-only namespaces", async () => {
    await storeLists(real.LISTS);
    const seen = new Map<string, string[]>();
    const euEnv: Env = {
      ...real,
      DO_JURISDICTION: undefined,
      SESSIONS: euOnly(real.SESSIONS, "SESSIONS", seen),
      PERSONS: euOnly(real.PERSONS, "PERSONS", seen),
      AUDIT: euOnly(real.AUDIT, "AUDIT", seen),
    };
    const host = `https://${real.DVP_HOSTNAME}`;
    const login = await worker.fetch(new Request(`${host}/login`, { method: "POST", headers: { "content-type": "application/x-www-form-urlencoded" }, body: "person=jansen" }), euEnv, ctx);
    expect(login.status).toBe(303);
    const cookie = login.headers.get("set-cookie")!.split(";")[0]!;
    expect((await worker.fetch(new Request(`${host}/`, { headers: { cookie } }), euEnv, ctx)).status).toBe(200);
    expect((await worker.fetch(new Request(`${host}/api/collections`, { headers: { cookie } }), euEnv, ctx)).status).toBe(200);
    const log = (await (await worker.fetch(new Request(`${host}/api/log`, { headers: { cookie } }), euEnv, ctx)).json()) as { entries: { action: string }[] };
    expect(log.entries.map((e) => e.action)).toContain("login");
    expect([...seen.keys()].sort()).toEqual(["AUDIT", "PERSONS", "SESSIONS"]);
  });
});
