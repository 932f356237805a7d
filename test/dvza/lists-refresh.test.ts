/**
 * List refresh on a node (SPEC L-3, L-4, L-5, L-9): validate, reject and keep the last valid list.
 * Registratie is played by a function serving the kv-seed lists (and the failures under test).
 */
import { SELF, env, reset } from "cloudflare:test";
import { afterEach, beforeEach, describe, expect, it, vi } from "vitest";
import type { Env } from "../../workers/dvza/env.ts";
import { DVZA_LISTS } from "../../workers/dvza/index.ts";
import type { ListKind } from "../../workers/shared/lists/catalogue.ts";
import { readStatus, refreshAll, refreshList, type RefreshDeps } from "../../workers/shared/lists/refresh.ts";
import { ISOLATE_TTL_MS, listIndex, readStored, writeStored } from "../../workers/shared/lists/store.ts";
import { countingKv } from "../helpers/counting-kv.ts";
import { WHITELIST } from "../helpers/network.ts";
import { SEED_XML, withVersion } from "../helpers/seed-xml.ts";

const dvzaEnv = env as unknown as Env;
const WL = { kind: "Whitelist", release: "2" } as const;

type Served = (kind: ListKind, request: Request) => Response | Promise<Response>;

function registratie(serve: Served = (kind) => new Response(SEED_XML[kind], { headers: { etag: `"${kind}-1"` } })): RefreshDeps & { calls: Request[] } {
  const calls: Request[] = [];
  return {
    kv: dvzaEnv.LISTS,
    registratieUrl: "https://registratie.medmij.localhost",
    calls,
    timeoutMs: 200,
    fetch: async (request) => {
      calls.push(request);
      const kind = /MedMij_(\w+)\.xml/.exec(new URL(request.url).pathname)![1] as ListKind;
      return serve(kind, request);
    },
  };
}

async function whitelistInUse(): Promise<string | undefined> {
  return (await readStored(dvzaEnv.LISTS, "Whitelist"))?.list.volgnummer;
}

beforeEach(async () => {
  // Storage is shared by the tests of a file: start every test from an empty node.
  await reset();
  const outcomes = await refreshAll(DVZA_LISTS, registratie());
  expect(outcomes.map((o) => o.result)).toEqual(["updated", "updated", "updated", "updated"]);
});
afterEach(() => vi.restoreAllMocks());

