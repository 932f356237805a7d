/**
 * DVP Server parts in workerd: the W-1/L-8 guard, flows bound to sessions (AS-15), the append-only
 * NEN 7513 log and its retention (LOG-1, LOG-2), delete and the Portabiliteitsrapport (P-1, P-4).
 * The end-to-end behaviour over the whole network is in test/e2e/network.test.ts.
 */
import { env, runDurableObjectAlarm, runInDurableObject } from "cloudflare:test";
import { afterEach, describe, expect, it, vi } from "vitest";
import { RETENTION_MONTHS, retentionCutoff, type AuditLog } from "../../durable-objects/audit-log.ts";
import type { Env } from "../../workers/dvp/env.ts";
import { parseMeasurement } from "../../workers/dvp/measurement.ts";
import { peerAllowed, peerFetch, PeerRefused } from "../../workers/dvp/peer.ts";
import { reportXml, validateReport } from "../../workers/dvp/portabiliteitsrapport.ts";
import { run } from "../../workers/dvp/run.ts";
import { storeLists, UMC_HOST, WHITELIST } from "../helpers/network.ts";

const dvpEnv = env as unknown as Env;
const JANSEN = { id: "jansen", naam: "Johan Jansen", kind: "test-person" as const };
const NOTHING_TO_SHARE = { measurements: async () => [], documents: async () => [], documentContent: async () => null };
afterEach(() => {
  vi.useRealTimers();
  vi.restoreAllMocks();
});

describe("W-1/W-2/L-8: the guard before any back-channel connection", () => {
  it("allows a whitelisted https host on port 443 and nothing else", async () => {
    await storeLists(dvpEnv.LISTS);
    expect(await peerAllowed(dvpEnv, `https://${UMC_HOST}/oauth/token`)).toBeUndefined();
    expect(await peerAllowed(dvpEnv, `https://${UMC_HOST}:443/oauth/token`)).toBeUndefined();
    expect(await peerAllowed(dvpEnv, `https://${UMC_HOST}:8443/oauth/token`)).toMatch(/L-8/);
    expect(await peerAllowed(dvpEnv, `http://${UMC_HOST}/oauth/token`)).toMatch(/L-8/);
    expect(await peerAllowed(dvpEnv, "https://evil.localhost/oauth/token")).toMatch(/not on the Whitelist/);
    expect(await peerAllowed(dvpEnv, `https://${UMC_HOST.toUpperCase()}/oauth/token`)).toBeUndefined(); // URL lower-cases hosts: the connection goes to the listed host
  });

  it("W-2: a node that holds no Whitelist sends nothing", async () => {
    let called = false;
    const mtls = { fetch: async () => ((called = true), new Response("")) } as unknown as Fetcher;
    const neverListed = (env as unknown as { EMPTY_LISTS: KVNamespace }).EMPTY_LISTS;
    await expect(peerFetch({ LISTS: neverListed, MTLS: mtls }, `https://${UMC_HOST}/oauth/token`, {}, "token")).rejects.toBeInstanceOf(PeerRefused);
    expect(called).toBe(false);
  });

  it("W-1: a host that is not on the Whitelist is never contacted", async () => {
    await storeLists(dvpEnv.LISTS, { whitelist: { ...WHITELIST, volgnummer: "2100", hostnames: WHITELIST.hostnames.filter((h) => h !== UMC_HOST) } });
    let called = false;
    const mtls = { fetch: async () => ((called = true), new Response("")) } as unknown as Fetcher;
    await expect(peerFetch({ ...dvpEnv, MTLS: mtls }, `https://${UMC_HOST}/oauth/token`, {}, "token")).rejects.toThrow(/not on the Whitelist/);
    expect(called).toBe(false);
  });
});

