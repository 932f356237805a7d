/**
 * The PHR-side FHIR server double (server.mjs): its data is what Nictiz's load scripts PUT, its answers are scoped
 * to the token's patient, and its plain lookup does what the PHR scripts ask of it. The isolation check walks
 * every answer for Patient references on its own, without the double's notion of ownership.
 */
import { readFileSync } from "node:fs";
import { beforeAll, describe, expect, it } from "vitest";
import { createPhrServer, parseFhirXml, patientForTokenFrom, type PhrServer } from "./index.mjs";
import { NICTIZ } from "./helpers.ts";

const BASE = "https://fhir.nictiz-sim.localhost/48/fhir";
const TODAY = "2026-03-15";
const PATIENTS = [
  "example-pdfa-kwalificatie1", "example-pdfa-kwalificatie2", "example-pdfa-kwalificatie3", "laboratoryresults-patient-kwalificatie1",
  "medmij-bgz-patient-ts-01", "medmij-bgz-patient-ts-02", "selfmeasurement-patient-kwalificatie1", "selfmeasurement-patient-kwalificatie2",
];
const tokenFor = Object.fromEntries(PATIENTS.map((p) => [p, `Bearer sim-${p}`]));
const auth = (patient: string) => ({ authorization: tokenFor[patient] ?? "" });

type Json = Record<string, any>;
let server: PhrServer;

beforeAll(async () => {
  server = await createPhrServer({ baseUrl: `${BASE}/`, patientForToken: patientForTokenFrom(tokenFor), today: TODAY });
}, 60_000);

async function call(path: string, init: RequestInit & { headers?: Record<string, string> } = {}) {
  const response = await server(new Request(path.startsWith("https:") ? path : `${BASE}/${path}`, init));
  const text = await response.text();
  const type = response.headers.get("content-type") ?? "";
  const body: Json | undefined = type.includes("json") ? JSON.parse(text) : type.includes("xml") ? parseFhirXml(text) : undefined;
  return { status: response.status, type, text, body, headers: response.headers };
}
const ids = (bundle: Json | undefined) => (bundle?.entry ?? []).map((e: Json) => `${e.resource.resourceType}/${e.resource.id}`);
const matchIds = (bundle: Json | undefined) => (bundle?.entry ?? []).filter((e: Json) => e.search?.mode === "match").map((e: Json) => `${e.resource.resourceType}/${e.resource.id}`);

describe("the data", () => {
  it("is what the four load scripts PUT, dates filled in from today", () => {
    expect(server.patients).toEqual(PATIENTS);
    expect(server.resources.length).toBe(106);
    expect(JSON.stringify(server.resources)).not.toContain("${");
    const bp = server.resources.find((r) => r.id === "selfmeasurements-bloodpressure-kwalificatie1") as Json;
    expect(String(bp.effectiveDateTime).slice(0, 4)).toMatch(/^20(2[5-6])$/); // relative to 2026-03-15
    expect(server.baseUrl).toBe(BASE);
  });

  it("reads a fixture the way the load sends it (one of them, checked by hand)", () => {
    const fixture = parseFhirXml(readFileSync(`${NICTIZ}/BgZ-3-0/MedMij/Cert/_reference/resources/medmij-bgz-patient-ts-01.xml`, "utf8"));
    expect(server.resources.find((r) => r.resourceType === "Patient" && r.id === "medmij-bgz-patient-ts-01")).toEqual(fixture);
  });
});

