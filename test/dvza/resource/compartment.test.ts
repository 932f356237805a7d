/**
 * SPEC X-4 as pure decisions (workers/dvza/fhir/upstream/compartment.ts): what belongs to the Person, which
 * search parameters pass, how page links go; plus the RS's answer when the upstream configuration is broken.
 */
import { SELF, abortAllDurableObjects, env } from "cloudflare:test";
import { afterEach, beforeEach, describe, expect, it, vi } from "vitest";
import worker from "../../../workers/dvza/index.ts";
import type { Env } from "../../../workers/dvza/env.ts";
import { belongsToPerson, clientSearch, pageLink, readPage, type Person } from "../../../workers/dvza/fhir/upstream/compartment.ts";
import { DVP_KLUIS, UMC_HOST, mtlsFrom, storeLists } from "../../helpers/network.ts";
import { newCode, redeem } from "../token/helpers.ts";

const BASE = "https://fhir.example.nl/stu3";
const person: Person = { bsn: "999990019", system: "http://fhir.nl/fhir/NamingSystem/bsn", patientIds: new Set(["p1", "p1-merged"]), upstreamBase: BASE };
const paging = new Set(["_getpages", "_getpagesoffset"]);

describe("X-4: what belongs to the Person", () => {
  it.each<[string, unknown, boolean]>([
    ["an Observation whose subject is the Person", { resourceType: "Observation", subject: { reference: "Patient/p1" } }, true],
    ["... by absolute URL at this upstream", { resourceType: "Observation", subject: { reference: `${BASE}/Patient/p1` } }, true],
    ["... by a versioned reference", { resourceType: "Observation", subject: { reference: "Patient/p1-merged/_history/3" } }, true],
    ["... by BSN identifier", { resourceType: "Observation", subject: { identifier: { system: "http://fhir.nl/fhir/NamingSystem/bsn", value: "999990019" } } }, true],
    ["another patient", { resourceType: "Observation", subject: { reference: "Patient/p2" } }, false],
    ["another BSN", { resourceType: "Observation", subject: { identifier: { system: "http://fhir.nl/fhir/NamingSystem/bsn", value: "999990020" } } }, false],
    ["the Person's id at another server", { resourceType: "Observation", subject: { reference: "https://other.example.nl/stu3/Patient/p1" } }, false],
    ["no subject", { resourceType: "Observation" }, false],
    ["a Device as subject", { resourceType: "Observation", subject: { reference: "Device/d1" } }, false],
    ["an AllergyIntolerance (patient element)", { resourceType: "AllergyIntolerance", patient: { reference: "Patient/p1" } }, true],
    ["an Appointment with only the Person", { resourceType: "Appointment", participant: [{ actor: { reference: "Patient/p1" } }, { actor: { reference: "Practitioner/x" } }] }, true],
    ["an Appointment with the Person and another patient", { resourceType: "Appointment", participant: [{ actor: { reference: "Patient/p1" } }, { actor: { reference: "Patient/p2" } }] }, false],
    ["the Person's Patient with the BSN", { resourceType: "Patient", id: "p1", identifier: [{ system: "http://fhir.nl/fhir/NamingSystem/bsn", value: "999990019" }] }, true],
    ["the Person's Patient id without the BSN", { resourceType: "Patient", id: "p1", identifier: [] }, false],
    ["a Practitioner (not in the compartment)", { resourceType: "Practitioner", id: "x" }, false],
    ["not an object", "Patient/p1", false],
  ])("%s: %s", (_name, resource, expected) => {
    expect(belongsToPerson(resource, person)).toBe(expected);
  });
});