describe("L-3/L-4: fetching and using lists", () => {
  it("S-1/L-3: asks Registratie over https for each list in the release this node reads, and records the outcome", async () => {
    const deps = registratie();
    await refreshAll(DVZA_LISTS, deps);
    expect(deps.calls.every((r) => r.url.startsWith("https://registratie.medmij.localhost/"))).toBe(true);
    expect(deps.calls.map((r) => new URL(r.url).pathname + new URL(r.url).search).sort()).toEqual([
      "/MedMij_Gegevensdienstnamenlijst.xml?release=1",
      "/MedMij_OAuthclientlist.xml?release=3",
      "/MedMij_Whitelist.xml?release=2",
      "/MedMij_Zorgaanbiederslijst.xml?release=2",
    ]);
    const status = await readStatus(dvzaEnv.LISTS, "Whitelist");
    expect(status).toMatchObject({ kind: "Whitelist", release: "2", volgnummerInUse: "2001" });
    const wl = await listIndex(dvzaEnv.LISTS, "Whitelist");
    expect(wl?.has("dvp.gezondheidskluis.localhost")).toBe(true);
    const ocl = await listIndex(dvzaEnv.LISTS, "OAuthclientlist");
    expect(ocl?.isRecognisedFor("dvp.mijnzorgapp.localhost", "48")).toBe(true);
    expect(ocl?.isRecognisedFor("dvp.mijnzorgapp.localhost", "24")).toBe(false);
    expect(ocl?.client("dvp.gezondheidskluis.localhost")?.organisatienaam).toBe("Gezondheidskluis & Co");
  });

  it("revalidates with If-None-Match; a 304 keeps the list and counts as unchanged", async () => {
    const deps = registratie((kind, req) => (req.headers.get("if-none-match") === `"${kind}-1"` ? new Response(null, { status: 304 }) : new Response("unexpected", { status: 500 })));
    const outcome = await refreshList(WL, deps);
    expect(outcome).toMatchObject({ result: "unchanged", volgnummerInUse: "2001" });
  });

  it("takes a newer list into use", async () => {
    const outcome = await refreshList(WL, registratie(() => new Response(withVersion(SEED_XML.Whitelist, 2002, "2026-11-02T09:00:00Z"))));
    expect(outcome).toMatchObject({ result: "updated", volgnummerInUse: "2002" });
    expect(await whitelistInUse()).toBe("2002");
  });

  it("the cron trigger refreshes every list (SELF.scheduled, outbound fetch stubbed)", async () => {
    // The Workers KV binding: the port (shared/ports.ts) has no delete, the product never deletes a list.
    await (dvzaEnv.LISTS as KVNamespace).delete("list/Gegevensdienstnamenlijst");
    const fetchSpy = vi.spyOn(globalThis, "fetch").mockImplementation(async (input) => {
      const url = new URL(input instanceof Request ? input.url : String(input));
      const kind = /MedMij_(\w+)\.xml/.exec(url.pathname)![1] as ListKind;
      return new Response(SEED_XML[kind]);
    });
    await (SELF as unknown as { scheduled(c: { cron: string }): Promise<void> }).scheduled({ cron: "*/5 * * * *" });
    expect(fetchSpy).toHaveBeenCalledTimes(4);
    expect((await readStored(dvzaEnv.LISTS, "Gegevensdienstnamenlijst"))?.list.volgnummer).toBe("4001");
  });
});