describe("authorization", () => {
  it("answers 401 without a token or with an unknown one, and the CapabilityStatement without one", async () => {
    const none = await call("Observation");
    expect(none.status).toBe(401);
    expect(none.headers.get("www-authenticate")).toMatch(/^Bearer /);
    expect(none.body?.resourceType).toBe("OperationOutcome");
    expect((await call("Observation", { headers: { authorization: "Bearer 93cde269-ce35-4077-a39d-19296670e949" } })).status).toBe(401); // Nictiz's, not issued here
    expect((await call("Observation", { headers: { authorization: "Basic c2lt" } })).status).toBe(401);
    const metadata = await call("metadata");
    expect([metadata.status, metadata.body?.resourceType]).toEqual([200, "CapabilityStatement"]);
  });

  it("never serves a resource that references another patient, nor another patient's Patient, by search or read", async () => {
    const types = [...new Set(server.resources.map((r) => String(r.resourceType)))];
    const patientRefs = (value: unknown, out = new Set<string>()): Set<string> => {
      if (Array.isArray(value)) for (const v of value) patientRefs(v, out);
      else if (value && typeof value === "object") {
        for (const [k, v] of Object.entries(value)) {
          if (k === "reference" && typeof v === "string") {
            const m = /(?:^|\/)Patient\/([^/]+)$/.exec(v);
            if (m?.[1]) out.add(m[1]);
          } else patientRefs(v, out);
        }
      }
      return out;
    };
    for (const patient of PATIENTS) {
      const served: Json[] = [];
      for (const type of types) {
        const { status, body } = await call(type, { headers: auth(patient) });
        expect(status).toBe(200);
        served.push(...(body?.entry ?? []).map((e: Json) => e.resource));
      }
      for (const r of server.resources) {
        const { status, body } = await call(`${String(r.resourceType)}/${String(r.id)}`, { headers: { ...auth(patient), accept: "application/fhir+json" } });
        if (status === 200) served.push(body as Json);
        else expect(status).toBe(404);
      }
      expect(served.length).toBeGreaterThan(0);
      for (const r of served) {
        if (r.resourceType === "Patient") expect(r.id).toBe(patient);
        // (A DocumentManifest of kwalificatie2 lists documents of kwalificatie3: the manifest is served, the
        // documents are not; the next test.)
        for (const other of patientRefs(r)) expect([`${r.resourceType}/${r.id}`, other]).toEqual([`${r.resourceType}/${r.id}`, patient]);
      }
    }
  }, 120_000);

  it("does not serve a document another patient's manifest lists", async () => {
    const manifest = await call("DocumentManifest/pdfa-documentmanifest2", { headers: auth("example-pdfa-kwalificatie2") });
    expect(JSON.stringify(manifest.body)).toContain("DocumentReference/pdfa-documentreference8");
    expect((await call("DocumentReference/pdfa-documentreference8", { headers: auth("example-pdfa-kwalificatie2") })).status).toBe(404);
    expect((await call("DocumentReference/pdfa-documentreference8", { headers: auth("example-pdfa-kwalificatie3") })).status).toBe(200);
    expect((await call("Binary/pdfa-binary1", { headers: auth("example-pdfa-kwalificatie2") })).status).toBe(404);
  });
});

