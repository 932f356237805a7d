/**
 * The DVP's run mechanics in workerd (SPEC G-6, AS-18, LOG-3, issue 17 #2): paging followed on the same Resource
 * Server only, FHIR XML answers read like JSON, documents read after their manifests and references (a missing
 * Binary is no failed collection), one resource kept once, each with the request that carried it; Delen sends
 * the Bundle the standard expects and reads the provider's per-entry answer. The Resource Server here is a
 * scripted stand-in for these mechanics; the standards' own scripts play it in test/qualify/phr.test.ts.
 */
import { env } from "cloudflare:test";
import { beforeAll, describe, expect, it } from "vitest";
import type { Env } from "../../workers/dvp/env.ts";
import { collectQueries, followUps, parseChoice } from "../../workers/dvp/collect/plan.ts";
import { run, type ShareSource } from "../../workers/dvp/run.ts";
import { fhirJsonToXml } from "../../workers/fhir/formats/xml.ts";
import { storeLists, UMC_HOST } from "../helpers/network.ts";

const dvpEnv = env as unknown as Env;
const JANSEN = { id: "jansen", naam: "Johan Jansen", kind: "test-person" as const };
const NOTHING: ShareSource = { measurements: async () => [], documents: async () => [], documentContent: async () => null };
const BASE = (gd: string) => `https://${UMC_HOST}/${gd}/fhir`;

beforeAll(() => storeLists(dvpEnv.LISTS));

type Answer = { status?: number; json?: unknown; xml?: unknown; text?: string; type?: string };

/** A Resource Server stand-in: answers by path and query, records what arrived. */
function server(gd: string, answers: Record<string, Answer>) {
  const seen: { method: string; url: string; body: string | null; accept: string | null; requestId: string | null }[] = [];
  const fetcher = {
    fetch: async (input: Request) => {
      const url = new URL(input.url);
      if (url.pathname === "/oauth/token") return Response.json({ access_token: "t".repeat(43), token_type: "Bearer", expires_in: 900, scope: `umcharderwijk~${gd}` });
      seen.push({ method: input.method, url: input.url, body: input.method === "POST" ? await input.text() : null, accept: input.headers.get("accept"), requestId: input.headers.get("medmij-request-id") });
      const key = `${url.pathname.replace(`/${gd}/fhir/`, "").replace(`/${gd}/fhir`, "")}${decodeURIComponent(url.search)}`;
      const a = answers[key];
      if (!a) return Response.json({ resourceType: "OperationOutcome", issue: [{ severity: "error", code: "not-found" }] }, { status: 404 });
      if (a.xml) return new Response(fhirJsonToXml(a.xml as never), { status: a.status ?? 200, headers: { "content-type": "application/fhir+xml; charset=utf-8" } });
      if (a.text !== undefined) return new Response(a.text, { status: a.status ?? 200, headers: { "content-type": a.type ?? "text/html" } });
      return new Response(JSON.stringify(a.json), { status: a.status ?? 200, headers: { "content-type": "application/fhir+json; charset=utf-8" } });
    },
  } as unknown as Fetcher;
  return { fetcher, seen };
}

const flow = (gd: string, payload?: unknown) => ({ personId: "jansen", zorgaanbieder: "umcharderwijk@medmij", gegevensdienstId: gd, useCase: gd === "5" || gd === "1051" ? ("delen" as const) : ("verzamelen" as const), startedAt: Date.now(), ...(payload ? { payload } : {}) });
const searchset = (resources: unknown[], next?: string) => ({ resourceType: "Bundle", type: "searchset", total: resources.length, ...(next ? { link: [{ relation: "next", url: next }] } : {}), entry: resources.map((resource) => ({ resource })) });
const obs = (id: string) => ({ resourceType: "Observation", id, status: "final", code: { coding: [{ system: "http://snomed.info/sct", code: "49581000146104" }] } });