describe("L-9: rejected lists leave the last valid one in use", () => {
  it.each<[string, Served, RegExp]>([
    ["malformed XML", () => new Response("<Whitelist><Tijdstempel>"), /not valid/],
    ["not XML at all", () => new Response("<html>Gateway</html>"), /not valid/],
    ["an XSD violation (upper-case hostname)", () => new Response(withVersion(SEED_XML.Whitelist, 2003).replace("dvp.mijnzorgapp.localhost", "DVP.mijnzorgapp.localhost")), /Hostname.*pattern/],
    ["a hostname that is not an FQDN (L-4)", () => new Response(withVersion(SEED_XML.Whitelist, 2003).replace("dvp.mijnzorgapp.localhost", "dvp.mijnzorgapp.123")), /fully-qualified/],
    ["an older Volgnummer", () => new Response(withVersion(SEED_XML.Whitelist, 1999)), /lower than 2001/],
    ["the same Volgnummer with other content", () => new Response(SEED_XML.Whitelist.replace("</MedMijNodes>", "<MedMijNode><Hostname>x.localhost</Hostname></MedMijNode></MedMijNodes>")), /already in use/],
    ["a newer Volgnummer with an older Tijdstempel", () => new Response(withVersion(SEED_XML.Whitelist, 2004, "2026-10-01T09:00:00Z")), /before/],
    ["another list's document", () => new Response(SEED_XML.Zorgaanbiederslijst), /not valid/],
    ["a body larger than the limit", () => new Response("<x>" + "a".repeat(9 * 1024 * 1024) + "</x>"), /exceeds/],
    ["a body that is not UTF-8", () => new Response(new Uint8Array([0x3c, 0x61, 0xff, 0xfe, 0x3e])), /UTF-8/],
  ])("%s is rejected with its reason", async (_name, serve, reason) => {
    const logs: string[] = [];
    vi.spyOn(console, "warn").mockImplementation((line: unknown) => void logs.push(String(line)));
    const outcome = await refreshList(WL, registratie(serve));
    expect(outcome.result).toBe("rejected");
    expect(outcome.reason).toMatch(reason);
    expect(outcome.volgnummerInUse).toBe("2001");
    expect(await whitelistInUse()).toBe("2001");
    expect((await listIndex(dvzaEnv.LISTS, "Whitelist"))?.has("dvp.gezondheidskluis.localhost")).toBe(true);
    expect(await readStatus(dvzaEnv.LISTS, "Whitelist")).toMatchObject({ result: "rejected" });
    expect(logs.some((l) => l.includes('"event":"list.refresh"') && l.includes('"result":"rejected"'))).toBe(true);
  });

  it.each<[string, Served, RegExp]>([
    ["HTTP 500", () => new Response("oops", { status: 500 }), /HTTP 500/],
    ["HTTP 404", () => new Response("", { status: 404 }), /HTTP 404/],
    ["a network error", () => Promise.reject(new TypeError("Network connection lost.")), /Network connection lost/],
    ["no answer before the timeout", (_k, req) => new Promise((_resolve, reject) => req.signal.addEventListener("abort", () => reject(req.signal.reason))), /no answer within 200 ms/],
  ])("L-5: Registratie unreachable (%s) keeps the node working on its last valid list", async (_name, serve, reason) => {
    vi.spyOn(console, "warn").mockImplementation(() => {});
    const outcome = await refreshList(WL, registratie(serve));
    expect(outcome).toMatchObject({ result: "unreachable", volgnummerInUse: "2001" });
    expect(outcome.reason).toMatch(reason);
    expect((await listIndex(dvzaEnv.LISTS, "Whitelist"))?.has("dvp.gezondheidskluis.localhost")).toBe(true);
  });

  it("one failing list does not stop the others", async () => {
    vi.spyOn(console, "warn").mockImplementation(() => {});
    const outcomes = await refreshAll(
      DVZA_LISTS,
      registratie((kind) => (kind === "Whitelist" ? new Response("", { status: 503 }) : new Response(withVersion(SEED_XML[kind], 9000, "2026-11-05T00:00:00Z")))),
    );
    expect(Object.fromEntries(outcomes.map((o) => [o.kind, o.result]))).toEqual({
      Zorgaanbiederslijst: "updated",
      Whitelist: "unreachable",
      OAuthclientlist: "updated",
      Gegevensdienstnamenlijst: "updated",
    });
  });
});

describe("lists on the hot path: a parsed copy per isolate, revalidated by version", () => {
  it("within the isolate TTL no KV read; after it a few bytes, the list itself only when it changed", async () => {
    const empty = (dvzaEnv as unknown as { EMPTY_LISTS: KVNamespace }).EMPTY_LISTS;
    const { kv, reads } = countingKv(empty);
    await writeStored(kv, { list: WHITELIST, sha256: "v1", etag: null, storedAt: Date.now() });
    vi.useFakeTimers({ now: Date.now(), toFake: ["Date"] });
    expect((await listIndex(kv, "Whitelist"))?.list.volgnummer).toBe(WHITELIST.volgnummer);
    expect(reads).toEqual([]);
    vi.advanceTimersByTime(ISOLATE_TTL_MS);
    await listIndex(kv, "Whitelist");
    expect(reads).toEqual(["get list-version/Whitelist"]);
    // Another isolate's refresh stored a newer list.
    await empty.put("list/Whitelist", JSON.stringify({ list: { ...WHITELIST, volgnummer: "2002" }, sha256: "v2", etag: null, storedAt: Date.now() }));
    await empty.put("list-version/Whitelist", "v2");
    vi.advanceTimersByTime(ISOLATE_TTL_MS);
    expect((await listIndex(kv, "Whitelist"))?.list.volgnummer).toBe("2002");
    expect(reads.slice(1)).toEqual(["get list-version/Whitelist", "get list/Whitelist"]);
  });
});