describe("search", () => {
  const bgz = auth("medmij-bgz-patient-ts-01");
  const sm = auth("selfmeasurement-patient-kwalificatie1");

  it("answers a searchset with total, self link and full URLs; includes two- and three-part", async () => {
    const { body, type } = await call("Coverage?_include=Coverage:payor:Organization", { headers: bgz });
    expect(type).toBe("application/fhir+json; charset=utf-8");
    expect(body).toMatchObject({ resourceType: "Bundle", type: "searchset", total: 2, link: [{ relation: "self", url: `${BASE}/Coverage?_include=Coverage:payor:Organization` }] });
    expect(ids(body)).toEqual(["Coverage/medmij-bgz-coverage-ts-01", "Coverage/medmij-bgz-coverage-ts-02", "Organization/medmij-bgz-insurer-ts-01"]);
    expect(body?.entry[2]).toMatchObject({ fullUrl: `${BASE}/Organization/medmij-bgz-insurer-ts-01`, search: { mode: "include" } });
    expect(ids((await call("Coverage?_include=Coverage:payor:Practitioner", { headers: bgz })).body)).toHaveLength(2);
    expect(ids((await call("Patient?_include=Patient:general-practitioner", { headers: bgz })).body)).toEqual(["Patient/medmij-bgz-patient-ts-01", "Practitioner/medmij-bgz-practitioner-ts-02"]);
  });

  it("matches tokens with and without a system, OR lists, status, _id and the element fallback", async () => {
    const count = async (q: string, h = sm) => matchIds((await call(q, { headers: h })).body).length;
    expect(await count("Observation?code=http://loinc.org|85354-9")).toBe(2);
    expect(await count("Observation?code=85354-9")).toBe(2);
    expect(await count("Observation?code=http://snomed.info/sct|85354-9")).toBe(0);
    expect(await count("Observation?code=http://loinc.org|")).toBe(9);
    expect(await count("Observation?code=http%3A%2F%2Floinc.org%7C8867-4%2Chttp%3A%2F%2Floinc.org%7C85354-9")).toBe(4);
    expect(await count("Observation?category=vital-signs")).toBe(6);
    expect(await count("Observation?category=vital-signs&code=http://loinc.org|8867-4")).toBe(2); // AND
    expect(await count("Observation?_id=selfmeasurements-bloodpressure-kwalificatie1")).toBe(1);
    expect(await count("Immunization?status=completed", bgz)).toBe(1);
    expect(await count("Immunization?status=entered-in-error", bgz)).toBe(0);
    expect(await count("MedicationDispense?category=http://snomed.info/sct|422037009", bgz)).toBe(1); // no HL7 parameter: the element
  });

  it("compares dates as ranges with ge, le, gt, lt, eq", async () => {
    const count = async (q: string) => matchIds((await call(q, { headers: sm })).body).length;
    const all = (await call("Observation", { headers: sm })).body?.entry.map((e: Json) => String(e.resource.effectiveDateTime)) as string[];
    const day = all[0]!.slice(0, 10);
    const sameDay = all.filter((d) => d.startsWith(day)).length;
    expect(await count(`Observation?date=${day}`)).toBe(sameDay);
    expect(await count(`Observation?date=ge${day}&date=le${day}`)).toBe(sameDay);
    expect(await count(`Observation?date=gt${day}`) + await count(`Observation?date=lt${day}`) + sameDay).toBe(all.length);
    expect(await count("Observation?date=ge2026-03-16")).toBe(0);
    expect(await count("Observation?date=le2026-03-15")).toBe(all.length);
  });

  it("$lastn keeps the most recent per code, max of them", async () => {
    const lastn = (await call("Observation/$lastn?code=http://loinc.org|29463-7", { headers: sm })).body;
    const weights = (await call("Observation?code=http://loinc.org|29463-7", { headers: sm })).body?.entry.map((e: Json) => e.resource) as Json[];
    expect(weights).toHaveLength(2);
    const newest = [...weights].sort((a, b) => String(b.effectiveDateTime).localeCompare(String(a.effectiveDateTime)))[0];
    expect(ids(lastn)).toEqual([`Observation/${String(newest?.id)}`]);
    expect(matchIds((await call("Observation/$lastn?category=vital-signs", { headers: sm })).body)).toHaveLength(3);
    expect(matchIds((await call("Observation/$lastn?category=vital-signs&max=2", { headers: sm })).body)).toHaveLength(6);
  });

  it("takes a search by POST _search with a form body", async () => {
    const { status, body } = await call("Observation/_search", { method: "POST", headers: { ...sm, "content-type": "application/x-www-form-urlencoded" }, body: "code=http%3A%2F%2Floinc.org%7C85354-9" });
    expect([status, matchIds(body).length]).toEqual([200, 2]);
  });

  it("refuses what it does not do, with an OperationOutcome", async () => {
    for (const q of ["Observation?code:text=bp", "Observation?subject.identifier=x", "Observation?_sort=date", "Observation?_revinclude=Provenance:target", "Observation?value-quantity=5", "Observation?nonsense=1", "Observation?date=sa2020", "Observation?_count=1", "Observation?_include=Observation:code"]) {
      const { status, body } = await call(q, { headers: sm });
      expect([q, status, body?.resourceType]).toEqual([q, 400, "OperationOutcome"]);
    }
    expect((await call("Observation?_count=50", { headers: sm })).status).toBe(200);
    expect((await call("Observation/x/_history", { headers: sm })).status).toBe(405);
    expect((await call("Nonsense", { headers: sm })).status).toBe(404);
    expect((await call("Observation/%E0%A4%A", { headers: sm })).status).toBe(404);
    expect((await call("Observation", { method: "DELETE", headers: sm })).status).toBe(405);
    expect((await call("https://elsewhere.localhost/fhir/Observation", { headers: sm })).status).toBe(404);
  });
});

describe("reads and formats", () => {
  const pdfa = auth("example-pdfa-kwalificatie1");

  it("answers a Binary raw without a FHIR Accept, as a FHIR Binary with one", async () => {
    const raw = await server(new Request(`${BASE}/Binary/pdfa-binary1`, { headers: pdfa }));
    expect(raw.headers.get("content-type")).toBe("application/pdf");
    expect(new TextDecoder().decode((await raw.arrayBuffer()).slice(0, 5))).toBe("%PDF-");
    const star = await server(new Request(`${BASE}/Binary/pdfa-binary1`, { headers: { ...pdfa, accept: "*/*" } }));
    expect(star.headers.get("content-type")).toBe("application/pdf");
    const json = await call("Binary/pdfa-binary1", { headers: { ...pdfa, accept: "application/fhir+json" } });
    expect(json.body).toMatchObject({ resourceType: "Binary", id: "pdfa-binary1", contentType: "application/pdf" });
    const xml = await call("Binary/pdfa-binary1?_format=xml", { headers: pdfa });
    expect(xml.type).toBe("application/fhir+xml; charset=utf-8");
    expect(xml.body).toEqual(json.body);
    expect((await call("Binary/foutieve-en-onbekend-id", { headers: pdfa })).status).toBe(404);
  });

  it("answers FHIR XML when Accept or _format asks, the same content as JSON", async () => {
    const json = (await call("DocumentReference?status=current", { headers: pdfa })).body as Json;
    const xml = await call("DocumentReference?status=current", { headers: { ...pdfa, accept: "application/fhir+xml" } });
    expect(xml.text.startsWith('<?xml version="1.0" encoding="UTF-8"?>\n<Bundle xmlns="http://hl7.org/fhir">')).toBe(true);
    expect({ ...xml.body, id: "x" }).toEqual({ ...json, id: "x" });
    expect((await call("DocumentReference?status=current&_format=application/fhir+xml", { headers: pdfa })).type).toContain("xml");
    expect((await call("DocumentReference?status=current&_format=json", { headers: { ...pdfa, accept: "application/fhir+xml" } })).type).toContain("json");
  });
});