describe("AS-18: a failing resource request is repeated once", () => {
  it("a 503 from the Resource Server is retried with a new MedMij-Request-ID, and the run completes", async () => {
    await storeLists(dvpEnv.LISTS);
    const seen: { path: string; requestId: string | null }[] = [];
    let resourceCalls = 0;
    const mtls = {
      fetch: async (input: Request) => {
        const url = new URL(input.url);
        seen.push({ path: url.pathname, requestId: input.headers.get("medmij-request-id") });
        if (url.pathname === "/oauth/token") return Response.json({ access_token: "t".repeat(43), token_type: "Bearer", expires_in: 900, scope: "umcharderwijk~24" });
        if (resourceCalls++ === 0) return new Response("busy", { status: 503 });
        return Response.json({ resourceType: "Bundle", type: "searchset", total: 0, entry: [] });
      },
    } as unknown as Fetcher;
    const flow = { personId: "jansen", zorgaanbieder: "umcharderwijk@medmij", gegevensdienstId: "24", useCase: "verzamelen" as const, startedAt: Date.now() };
    const result = await run({ ...dvpEnv, MTLS: mtls }, flow, "code", JANSEN, NOTHING_TO_SHARE);
    expect(result.outcome).toBe("completed");
    expect(result.requests.map((r) => r.status)).toEqual([503, 200]);
    const ids = seen.map((s) => s.requestId);
    expect(new Set(ids).size).toBe(ids.length);
  });
});

describe("AS-15: flows are bound to the session that started them", () => {
  it("a flow is taken once, only by its own session, and expires after 15 minutes", async () => {
    const stub = dvpEnv.SESSIONS.get(dvpEnv.SESSIONS.idFromName("sessions-test"));
    const flow = { personId: "jansen", zorgaanbieder: "umcharderwijk@medmij", gegevensdienstId: "48", useCase: "verzamelen" as const, startedAt: Date.now() };
    expect(await stub.startFlow("state-a", "session-1", flow)).toBe(true);
    expect(await stub.takeFlow("state-a", "session-2")).toEqual({ ok: false, refusal: "foreign" });
    expect(await stub.takeFlow("state-a", "session-1")).toMatchObject({ ok: true, flow: { zorgaanbieder: "umcharderwijk@medmij" } });
    expect(await stub.takeFlow("state-a", "session-1")).toEqual({ ok: false, refusal: "used" });
    expect(await stub.takeFlow("state-unknown", "session-1")).toEqual({ ok: false, refusal: "unknown" });
    vi.useFakeTimers({ toFake: ["Date"] });
    const t0 = Date.now();
    await stub.startFlow("state-b", "session-1", flow);
    vi.setSystemTime(t0 + 15 * 60_000);
    expect(await stub.takeFlow("state-b", "session-1")).toEqual({ ok: false, refusal: "expired" });
  });
});

describe("LOG-1/LOG-2: the audit log", () => {
  const entry = { person: "p1", action: "verzamelen" as const, zorgaanbieder: "umcharderwijk@medmij", gegevensdienstId: "48", requestIds: ["r1"], outcome: "completed" };

  it("is append-only: its interface has no way to change or remove an entry", async () => {
    const stub = dvpEnv.AUDIT.get(dvpEnv.AUDIT.idFromName("append-only"));
    await stub.append(entry);
    const methods = await runInDurableObject(stub as DurableObjectStub<AuditLog>, (o) => Object.getOwnPropertyNames(Object.getPrototypeOf(o)).filter((m) => m !== "constructor").sort());
    expect(methods).toEqual(["alarm", "append", "entries"]);
    const [e] = await stub.entries();
    expect(e).toMatchObject(entry);
    expect(Date.parse(e!.at)).not.toBeNaN();
  });

  it(`LOG-2: an entry is kept ${RETENTION_MONTHS} months and destroyed by the daily purge after that`, async () => {
    vi.useFakeTimers({ toFake: ["Date"] });
    const t0 = new Date("2026-01-15T10:00:00Z");
    vi.setSystemTime(t0);
    // The Workers stub: runDurableObjectAlarm takes the binding's own stub type, not the port's (shared/ports.ts).
    const stub = dvpEnv.AUDIT.get(dvpEnv.AUDIT.idFromName("retention")) as DurableObjectStub<AuditLog>;
    await stub.append(entry);
    // One day short of 24 months: kept (at least 24 months).
    vi.setSystemTime(new Date("2028-01-14T10:00:00Z"));
    await runDurableObjectAlarm(stub);
    expect(await stub.entries()).toHaveLength(1);
    // Past 24 months: destroyed at the next daily purge (so never older than 24 months and a day, well under 36).
    vi.setSystemTime(new Date("2028-01-16T10:00:00Z"));
    expect(await runDurableObjectAlarm(stub)).toBe(true);
    expect(await stub.entries()).toHaveLength(0);
  });

  it("the cutoff is calendar months", () => {
    expect(retentionCutoff(new Date("2028-03-31T00:00:00Z")).toISOString()).toBe("2026-03-31T00:00:00.000Z");
  });
});