describe("G-6: what the DVP asks for", () => {
  it("BgZ: the 28 queries of scenario 1.1, nothing else, JSON asked first and XML understood", async () => {
    const rs = server("48", {});
    const result = await run({ ...dvpEnv, MTLS: rs.fetcher }, flow("48"), "code", JANSEN, NOTHING);
    expect(rs.seen).toHaveLength(28);
    expect(rs.seen.map((s) => decodeURIComponent(s.url.slice(BASE("48").length + 1)))).toEqual(collectQueries("48"));
    expect(rs.seen.every((s) => s.accept === "application/fhir+json, application/fhir+xml;q=0.9")).toBe(true);
    // Every search answered 404 here (a provider that does not hold those types): nothing collected, no failure.
    expect(result.outcome).toBe("completed");
    expect(result.resources).toEqual([]);
  });

  it("self measurements: the Person's choice picks among SelfMeasurements 2.0's own queries", () => {
    expect(collectQueries("1005", {})).toEqual(["Observation?category=vital-signs"]);
    expect(collectQueries("1005", parseChoice(new URLSearchParams("soort=gewicht&laatste=ja")))).toEqual(["Observation/$lastn?code=http://loinc.org|29463-7"]);
    expect(collectQueries("1005", parseChoice(new URLSearchParams("soort=bloeddruk&van=2026-08-23&tot=2026-10-12")))).toEqual(["Observation?code=http://loinc.org|85354-9&date=ge2026-08-23&date=le2026-10-12"]);
    expect(collectQueries("1005", parseChoice(new URLSearchParams("soort=hartslag&soort=glucose&soort=gewicht&soort=bloeddruk&van=2026-11-01&tot=2026-11-30")))).toEqual([
      "Observation?code=http://loinc.org|85354-9,http://loinc.org|29463-7,http://loinc.org|14760-3,http://loinc.org|14743-9,http://loinc.org|14770-2,http://loinc.org|8867-4&date=ge2026-11-01&date=le2026-11-30",
    ]);
    // Malformed input is dropped, never passed on.
    expect(parseChoice(new URLSearchParams("soort=x&van=2026-13&tot=morgen"))).toEqual({});
    expect(collectQueries("51", parseChoice(new URLSearchParams("van=2024-12-01&tot=2025-12-01")))).toEqual(["DocumentReference?status=current&indexed=ge2024-12-01&indexed=le2025-12-01"]);
    expect(collectQueries("51", {})).toEqual(["DocumentReference?status=current", "DocumentManifest?status=current"]);
  });
});

describe("G-6: reading what comes back", () => {
  it("follows next links on the same Resource Server, never elsewhere; one resource is kept once; each with its request (LOG-3)", async () => {
    const q = "Observation?category=http://snomed.info/sct|49581000146104";
    const rs = server("24", {
      [q]: { json: searchset([obs("a"), obs("b")], `${BASE("24")}/Observation?_page=2`) },
      "Observation?_page=2": { json: searchset([obs("b"), obs("c")], "https://elsewhere.example.nl/fhir/Observation?_page=3") },
    });
    const result = await run({ ...dvpEnv, MTLS: rs.fetcher }, flow("24"), "code", JANSEN, NOTHING);
    expect(result.outcome).toBe("completed");
    expect(rs.seen.map((s) => decodeURIComponent(new URL(s.url).search))).toEqual(["?category=http://snomed.info/sct|49581000146104", "?_page=2"]);
    expect(result.resources.map((r) => (JSON.parse(r) as { id: string }).id)).toEqual(["a", "b", "c"]);
    expect(result.origins).toEqual([0, 0, 1]);
    expect(new Set(result.requests.map((r) => r.requestId)).size).toBe(2);
  });

  it("a FHIR XML answer is read as FHIR (exact decimals kept)", async () => {
    const q = "Observation?category=http://snomed.info/sct|49581000146104";
    const withValue = { ...obs("x"), valueQuantity: { value: 5.10, unit: "mmol/l", system: "http://unitsofmeasure.org", code: "mmol/L" } };
    const rs = server("24", { [q]: { xml: searchset([withValue]) } });
    const result = await run({ ...dvpEnv, MTLS: rs.fetcher }, flow("24"), "code", JANSEN, NOTHING);
    expect(result.outcome).toBe("completed");
    expect(JSON.parse(result.resources[0]!)).toMatchObject({ resourceType: "Observation", id: "x", valueQuantity: { unit: "mmol/l" } });
  });

  it("a search the provider refuses (400, 5xx after one retry) fails the collection with a reason; the other searches still ran", async () => {
    const q = "Observation?category=http://snomed.info/sct|49581000146104";
    const rs = server("24", { [q]: { status: 400, json: { resourceType: "OperationOutcome", issue: [] } } });
    const result = await run({ ...dvpEnv, MTLS: rs.fetcher }, flow("24"), "code", JANSEN, NOTHING);
    expect(result.outcome).toBe("failed");
    expect(result.reason).toBe("Observation: HTTP 400");
  });

  it("an answer that is not FHIR fails the collection with a reason, and the token is never in it", async () => {
    const q = "Observation?category=http://snomed.info/sct|49581000146104";
    const rs = server("24", { [q]: { text: "<html>login</html>" } });
    const result = await run({ ...dvpEnv, MTLS: rs.fetcher }, flow("24"), "code", JANSEN, NOTHING);
    expect(result.outcome).toBe("failed");
    expect(result.reason).toMatch(/not FHIR/);
    expect(result.reason).not.toContain("t".repeat(43));
  });

  it("documents: a manifest's DocumentReference is read, then every attachment's Binary; a Binary the provider no longer has is skipped", async () => {
    const docref = (id: string, bin: string) => ({ resourceType: "DocumentReference", id, status: "current", content: [{ attachment: { contentType: "application/pdf", url: bin } }] });
    const rs = server("51", {
      "DocumentReference?status=current": { json: searchset([docref("d1", "Binary/b1"), docref("d2", "Binary/foutieve-en-onbekend-id")]) },
      "DocumentManifest?status=current": { json: searchset([{ resourceType: "DocumentManifest", id: "m1", status: "current", content: [{ pReference: { reference: "DocumentReference/d1" } }, { pReference: { reference: `${BASE("51")}/DocumentReference/d3` } }] }]) },
      "DocumentReference/d3": { json: docref("d3", `${BASE("51")}/Binary/b3`) },
      "Binary/b1": { json: { resourceType: "Binary", id: "b1", contentType: "application/pdf", content: "JVBERi0xLjcK" } },
      "Binary/b3": { json: { resourceType: "Binary", id: "b3", contentType: "application/pdf", content: "JVBERi0xLjYK" } },
    });
    const result = await run({ ...dvpEnv, MTLS: rs.fetcher }, flow("51"), "code", JANSEN, NOTHING);
    expect(result.outcome).toBe("completed");
    const got = result.resources.map((r) => JSON.parse(r) as { resourceType: string; id: string }).map((r) => `${r.resourceType}/${r.id}`);
    expect(got.sort()).toEqual(["Binary/b1", "Binary/b3", "DocumentManifest/m1", "DocumentReference/d1", "DocumentReference/d2", "DocumentReference/d3"]);
    expect(rs.seen.map((s) => s.url.slice(BASE("51").length + 1))).toContain("Binary/foutieve-en-onbekend-id");
  });

  it("followUps: nothing outside this Resource Server, nothing malformed", () => {
    const base = BASE("51");
    expect(followUps([{ resourceType: "DocumentReference", id: "d", content: [{ attachment: { url: "https://elsewhere.example.nl/Binary/x" } }, { attachment: { url: "Binary/../x" } }, { attachment: { url: `${base}/Binary/ok` } }] }], base)).toEqual([{ type: "Binary", id: "ok" }]);
  });
});