describe("batch and transaction", () => {
  const sender = auth("selfmeasurement-patient-kwalificatie2");
  const post = (bundle: Json, headers: Record<string, string> = sender) =>
    call("", { method: "POST", headers: { ...headers, "content-type": "application/fhir+json" }, body: JSON.stringify(bundle) });
  const observation = { resourceType: "Observation", status: "final", code: { coding: [{ system: "http://loinc.org", code: "29463-7" }] }, subject: { reference: "urn:uuid:0f0c3c1e-4a34-4c36-9d2f-8e0e3b7f5a10" } };

  it("answers a batch-response with 201 and a location per entry, stores nothing", async () => {
    const { status, body } = await post({
      resourceType: "Bundle", type: "batch", entry: [
        { fullUrl: "urn:uuid:0f0c3c1e-4a34-4c36-9d2f-8e0e3b7f5a10", resource: { resourceType: "Patient" }, request: { method: "POST", url: "Patient" } },
        { resource: observation, request: { method: "POST", url: "Observation" } },
        { resource: { ...observation, id: "mine" }, request: { method: "PUT", url: "Observation/mine" } },
        { request: { method: "GET", url: "Observation?code=http://loinc.org|29463-7" } },
      ],
    });
    expect([status, body?.type]).toEqual([200, "batch-response"]);
    const [p, o, put, get] = body?.entry as Json[];
    expect(p?.response.status).toBe("201 Created");
    expect(p?.response.location).toMatch(/^Patient\/[0-9a-f-]{36}\/_history\/1$/);
    expect(o?.response.location).toMatch(/^Observation\/[0-9a-f-]{36}\/_history\/1$/);
    expect(put?.response).toMatchObject({ status: "201 Created", location: "Observation/mine/_history/1" });
    expect(get).toMatchObject({ response: { status: "200 OK" }, resource: { resourceType: "Bundle", type: "searchset", total: 0 } });
    expect(server.resources.some((r) => r.id === "mine")).toBe(false);
  });

  it("answers a transaction-response, and takes XML", async () => {
    const xml = `<Bundle xmlns="http://hl7.org/fhir"><type value="transaction"/><entry><resource><Patient/></resource><request><method value="POST"/><url value="Patient"/></request></entry></Bundle>`;
    const { status, body } = await call("", { method: "POST", headers: { ...sender, "content-type": "application/fhir+xml", accept: "application/fhir+xml" }, body: xml });
    expect([status, body?.type, body?.entry[0].response.status]).toEqual([200, "transaction-response", "201 Created"]);
  });

  it("refuses a Bundle of another type, a body that is not FHIR, and entries that touch another patient", async () => {
    expect((await post({ resourceType: "Bundle", type: "collection", entry: [] })).status).toBe(400);
    expect((await post({ resourceType: "Observation" })).status).toBe(400);
    expect((await call("", { method: "POST", headers: { ...sender, "content-type": "application/fhir+json" }, body: "{" })).status).toBe(400);
    const foreign = { ...observation, subject: { reference: "Patient/selfmeasurement-patient-kwalificatie1" } };
    const batch = await post({ resourceType: "Bundle", type: "batch", entry: [{ resource: foreign, request: { method: "POST", url: "Observation" } }, { resource: observation, request: { method: "POST", url: "Observation" } }] });
    expect(batch.body?.entry.map((e: Json) => e.response.status)).toEqual(["403 Forbidden", "201 Created"]);
    const transaction = await post({ resourceType: "Bundle", type: "transaction", entry: [{ resource: { resourceType: "Patient", id: "medmij-bgz-patient-ts-01" }, request: { method: "PUT", url: "Patient/medmij-bgz-patient-ts-01" } }] });
    expect([transaction.status, transaction.body?.resourceType]).toEqual([403, "OperationOutcome"]);
  });
});