describe("P-1/P-4: collections, delete and the report", () => {
  it("a deleted collection loses its data and drops out of the report", async () => {
    const store = dvpEnv.PERSONS.get(dvpEnv.PERSONS.idFromName("report-person"));
    const request = { uri: `https://${UMC_HOST}/48/fhir/Patient?_include=Patient:general-practitioner`, at: new Date().toISOString(), requestId: crypto.randomUUID(), status: 200 };
    const keep = await store.add({ zorgaanbieder: "umcharderwijk@medmij", gegevensdienstId: "48", useCase: "verzamelen", outcome: "completed", requests: [request], resources: ['{"resourceType":"Patient","id":"p"}'] });
    const drop = await store.add({ zorgaanbieder: "ziekenhuisoost@medmij", gegevensdienstId: "24", useCase: "verzamelen", outcome: "completed", requests: [request], resources: ["{}"] });
    await store.add({ zorgaanbieder: "umcharderwijk@medmij", gegevensdienstId: "5", useCase: "delen", outcome: "completed", requests: [], resources: [] });
    await store.add({ zorgaanbieder: "umcharderwijk@medmij", gegevensdienstId: "24", useCase: "verzamelen", outcome: "denied", requests: [], resources: [] });
    expect(await store.delete(drop)).toBe(true);
    expect(await store.delete(drop)).toBe(false);
    const gone = await store.get(drop);
    expect(gone?.resources).toEqual([]);
    const rows = await store.forReport("2000-01-01T00:00:00Z", "2100-01-01T00:00:00Z");
    expect(rows.map((r) => r.id)).toEqual([keep]);
    const xml = reportXml({ deelnemer: "report-person", van: new Date("2026-01-01"), tot: new Date("2027-01-01"), now: new Date(), collections: rows });
    expect(validateReport(xml)).toEqual({ ok: true });
    expect(xml).toContain("<RequestUri>https://umcharderwijk.zorgbridge.localhost/48/fhir/Patient?_include=Patient:general-practitioner</RequestUri>");
    expect(xml).not.toContain("ziekenhuisoost");
  });

  it("P-4: a report that would not validate is caught", () => {
    const bad = reportXml({ deelnemer: "", van: new Date(), tot: new Date(), now: new Date(), collections: [] });
    expect(validateReport(bad)).toMatchObject({ ok: false, reason: expect.stringMatching(/Deelnemer.*minLength/) });
  });
});

describe("Delen: a measurement the Person enters", () => {
  const now = new Date("2026-11-30T12:00:00Z");
  const get = (fields: Record<string, string>) => (n: string) => fields[n];

  it("reads each kind, a comma as decimal mark, a local time in the Netherlands (CET and CEST)", () => {
    expect(parseMeasurement(get({ kind: "bloeddruk", systolic: "131", diastolic: "84", at: "2026-11-30T08:15" }), now)).toEqual({ kind: "bloeddruk", values: [131, 84], at: "2026-11-30T08:15:00+01:00" });
    expect(parseMeasurement(get({ kind: "gewicht", value: "80,5", at: "2026-07-01T07:00" }), now)).toEqual({ kind: "gewicht", values: [80.5], at: "2026-07-01T07:00:00+02:00" });
    expect(parseMeasurement(get({ kind: "glucose", value: "6.1", moment: "nuchter" }), now)).toEqual({ kind: "glucose", values: [6.1], moment: "nuchter", at: "2026-11-30T13:00:00+01:00" });
    // The form of before issue 17 named the weight `kg`.
    expect(parseMeasurement(get({ kind: "gewicht", kg: "79" }), now)?.values).toEqual([79]);
  });

  it.each([
    { kind: "bloeddruk", systolic: "999", diastolic: "80" },
    { kind: "bloeddruk", systolic: "", diastolic: "80" },
    { kind: "bloeddruk", systolic: "80", diastolic: "120" },
    { kind: "gewicht", value: "-1" },
    { kind: "gewicht", value: "1e3" },
    { kind: "hartslag", value: "72", at: "2026-12-25T10:00" },
    { kind: "lengte", value: "180", at: "gisteren" },
    { kind: "temperatuur", value: "37" },
  ])("refuses %j", (fields) => {
    expect(parseMeasurement(get(fields as unknown as Record<string, string>), now)).toBeUndefined();
  });
});