describe("Delen: the provider's answer decides", () => {
  const measurement = { id: "11111111-2222-4333-8444-555555555555", kind: "gewicht" as const, at: "2026-11-30T08:15:00+01:00", values: [80.5], enteredAt: "2026-11-30T08:16:00Z", sharedAt: null };
  const source: ShareSource = { ...NOTHING, measurements: async () => [measurement] };

  it("a batch of the Patient and the measurement goes to the base; a batch-response accepting each entry completes the run", async () => {
    const rs = server("5", { "": { json: { resourceType: "Bundle", type: "batch-response", entry: [{ response: { status: "200 OK" } }, { response: { status: "201 Created", location: "Observation/o1/_history/1" } }] } } });
    const result = await run({ ...dvpEnv, MTLS: rs.fetcher }, flow("5", { share: "measurements", ids: [measurement.id] }), "code", JANSEN, source);
    expect(result.outcome).toBe("completed");
    expect(result.shared).toEqual({ kind: "measurements", ids: [measurement.id] });
    const sent = JSON.parse(rs.seen[0]!.body!) as { type: string; entry: { fullUrl: string; resource: Record<string, unknown>; request: { method: string; url: string } }[] };
    expect(rs.seen[0]!.url).toBe(BASE("5"));
    expect(sent.type).toBe("batch");
    expect(sent.entry.map((e) => [e.resource.resourceType, e.request.method, e.request.url, e.resource.id])).toEqual([["Patient", "POST", "Patient", undefined], ["Observation", "POST", "Observation", undefined]]);
    expect(sent.entry.every((e) => /^urn:uuid:[0-9a-f-]{36}$/.test(e.fullUrl))).toBe(true);
    expect(sent.entry[1]!.resource).toMatchObject({ meta: { profile: ["http://nictiz.nl/fhir/StructureDefinition/zib-BodyWeight"] }, subject: { reference: sent.entry[0]!.fullUrl, display: "Johan Jansen" }, valueQuantity: { value: 80.5, code: "kg" } });
    expect(JSON.stringify(sent)).not.toMatch(/NamingSystem\/bsn/);
  });

  it.each([
    ["an entry refused", { json: { resourceType: "Bundle", type: "batch-response", entry: [{ response: { status: "200 OK" } }, { response: { status: "422 Unprocessable Entity" } }] } }, /did not accept every entry/],
    ["a transaction-response to a batch", { json: { resourceType: "Bundle", type: "transaction-response", entry: [] } }, /batch-response/],
    ["a refusal of the whole", { status: 422, json: { resourceType: "OperationOutcome", issue: [] } }, /HTTP 422/],
  ])("%s: the run fails and nothing is marked shared", async (_name, answer, reason) => {
    const rs = server("5", { "": answer });
    const result = await run({ ...dvpEnv, MTLS: rs.fetcher }, flow("5", { share: "measurements", ids: [measurement.id] }), "code", JANSEN, source);
    expect(result.outcome).toBe("failed");
    expect(result.reason).toMatch(reason);
    expect(result.shared).toBeUndefined();
  });
});