describe("X-4: which search parameters pass", () => {
  const search = (type: string, q: string) => clientSearch(type, new URLSearchParams(q), paging);
  it("token and date parameters, _count, _sort, known _include and the upstream's paging pass", () => {
    expect(search("Observation", "category=vital-signs&date=ge2026-01-01&_count=10&_sort=-date&_getpagesoffset=10")).toMatchObject({ ok: true });
    expect(search("MedicationStatement", "_include=MedicationStatement:medication")).toMatchObject({ ok: true });
    // Any reference parameter of the type, two- or three-part: what comes back is checked (the Person's, or shared).
    expect(search("Observation", "_include=Observation:subject")).toMatchObject({ ok: true });
    expect(search("Coverage", "_include=Coverage:payor:Patient&_include=Coverage:payor:Organization")).toMatchObject({ ok: true });
    expect(clientSearch("Observation", new URLSearchParams("code=http://loinc.org|85354-9&max=1"), paging, "$lastn")).toMatchObject({ ok: true });
  });
  it.each([
    ["Observation", "patient=Patient/p2", 400],
    ["Observation", "subject.identifier=x|1", 403],
    ["Observation", "code:text=bloeddruk", 403],
    ["Patient", "_has:Observation:patient:code=1", 403],
    ["Patient", "_revinclude=Observation:subject", 403],
    ["Patient", "identifier=x|999990020", 400],
    ["Patient", "name=Jansen", 400],
    ["Observation", "_include=Observation:nonsense", 400],
    ["Observation", "max=1", 400],
    ["Observation", "_include=MedicationStatement:medication", 400],
    ["Observation", "_count=0", 400],
    ["Observation", "_sort=patient", 400],
    ["Observation", "category=a%00b", 400],
  ])("%s?%s is refused with %i", (type, q, status) => {
    expect(search(type, q)).toMatchObject({ ok: false, status });
  });
});

describe("X-4: page links", () => {
  it("carry the upstream path and query in one parameter, and only for this type or the base", () => {
    const link = pageLink(`${BASE}/Condition?patient=Patient%2Fp1&_getpagesoffset=2`, BASE, "https://rs.example.nl/48/fhir/Condition")!;
    expect(link).toBe("https://rs.example.nl/48/fhir/Condition?_page=Condition%3Fpatient%3DPatient%252Fp1%26_getpagesoffset%3D2");
    const page = new URL(link).searchParams.get("_page")!;
    expect(readPage(page, "Condition")).toMatchObject({ ok: true, value: { path: "Condition" } });
    expect(readPage(page, "Observation")).toMatchObject({ ok: false });
    expect(readPage("?_getpages=abc", "Observation")).toMatchObject({ ok: true, value: { path: "" } });
    expect(pageLink("https://elsewhere.example.nl/x?y=1", BASE, "https://rs/48/fhir/Condition")).toBeUndefined();
  });
});

describe("X-4: a broken upstream configuration", () => {
  const dvzaEnv = env as unknown as Env;
  beforeEach(async () => {
    await abortAllDurableObjects();
    await storeLists(dvzaEnv.LISTS);
  });
  afterEach(() => vi.restoreAllMocks());

  it.each([
    ["not JSON", "{umcharderwijk", /not valid JSON/],
    ["http instead of https", JSON.stringify({ umcharderwijk: { mode: "upstream", baseUrl: "http://fhir.example.nl", auth: { type: "none" } } }), /baseUrl must be an https URL/],
    ["a secret that is not there", JSON.stringify({ umcharderwijk: { mode: "upstream", baseUrl: "https://fhir.example.nl", auth: { type: "bearer", secretBinding: "NOPE" } } }), /names no secret/],
  ])("%s: a log line and a 503 OperationOutcome, never a crash", async (_name, config, reason) => {
    const lines: string[] = [];
    vi.spyOn(console, "error").mockImplementation((...a: unknown[]) => void lines.push(a.map(String).join(" ")));
    const code = await newCode();
    const { access_token } = (await (await redeem(code)).json()) as { access_token: string };
    const ctx = { waitUntil() {}, passThroughOnException() {}, props: {} } as unknown as ExecutionContext;
    const req = new Request(`https://${UMC_HOST}/48/fhir/Patient`, { headers: { authorization: `Bearer ${access_token}`, "medmij-request-id": crypto.randomUUID() }, cf: mtlsFrom(DVP_KLUIS) as unknown as IncomingRequestCfProperties });
    const res = await worker.fetch(req, { ...dvzaEnv, FHIR_UPSTREAMS: config } as Env, ctx);
    expect(res.status).toBe(503);
    expect(((await res.json()) as { resourceType: string }).resourceType).toBe("OperationOutcome");
    expect(lines.join("\n")).toMatch(reason);
    // The store-mode deployment next to it is unaffected.
    const plain = await SELF.fetch(`https://${UMC_HOST}/48/fhir/Patient`, { headers: { authorization: `Bearer ${access_token}`, "medmij-request-id": crypto.randomUUID() }, cf: mtlsFrom(DVP_KLUIS) as unknown as IncomingRequestCfProperties });
    expect(plain.status).toBe(200);
  });
});
