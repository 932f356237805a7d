/**
 * Multi-tenancy by hostname and the G-4 grace period: which provider/Gegevensdienst offerings this
 * deployment serves, from the Zorgaanbiederslijst entries whose endpoints are on its hostnames.
 */
import { env, reset } from "cloudflare:test";
import { beforeEach, describe, expect, it } from "vitest";
import type { Env } from "../../workers/dvza/env.ts";
import { GRACE_MS, loadTenancy, recordLapsed } from "../../workers/dvza/tenants.ts";
import { OOST_HOST, UMC_HOST, ZAL, storeLists } from "../helpers/network.ts";

const dvzaEnv = env as unknown as Env;

beforeEach(async () => {
  await reset();
  await storeLists(dvzaEnv.LISTS);
});

describe("tenancy", () => {
  it("serves the offerings on its own hostnames and none of another deployment's", async () => {
    const t = await loadTenancy(dvzaEnv);
    expect(t?.offering("umcharderwijk@medmij", "48")).toBeDefined();
    expect(t?.offering("huisartsenpraktijkdelinde@medmij", "5")).toBeDefined();
    expect(t?.offering("ziekenhuisoost@medmij", "48")).toBeUndefined();
    expect(t?.offering("umcharderwijk@medmij", "63")).toBeUndefined();
  });

  it("L-7: a resource URL maps to its own Gegevensdienst's endpoint only", async () => {
    const t = (await loadTenancy(dvzaEnv))!;
    const m = t.resourceMatches(new URL(`https://${UMC_HOST}/48/fhir/Patient?_include=Patient:general-practitioner`));
    expect(m.map((x) => [x.offering.zorgaanbieder.naam, x.offering.gegevensdienst.id, x.rest])).toEqual([["umcharderwijk@medmij", "48", "/Patient"]]);
    expect(t.resourceMatches(new URL(`https://${UMC_HOST}/48/fhirX`))).toEqual([]);
    expect(t.resourceMatches(new URL(`https://${OOST_HOST}/48/fhir/Patient`))).toEqual([]);
  });

  it("G-4: an offering that leaves the list is served for 3600 s more, then not", async () => {
    const now = Date.now();
    const without = {
      ...ZAL,
      volgnummer: "1002",
      zorgaanbieders: ZAL.zorgaanbieders.map((z) =>
        z.naam === "umcharderwijk@medmij" ? { ...z, gegevensdiensten: z.gegevensdiensten.filter((g) => g.id !== "24") } : z,
      ),
    };
    await recordLapsed(dvzaEnv, ZAL, without, now);
    await storeLists(dvzaEnv.LISTS, { zal: without });
    expect((await loadTenancy(dvzaEnv, now + GRACE_MS - 1))?.offering("umcharderwijk@medmij", "24")).toBeDefined();
    expect((await loadTenancy(dvzaEnv, now + GRACE_MS))?.offering("umcharderwijk@medmij", "24")).toBeUndefined();
    // Entries of other deployments never enter the grace record.
    const noOost = { ...without, volgnummer: "1003", zorgaanbieders: without.zorgaanbieders.filter((z) => z.naam !== "ziekenhuisoost@medmij") };
    await recordLapsed(dvzaEnv, without, noOost, now);
    const lapsed = (await dvzaEnv.LISTS.get("tenants/lapsed", "json")) as { naam: string }[];
    expect(lapsed.map((l) => l.naam)).toEqual(["umcharderwijk@medmij"]);
  });

  it("G-4: an offering that comes back is no longer in the grace record", async () => {
    const now = Date.now();
    const without = { ...ZAL, volgnummer: "1002", zorgaanbieders: ZAL.zorgaanbieders.filter((z) => z.naam !== "umcharderwijk@medmij") };
    await recordLapsed(dvzaEnv, ZAL, without, now);
    // Every offering of umcharderwijk: 48, 24, 51, 5 and the local 1005, 1051.
    expect(((await dvzaEnv.LISTS.get("tenants/lapsed", "json")) as unknown[]).length).toBe(6);
    await recordLapsed(dvzaEnv, without, { ...ZAL, volgnummer: "1003" }, now + 1000);
    expect(await dvzaEnv.LISTS.get("tenants/lapsed", "json")).toEqual([]);
  });
});
