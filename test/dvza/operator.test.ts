/**
 * The operator FHIR interface (SPEC X-10, workers/dvza/operator.ts): how a provider's own system feeds store mode.
 * Its own hostname and credential, never a MedMij access token or a DVP certificate; every resource validated
 * against the STU3 structure before anything is stored; transactions all or nothing, batches per entry; a Patient
 * tied to its Person by its BSN (which is never served, X-8); `$purge` per Person; one audit line per change (who,
 * what, when), never the content. Through SELF.fetch, with the real FhirStore Durable Object; what was fed is
 * then read through the Resource Server with a real MedMij access token.
 */
import { SELF, env } from "cloudflare:test";
import { afterEach, beforeAll, describe, expect, it, vi } from "vitest";
import type { Env } from "../../workers/dvza/env.ts";
import type { FhirJson } from "../../workers/fhir/formats/json.ts";
import { fhirJsonToXml, fhirXmlToJson } from "../../workers/fhir/formats/xml.ts";
import { DVP_KLUIS, UMC_HOST, mtlsFrom, storeLists } from "../helpers/network.ts";
import { newCode, redeem } from "./token/helpers.ts";

const dvzaEnv = env as unknown as Env;
const OP_HOST = "feed.zorgbridge.localhost";
const SECRET = "operator-secret-0123456789-abcdefghijklmnop";
const OP = `https://${OP_HOST}/umcharderwijk/fhir`;
const BSN_SYSTEM = "http://fhir.nl/fhir/NamingSystem/bsn";
const RS48 = `https://${UMC_HOST}/48/fhir`;

type Json = Record<string, unknown>;
type Outcome = { resourceType: string; issue: { severity: string; code: string; diagnostics: string }[] };
type ResponseBundle = { resourceType: string; type: string; entry: { fullUrl?: string; resource?: Json; response: { status: string; location?: string; etag?: string; outcome?: Outcome } }[] };
type Searchset = { total: number; entry?: { resource: Json }[] };

const store = () => dvzaEnv.FHIR.get(dvzaEnv.FHIR.idFromName("umcharderwijk@medmij"));
/** Fresh ids and BSNs per test: the store keeps its data for the whole file. */
const uid = (prefix: string) => `${prefix}-${crypto.randomUUID().slice(0, 8)}`;
const newBsn = () => `9${String(Math.floor(Math.random() * 1e8)).padStart(8, "0")}`;

function op(path: string, init: { method?: string; body?: string; headers?: Record<string, string>; token?: string | null; cf?: unknown; base?: string } = {}): Promise<Response> {
  const headers: Record<string, string> = { accept: "application/fhir+json", ...(init.body !== undefined ? { "content-type": "application/fhir+json" } : {}), ...(init.headers ?? {}) };
  const token = init.token === undefined ? SECRET : init.token;
  if (token !== null) headers.authorization = `Bearer ${token}`;
  return SELF.fetch(`${init.base ?? OP}${path}`, { method: init.method ?? "GET", headers, body: init.body, ...(init.cf ? { cf: init.cf as IncomingRequestCfProperties } : {}) });
}
const put = (resource: Json, init: Parameters<typeof op>[1] = {}) => op(`/${String(resource.resourceType)}/${String(resource.id)}`, { method: "PUT", body: JSON.stringify(resource), ...init });
const xmlOf = (resource: unknown): string => fhirJsonToXml(resource as FhirJson);
const bundleOf = (type: "transaction" | "batch", entries: { method: "PUT" | "POST" | "DELETE"; url: string; resource?: Json }[]) => ({
  resourceType: "Bundle",
  type,
  entry: entries.map((e) => ({ ...(e.resource ? { resource: e.resource } : {}), request: { method: e.method, url: e.url } })),
});

const patient = (id: string, bsn: string, family = "Visser"): Json => ({ resourceType: "Patient", id, identifier: [{ system: BSN_SYSTEM, value: bsn }], name: [{ family, given: ["Anna"] }], gender: "female", birthDate: "1980-05-05" });
const observation = (id: string, patientId: string, extra: Json = {}): Json => ({
  resourceType: "Observation",
  id,
  status: "final",
  category: [{ coding: [{ system: "http://hl7.org/fhir/observation-category", code: "vital-signs" }] }],
  code: { coding: [{ system: "http://loinc.org", code: "29463-7", display: "Lichaamsgewicht" }] },
  subject: { reference: `Patient/${patientId}` },
  effectiveDateTime: "2026-10-01T08:00:00+02:00",
  valueQuantity: { value: 70.5, unit: "kg", system: "http://unitsofmeasure.org", code: "kg" },
  ...extra,
});

async function tokenFor(subject: string, gd = "48"): Promise<string> {
  const code = await newCode({ scope: `umcharderwijk~${gd}`, gegevensdienstId: gd, subject });
  const res = await redeem(code);
  expect(res.status).toBe(200);
  return ((await res.json()) as { access_token: string }).access_token;
}
function rs(url: string, token: string): Promise<Response> {
  return SELF.fetch(url, { headers: { authorization: `Bearer ${token}`, "medmij-request-id": crypto.randomUUID(), accept: "application/fhir+json" }, cf: mtlsFrom(DVP_KLUIS) as unknown as IncomingRequestCfProperties });
}
const searchRs = async (path: string, token: string): Promise<Searchset> => {
  const res = await rs(`${RS48}/${path}`, token);
  expect(res.status).toBe(200);
  return (await res.json()) as Searchset;
};

/** The worker's JSON log lines while `run` runs (the worker runs in the test's isolate, as in resource.test.ts). */
async function logsOf(run: () => Promise<void>): Promise<Json[]> {
  const lines: string[] = [];
  for (const m of ["log", "warn", "error"] as const) vi.spyOn(console, m).mockImplementation((l: unknown) => void lines.push(String(l)));
  try {
    await run();
  } finally {
    vi.restoreAllMocks();
  }
  return lines.flatMap((l) => {
    try {
      return [JSON.parse(l) as Json];
    } catch {
      return [];
    }
  });
}
const audits = (lines: Json[]) => lines.filter((l) => l.event === "operator.change");

beforeAll(async () => {
  // the operator interface's own hostname and credential, as scripts/local-network.mjs configures them. The
  // test configuration binds neither; SELF's handler is called with this very env object (the pool's `env`), so
  // setting them here configures the worker under test for this file only.
  Object.assign(dvzaEnv, { OPERATOR_HOSTNAME: OP_HOST, OPERATOR_TOKEN: SECRET });
  await storeLists(dvzaEnv.LISTS);
});
afterEach(() => vi.restoreAllMocks());

describe("X-10: the operator's own credential, and nothing else", () => {
  it("no credential: 401 with a Bearer challenge, and nothing is stored", async () => {
    const id = uid("pat");
    const res = await put(patient(id, newBsn()), { token: null });
    expect(res.status).toBe(401);
    expect(res.headers.get("www-authenticate")).toBe('Bearer realm="medmij-edge operator"');
    expect(((await res.json()) as Outcome).issue[0]).toMatchObject({ code: "login" });
    expect(await store().readAny("Patient", id)).toBeNull();
    // Reads need it too: what was fed holds BSNs' Persons.
    expect((await op(`/Patient/${id}`, { token: null })).status).toBe(401);
  });

  it.each<[string, string]>([
    ["one character off", `${SECRET.slice(0, -1)}X`],
    ["a prefix", SECRET.slice(0, 32)],
    ["longer", `${SECRET}0`],
    ["another case", SECRET.toUpperCase()],
  ])("a wrong secret (%s) is refused and stores nothing", async (_name, wrong) => {
    const id = uid("pat");
    const res = await put(patient(id, newBsn()), { token: wrong });
    expect(res.status).toBe(401);
    expect(await store().readAny("Patient", id)).toBeNull();
  });

  it("a valid MedMij access token is never an operator credential, nor a whitelisted DVP certificate", async () => {
    const id = uid("pat");
    const accessToken = await tokenFor("999990019");
    // The token works where it belongs...
    expect((await rs(`${RS48}/Patient`, accessToken)).status).toBe(200);
    // ...and not here: alone, with the DVP's certificate, or the certificate alone.
    expect((await put(patient(id, newBsn()), { token: accessToken })).status).toBe(401);
    expect((await put(patient(id, newBsn()), { token: accessToken, cf: mtlsFrom(DVP_KLUIS) })).status).toBe(401);
    expect((await put(patient(id, newBsn()), { token: null, cf: mtlsFrom(DVP_KLUIS) })).status).toBe(401);
    expect(await store().readAny("Patient", id)).toBeNull();
  });

  it("the operator interface is not reachable on a MedMij hostname, and its secret is no MedMij token there", async () => {
    const id = uid("pat");
    // The operator path on the DVZA's MedMij hostname is no endpoint at all (behind the whitelist gate).
    const onMedmij = await put(patient(id, newBsn()), { base: `https://${UMC_HOST}/umcharderwijk/fhir`, cf: mtlsFrom(DVP_KLUIS) });
    expect(onMedmij.status).toBe(404);
    // The secret as a bearer token at a resource endpoint: an invalid token (RFC 6750), never a way in.
    const asToken = await SELF.fetch(`https://${UMC_HOST}/5/fhir/Observation`, {
      method: "POST",
      headers: { authorization: `Bearer ${SECRET}`, "medmij-request-id": crypto.randomUUID(), "content-type": "application/fhir+json" },
      body: JSON.stringify(observation(uid("obs"), id)),
      cf: mtlsFrom(DVP_KLUIS) as unknown as IncomingRequestCfProperties,
    });
    expect(asToken.status).toBe(401);
    expect(asToken.headers.get("www-authenticate")).toMatch(/invalid_token/);
    // Without a whitelisted certificate the MedMij hostname answers the bare 403 (W-2), operator secret or not.
    const bare = await put(patient(id, newBsn()), { base: `https://${UMC_HOST}/umcharderwijk/fhir` });
    expect([bare.status, await bare.text()]).toEqual([403, ""]);
    expect(await store().readAny("Patient", id)).toBeNull();
  });

  it("an operator hostname that is also a MedMij hostname is a configuration error: 503 and a log line, nothing served", async () => {
    const before = dvzaEnv.OPERATOR_HOSTNAME;
    try {
      dvzaEnv.OPERATOR_HOSTNAME = UMC_HOST;
      const lines = await logsOf(async () => {
        const res = await put(patient(uid("pat"), newBsn()), { base: `https://${UMC_HOST}/umcharderwijk/fhir` });
        expect(res.status).toBe(503);
      });
      expect(lines.find((l) => l.event === "operator.config")).toMatchObject({ level: "error", reason: expect.stringMatching(/must be a hostname of its own/) });
    } finally {
      dvzaEnv.OPERATOR_HOSTNAME = before;
    }
  });

  it("a per-Zorgaanbieder secret is then the only one for it; the deployment's stays valid for the others", async () => {
    const own = "umcharderwijk-own-secret-0123456789abcdef";
    const env2 = dvzaEnv as unknown as Record<string, unknown>;
    env2.OPERATOR_TOKEN_UMCHARDERWIJK = own;
    try {
      const id = uid("pat");
      expect((await put(patient(id, newBsn()))).status).toBe(401);
      const lines = await logsOf(async () => {
        expect((await put(patient(id, newBsn()), { token: own })).status).toBe(201);
      });
      expect(audits(lines)[0]).toMatchObject({ by: "zorgaanbieder:umcharderwijk", zorgaanbieder: "umcharderwijk" });
      // Its own secret is not the key to another Zorgaanbieder; the deployment's still is.
      const delinde = `https://${OP_HOST}/huisartsenpraktijkdelinde/fhir`;
      const other = patient(uid("pat"), newBsn());
      expect((await put(other, { base: delinde, token: own })).status).toBe(401);
      expect((await put(other, { base: delinde })).status).toBe(201);
    } finally {
      delete env2.OPERATOR_TOKEN_UMCHARDERWIJK;
    }
  });

  it("a secret shorter than 32 characters is never accepted, even when presented exactly", async () => {
    const env2 = dvzaEnv as unknown as Record<string, unknown>;
    env2.OPERATOR_TOKEN_UMCHARDERWIJK = "short-secret";
    try {
      expect((await put(patient(uid("pat"), newBsn()), { token: "short-secret" })).status).toBe(401);
    } finally {
      delete env2.OPERATOR_TOKEN_UMCHARDERWIJK;
    }
  });

  it("a Zorgaanbieder this deployment does not serve is 404, after the credential", async () => {
    expect((await op("/Patient/x", { base: `https://${OP_HOST}/nietbestaand/fhir`, token: null })).status).toBe(401);
    const res = await op("/Patient/x", { base: `https://${OP_HOST}/nietbestaand/fhir` });
    expect(res.status).toBe(404);
    expect(((await res.json()) as Outcome).issue[0]!.diagnostics).toMatch(/nietbestaand@medmij is not served/);
  });
});

describe("X-10: create, update, read back, delete (FHIR JSON and XML)", () => {
  it("PUT creates (201) and updates (200) with versions, Location and ETag; the answer carries no BSN (X-8)", async () => {
    const id = uid("pat");
    const bsn = newBsn();
    const created = await put(patient(id, bsn));
    expect(created.status).toBe(201);
    expect(created.headers.get("location")).toBe(`${OP}/Patient/${id}/_history/1`);
    expect(created.headers.get("etag")).toBe('W/"1"');
    const body = (await created.json()) as Json & { meta: { versionId: string; lastUpdated: string } };
    expect(body).toMatchObject({ resourceType: "Patient", id, meta: { versionId: "1" } });
    expect(JSON.stringify(body)).not.toContain(bsn);
    const updated = await put({ ...patient(id, bsn), gender: "other" });
    expect([updated.status, updated.headers.get("etag")]).toEqual([200, 'W/"2"']);
    const read = await op(`/Patient/${id}`);
    expect([read.status, read.headers.get("etag")]).toEqual([200, 'W/"2"']);
    expect(((await read.json()) as Json).gender).toBe("other");
  });

  it("If-Match: an update against another version is 412 and changes nothing", async () => {
    const id = uid("pat");
    const bsn = newBsn();
    await put(patient(id, bsn));
    await put(patient(id, bsn, "Tweede"));
    const stale = await put(patient(id, bsn, "Derde"), { headers: { "if-match": 'W/"1"' } });
    expect(stale.status).toBe(412);
    expect(((await stale.json()) as Outcome).issue[0]!.code).toBe("conflict");
    expect((await store().readAny("Patient", id))!.version).toBe(2);
    expect((await put(patient(id, bsn, "Derde"), { headers: { "if-match": 'W/"2"' } })).status).toBe(200);
  });

  it("POST to a type creates with a server-chosen id; Prefer: return=minimal answers without a body", async () => {
    const pid = uid("pat");
    await put(patient(pid, newBsn()));
    const res = await op("/Observation", { method: "POST", body: JSON.stringify(observation("client-id", pid)) });
    expect(res.status).toBe(201);
    const stored = (await res.json()) as { id: string };
    expect(stored.id).not.toBe("client-id");
    expect(res.headers.get("location")).toBe(`${OP}/Observation/${stored.id}/_history/1`);
    const minimal = await op("/Observation", { method: "POST", body: JSON.stringify(observation("x", pid)), headers: { prefer: "return=minimal" } });
    expect([minimal.status, await minimal.text()]).toEqual([201, ""]);
    expect(minimal.headers.get("location")).toMatch(new RegExp(`^${OP}/Observation/[0-9a-f-]{36}/_history/1$`));
  });

  it("DELETE removes (204), then 404; a Patient that still has resources is 409: purge the Person instead", async () => {
    const pid = uid("pat");
    const oid = uid("obs");
    await put(patient(pid, newBsn()));
    await put(observation(oid, pid));
    const refused = await op(`/Patient/${pid}`, { method: "DELETE" });
    expect(refused.status).toBe(409);
    expect(((await refused.json()) as Outcome).issue[0]!.diagnostics).toMatch(/\$purge/);
    expect((await op(`/Observation/${oid}`, { method: "DELETE" })).status).toBe(204);
    expect((await op(`/Observation/${oid}`)).status).toBe(404);
    expect((await op(`/Observation/${oid}`, { method: "DELETE" })).status).toBe(404);
    expect((await op(`/Patient/${pid}`, { method: "DELETE" })).status).toBe(204);
    expect(await store().readAny("Patient", pid)).toBeNull();
  });

  it("G-6: FHIR XML in and out: a Patient PUT as XML is the same resource read back as JSON", async () => {
    const id = uid("pat");
    const bsn = newBsn();
    const res = await put(patient(id, bsn), { body: xmlOf(patient(id, bsn)), headers: { "content-type": "application/fhir+xml", accept: "application/fhir+xml" } });
    expect([res.status, res.headers.get("content-type")]).toEqual([201, "application/fhir+xml; charset=utf-8"]);
    const xml = await res.text();
    expect(xml).toMatch(/<Patient xmlns="http:\/\/hl7.org\/fhir">/);
    expect(xml).not.toContain(bsn);
    expect(fhirXmlToJson(xml)).toMatchObject({ resourceType: "Patient", id, name: [{ family: "Visser" }] });
    const json = (await (await op(`/Patient/${id}`)).json()) as Json;
    expect(json).toMatchObject({ resourceType: "Patient", id, gender: "female", birthDate: "1980-05-05", name: [{ family: "Visser", given: ["Anna"] }] });
    // _format wins over Accept.
    expect((await op(`/Patient/${id}?_format=xml`)).headers.get("content-type")).toBe("application/fhir+xml; charset=utf-8");
  });

  it("a body that is not FHIR JSON or XML is 415; an answer format that is not FHIR is 406; malformed XML is 400", async () => {
    const id = uid("pat");
    const wrongType = await put(patient(id, newBsn()), { headers: { "content-type": "text/plain" } });
    expect(wrongType.status).toBe(415);
    expect((await put(patient(id, newBsn()), { headers: { accept: "text/html" } })).status).toBe(406);
    const badXml = await put(patient(id, newBsn()), { body: "<Patient xmlns='http://hl7.org/fhir'><id value='x'/>", headers: { "content-type": "application/fhir+xml" } });
    expect(badXml.status).toBe(400);
    expect(((await badXml.json()) as Outcome).issue[0]!.diagnostics).toMatch(/not valid FHIR XML/);
    expect(await store().readAny("Patient", id)).toBeNull();
  });
});

describe("X-10: validated before anything is stored", () => {
  it.each<[string, (pid: string) => Json, number, RegExp]>([
    ["an invalid code of a required binding", (pid) => observation(uid("obs"), pid, { status: "done" }), 400, /Observation\.status: "done" is not a code of the required binding/],
    ["an element STU3 does not know", (pid) => observation(uid("obs"), pid, { colour: "blue" }), 400, /unknown element "colour"/],
    ["a missing required element", (pid) => { const o = observation(uid("obs"), pid); delete o.code; return o; }, 400, /Observation\.code/],
    ["a date that is no date", (pid) => observation(uid("obs"), pid, { effectiveDateTime: "gisteren" }), 400, /effectiveDateTime/],
    ["two variants of one choice", (pid) => observation(uid("obs"), pid, { valueString: "zwaar" }), 400, /value/],
  ])("%s: 400 OperationOutcome (structure), nothing stored", async (_name, make, status, message) => {
    const pid = uid("pat");
    await put(patient(pid, newBsn()));
    const resource = make(pid);
    const res = await put(resource);
    expect(res.status).toBe(status);
    const o = (await res.json()) as Outcome;
    expect(o).toMatchObject({ resourceType: "OperationOutcome", issue: [{ severity: "error", code: "structure" }] });
    expect(o.issue[0]!.diagnostics).toMatch(message);
    expect(await store().readAny("Observation", String(resource.id))).toBeNull();
  });

  it.each<[string, () => Json, RegExp]>([
    ["a Patient without a BSN", () => ({ resourceType: "Patient", id: uid("pat"), name: [{ family: "Zonder" }] }), /exactly one BSN identifier/],
    ["a Patient with two BSNs", () => ({ resourceType: "Patient", id: uid("pat"), identifier: [{ system: BSN_SYSTEM, value: newBsn() }, { system: BSN_SYSTEM, value: newBsn() }] }), /exactly one BSN identifier/],
    ["an Observation of a Patient not known here", () => observation(uid("obs"), "nobody-here"), /refers to no Patient known here/],
    ["an Observation that names no Patient at all", () => { const o = observation(uid("obs"), "x"); delete o.subject; return o; }, /refers to no Patient known here/],
  ])("X-10: %s cannot be tied to a Person: 422, nothing stored", async (_name, make, message) => {
    const resource = make();
    const res = await put(resource);
    expect(res.status).toBe(422);
    expect(((await res.json()) as Outcome).issue[0]!.diagnostics).toMatch(message);
    expect(await store().readAny(String(resource.resourceType), String(resource.id))).toBeNull();
  });

  it.each<[string, string, string, Json, RegExp]>([
    ["a body of another type than the URL", "PUT", "/Observation/o1", { resourceType: "Condition" }, /not a Observation/],
    ["an id that differs from the URL's", "PUT", "/Patient/one", { resourceType: "Patient", id: "two" }, /differs from the URL/],
    ["a POST to an id", "POST", "/Patient/one", { resourceType: "Patient" }, /POST to Type or to the base/],
    ["a PUT without an id", "PUT", "/Patient", { resourceType: "Patient" }, /PUT needs Type\/id/],
  ])("%s is 400", async (_name, method, path, body, message) => {
    const res = await op(path, { method, body: JSON.stringify(body) });
    expect(res.status).toBe(400);
    expect(((await res.json()) as Outcome).issue[0]!.diagnostics).toMatch(message);
  });
});

describe("X-10: transactions are all or nothing, batches per entry", () => {
  it("a transaction of PUTs (Patient, what refers to it, in any order) is stored as a whole", async () => {
    const pid = uid("pat");
    const [o1, o2] = [uid("obs"), uid("obs")];
    // The Observation comes first: the store orders Patients before what refers to them (http.html#trules).
    const t = bundleOf("transaction", [
      { method: "PUT", url: `Observation/${o1}`, resource: observation(o1, pid) },
      { method: "PUT", url: `Patient/${pid}`, resource: patient(pid, newBsn()) },
      { method: "PUT", url: `Observation/${o2}`, resource: observation(o2, pid) },
    ]);
    const res = await op("", { method: "POST", body: JSON.stringify(t) });
    expect(res.status).toBe(200);
    const b = (await res.json()) as ResponseBundle;
    expect(b.type).toBe("transaction-response");
    expect(b.entry.map((e) => [e.response.status, e.fullUrl])).toEqual([
      ["201 Created", `${OP}/Observation/${o1}`],
      ["201 Created", `${OP}/Patient/${pid}`],
      ["201 Created", `${OP}/Observation/${o2}`],
    ]);
    expect(b.entry[0]!.response.location).toBe(`${OP}/Observation/${o1}/_history/1`);
    for (const [type, id] of [["Observation", o1], ["Patient", pid], ["Observation", o2]] as const) expect(await store().readAny(type, id)).not.toBeNull();
  });

  it("a transaction of POSTs referring to each other by urn:uuid: each gets its server id, the references become Type/id (STU3 http.html#trules)", async () => {
    const bsn = newBsn();
    const patientUrl = `urn:uuid:${crypto.randomUUID()}`;
    const { id: _p, ...newPatient } = patient("unused", bsn);
    const { id: _o, ...newObservation } = observation("unused", "unused");
    const t = {
      resourceType: "Bundle",
      type: "transaction",
      entry: [
        { fullUrl: `urn:uuid:${crypto.randomUUID()}`, resource: { ...newObservation, subject: { reference: patientUrl } }, request: { method: "POST", url: "Observation" } },
        { fullUrl: patientUrl, resource: newPatient, request: { method: "POST", url: "Patient" } },
      ],
    };
    const res = await op("", { method: "POST", body: JSON.stringify(t) });
    expect(res.status).toBe(200);
    const b = (await res.json()) as ResponseBundle;
    expect(b.entry.map((e) => e.response.status)).toEqual(["201 Created", "201 Created"]);
    const [obsId, patId] = b.entry.map((e) => e.fullUrl!.split("/").at(-1)!);
    const stored = JSON.parse((await store().readAny("Observation", obsId!))!.text) as { subject: { reference: string } };
    expect(stored.subject.reference).toBe(`Patient/${patId}`);
    expect(await store().readAny("Patient", patId!)).not.toBeNull();
  });

  it("a transaction with one structurally invalid resource stores nothing (400, naming the entry)", async () => {
    const pid = uid("pat");
    const [o1, o2] = [uid("obs"), uid("obs")];
    const t = bundleOf("transaction", [
      { method: "PUT", url: `Patient/${pid}`, resource: patient(pid, newBsn()) },
      { method: "PUT", url: `Observation/${o1}`, resource: observation(o1, pid) },
      { method: "PUT", url: `Observation/${o2}`, resource: observation(o2, pid, { status: "done" }) },
    ]);
    const res = await op("", { method: "POST", body: JSON.stringify(t) });
    expect(res.status).toBe(400);
    expect(((await res.json()) as Outcome).issue[0]).toMatchObject({ code: "structure", diagnostics: expect.stringMatching(/^entry 2: Observation\.status/) });
    for (const [type, id] of [["Patient", pid], ["Observation", o1], ["Observation", o2]] as const) expect(await store().readAny(type, id)).toBeNull();
  });

  it("a transaction the store refuses halfway (a resource of an unknown Patient) is rolled back whole (422)", async () => {
    const pid = uid("pat");
    const [o1, o2] = [uid("obs"), uid("obs")];
    const t = bundleOf("transaction", [
      { method: "PUT", url: `Patient/${pid}`, resource: patient(pid, newBsn()) },
      { method: "PUT", url: `Observation/${o1}`, resource: observation(o1, pid) },
      { method: "PUT", url: `Observation/${o2}`, resource: observation(o2, "unknown-patient") },
    ]);
    const lines = await logsOf(async () => {
      const res = await op("", { method: "POST", body: JSON.stringify(t) });
      expect(res.status).toBe(422);
      expect(((await res.json()) as Outcome).issue[0]!.diagnostics).toMatch(/^entry 2: .*refers to no Patient known here/);
    });
    // The Patient and the first Observation were written inside the transaction, and are gone with it.
    for (const [type, id] of [["Patient", pid], ["Observation", o1], ["Observation", o2]] as const) expect(await store().readAny(type, id)).toBeNull();
    expect(audits(lines)).toEqual([expect.objectContaining({ level: "warn", action: "transaction", status: 422 })]);
  });

  it("a transaction that deletes and writes: a delete of something unknown rolls the writes back too", async () => {
    const pid = uid("pat");
    await put(patient(pid, newBsn()));
    const keep = uid("obs");
    await put(observation(keep, pid));
    const fresh = uid("obs");
    const t = bundleOf("transaction", [
      { method: "PUT", url: `Observation/${fresh}`, resource: observation(fresh, pid) },
      { method: "DELETE", url: `Observation/${keep}` },
      { method: "DELETE", url: "Patient/never-there" },
    ]);
    const res = await op("", { method: "POST", body: JSON.stringify(t) });
    // FHIR: a transaction fails as a whole when any entry fails (http.html#transaction), never a response with a failed entry.
    expect(res.status).toBe(404);
    expect(((await res.json()) as Outcome).issue[0]!.diagnostics).toBe("entry 2: Patient/never-there is not known");
    expect(await store().readAny("Observation", fresh)).toBeNull();
    expect(await store().readAny("Observation", keep)).not.toBeNull();
  });

  it("a batch stores its valid entries and reports each invalid one in its own entry", async () => {
    const pid = uid("pat");
    const [good, badShape, orphan] = [uid("obs"), uid("obs"), uid("obs")];
    const b = bundleOf("batch", [
      { method: "PUT", url: `Patient/${pid}`, resource: patient(pid, newBsn()) },
      { method: "PUT", url: `Observation/${good}`, resource: observation(good, pid) },
      { method: "PUT", url: `Observation/${badShape}`, resource: observation(badShape, pid, { status: "done" }) },
      { method: "PUT", url: `Observation/${orphan}`, resource: observation(orphan, "unknown-patient") },
      { method: "POST", url: "Observation", resource: observation("ignored", pid) },
      { method: "PUT", url: "Observation", resource: observation("x", pid) },
      { method: "DELETE", url: "Observation/never-there" },
    ]);
    const res = await op("", { method: "POST", body: JSON.stringify(b) });
    expect(res.status).toBe(200);
    const r = (await res.json()) as ResponseBundle;
    expect(r.type).toBe("batch-response");
    expect(r.entry.map((e) => e.response.status)).toEqual(["201 Created", "201 Created", "400 Bad Request", "422 Unprocessable Entity", "201 Created", "400 Bad Request", "404 Not Found"]);
    expect(r.entry[6]!.response.outcome!.issue[0]!.diagnostics).toBe("Observation/never-there is not known");
    expect(r.entry[2]!.response.outcome!.issue[0]!.diagnostics).toMatch(/^entry 2: Observation\.status/);
    expect(r.entry[3]!.response.outcome!.issue[0]!.diagnostics).toMatch(/refers to no Patient known here/);
    expect(r.entry[5]!.response.outcome!.issue[0]!.diagnostics).toMatch(/only PUT Type\/id/);
    expect(await store().readAny("Observation", good)).not.toBeNull();
    expect(await store().readAny("Observation", badShape)).toBeNull();
    expect(await store().readAny("Observation", orphan)).toBeNull();
    expect(await store().readAny("Observation", new URL(r.entry[4]!.fullUrl!).pathname.split("/").pop()!)).not.toBeNull();
  });

  it("G-6: a transaction in FHIR XML, answered in FHIR XML", async () => {
    const pid = uid("pat");
    const oid = uid("obs");
    const t = bundleOf("transaction", [
      { method: "PUT", url: `Patient/${pid}`, resource: patient(pid, newBsn()) },
      { method: "PUT", url: `Observation/${oid}`, resource: observation(oid, pid) },
    ]);
    const res = await op("", { method: "POST", body: xmlOf(t), headers: { "content-type": "application/fhir+xml", accept: "application/fhir+xml" } });
    expect([res.status, res.headers.get("content-type")]).toEqual([200, "application/fhir+xml; charset=utf-8"]);
    const b = fhirXmlToJson(await res.text()) as unknown as ResponseBundle;
    expect(b.type).toBe("transaction-response");
    expect(b.entry.map((e) => e.response.status)).toEqual(["201 Created", "201 Created"]);
    const stored = (await (await op(`/Observation/${oid}`)).json()) as Json;
    expect(stored).toMatchObject({ subject: { reference: `Patient/${pid}` }, valueQuantity: { value: 70.5, unit: "kg" } });
  });

  it("G-6: a batch in FHIR XML, answered per entry in FHIR XML; a DELETE's refusal in XML too", async () => {
    const pid = uid("pat");
    const oid = uid("obs");
    const b = bundleOf("batch", [
      { method: "PUT", url: `Patient/${pid}`, resource: patient(pid, newBsn()) },
      { method: "PUT", url: `Observation/${oid}`, resource: observation(oid, pid, { status: "done" }) },
    ]);
    const res = await op("", { method: "POST", body: xmlOf(b), headers: { "content-type": "application/fhir+xml", accept: "application/fhir+xml" } });
    expect([res.status, res.headers.get("content-type")]).toEqual([200, "application/fhir+xml; charset=utf-8"]);
    const r = fhirXmlToJson(await res.text()) as unknown as ResponseBundle;
    expect([r.type, r.entry.map((e) => e.response.status)]).toEqual(["batch-response", ["201 Created", "400 Bad Request"]]);
    expect(await store().readAny("Patient", pid)).not.toBeNull();
    const gone = await op(`/Observation/${oid}`, { method: "DELETE", headers: { accept: "application/fhir+xml" } });
    expect([gone.status, gone.headers.get("content-type")]).toEqual([404, "application/fhir+xml; charset=utf-8"]);
    expect(await gone.text()).toMatch(/<OperationOutcome xmlns="http:\/\/hl7.org\/fhir">/);
  });

  it.each<[string, Json, RegExp]>([
    ["not a Bundle", { resourceType: "Patient" }, /transaction or batch Bundle/],
    ["a collection", { resourceType: "Bundle", type: "collection", entry: [{ resource: { resourceType: "Patient" } }] }, /transaction or batch Bundle/],
    ["no entries", { resourceType: "Bundle", type: "transaction" }, /needs 1 to 1000 entries/],
    ["a PUT entry without a resource", bundleOf("transaction", [{ method: "PUT", url: "Patient/x" }]), /only PUT Type\/id, POST Type and DELETE Type\/id/],
    ["an entry url with a path", { resourceType: "Bundle", type: "transaction", entry: [{ resource: { resourceType: "Patient" }, request: { method: "PUT", url: "Patient/x/_history/1" } }] }, /request\.url is not Type or Type\/id/],
  ])("a base POST that is %s is 400", async (_name, body, message) => {
    const res = await op("", { method: "POST", body: JSON.stringify(body) });
    expect(res.status).toBe(400);
    expect(((await res.json()) as Outcome).issue[0]!.diagnostics).toMatch(message);
  });
});

describe("X-10: a resource is tied to its Person by the Patient's BSN", () => {
  it("what refers to the Patient is that Person's, through the RS with their token; another Person sees none of it", async () => {
    const [bsnA, bsnB] = [newBsn(), newBsn()];
    const [pa, pb] = [uid("pat"), uid("pat")];
    const [oa, ob] = [uid("obs"), uid("obs")];
    await put(patient(pa, bsnA));
    await put(patient(pb, bsnB));
    await put(observation(oa, pa));
    await put(observation(ob, pb));
    // A resource that names its Person by BSN identifier instead of a reference is theirs too.
    const byBsn = uid("con");
    expect((await put({ resourceType: "Condition", id: byBsn, clinicalStatus: "active", verificationStatus: "confirmed", code: { text: "Hypertensie" }, subject: { identifier: { system: BSN_SYSTEM, value: bsnA } } })).status).toBe(201);
    const tokenA = await tokenFor(bsnA);
    const obsA = await searchRs("Observation", tokenA);
    expect(obsA.entry?.map((e) => e.resource.id)).toEqual([oa]);
    expect((await searchRs("Condition", tokenA)).entry?.map((e) => e.resource.id)).toEqual([byBsn]);
    expect((await searchRs("Patient", tokenA)).entry?.map((e) => e.resource.id)).toEqual([pa]);
    expect((await rs(`${RS48}/Observation/${ob}`, tokenA)).status).toBe(404);
    const tokenB = await tokenFor(bsnB);
    expect((await searchRs("Observation", tokenB)).entry?.map((e) => e.resource.id)).toEqual([ob]);
    expect((await searchRs("Condition", tokenB)).total).toBe(0);
  });

  it("a Patient's BSN decides the compartment: a corrected BSN moves the Patient and what refers to it to the other Person", async () => {
    const [wrong, right] = [newBsn(), newBsn()];
    const pid = uid("pat");
    const oid = uid("obs");
    await put(patient(pid, wrong));
    await put(observation(oid, pid));
    expect((await searchRs("Observation", await tokenFor(wrong))).total).toBe(1);
    expect((await put(patient(pid, right))).status).toBe(200);
    expect((await searchRs("Observation", await tokenFor(wrong))).total).toBe(0);
    expect((await searchRs("Patient", await tokenFor(wrong))).total).toBe(0);
    expect((await searchRs("Observation", await tokenFor(right))).entry?.map((e) => e.resource.id)).toEqual([oid]);
  });

  it("X-8: the BSN is kept to find the Person, never served: not by the operator's read, not by the RS", async () => {
    const bsn = newBsn();
    const pid = uid("pat");
    await put(patient(pid, bsn));
    const back = await op(`/Patient/${pid}`);
    const text = await back.text();
    expect(text).not.toContain(bsn);
    expect((JSON.parse(text) as { identifier: Json[] }).identifier[0]).toEqual({ system: BSN_SYSTEM, _value: { extension: [{ url: "http://hl7.org/fhir/StructureDefinition/data-absent-reason", valueCode: "masked" }] } });
    const viaRs = await rs(`${RS48}/Patient/${pid}`, await tokenFor(bsn));
    expect(viaRs.status).toBe(200);
    expect(await viaRs.text()).not.toContain(bsn);
  });
});

describe("X-10: $purge removes a Person's records, and nobody else's", () => {
  it("the Patient and everything in their compartment go; another Person's records and shared resources stay", async () => {
    const [bsnA, bsnB] = [newBsn(), newBsn()];
    const [pa, pb] = [uid("pat"), uid("pat")];
    const prac = uid("prac");
    const [oa1, oa2, ob1, both] = [uid("obs"), uid("obs"), uid("obs"), uid("obs")];
    const conA = uid("con");
    const t = bundleOf("transaction", [
      { method: "PUT", url: `Practitioner/${prac}`, resource: { resourceType: "Practitioner", id: prac, name: [{ family: "Huisarts" }] } },
      { method: "PUT", url: `Patient/${pa}`, resource: { ...patient(pa, bsnA), generalPractitioner: [{ reference: `Practitioner/${prac}` }] } },
      { method: "PUT", url: `Patient/${pb}`, resource: { ...patient(pb, bsnB), generalPractitioner: [{ reference: `Practitioner/${prac}` }] } },
      { method: "PUT", url: `Observation/${oa1}`, resource: observation(oa1, pa, { performer: [{ reference: `Practitioner/${prac}` }] }) },
      { method: "PUT", url: `Observation/${oa2}`, resource: observation(oa2, pa) },
      { method: "PUT", url: `Condition/${conA}`, resource: { resourceType: "Condition", id: conA, verificationStatus: "confirmed", code: { text: "Astma" }, subject: { reference: `Patient/${pa}` } } },
      { method: "PUT", url: `Observation/${ob1}`, resource: observation(ob1, pb) },
      // In both Persons' compartments: subject A, performer B.
      { method: "PUT", url: `Observation/${both}`, resource: observation(both, pa, { performer: [{ reference: `Patient/${pb}` }] }) },
    ]);
    expect((await op("", { method: "POST", body: JSON.stringify(t) })).status).toBe(200);
    const tokenA = await tokenFor(bsnA);
    expect((await searchRs("Observation", tokenA)).total).toBe(3);

    const lines = await logsOf(async () => {
      const res = await op(`/Patient/${pa}/$purge`, { method: "POST" });
      expect(res.status).toBe(200);
      expect(((await res.json()) as Outcome).issue[0]).toMatchObject({ severity: "information", diagnostics: "4 resources removed" });
    });
    expect(audits(lines)).toEqual([expect.objectContaining({ action: "purge", type: "Patient", id: pa, status: 200, by: "deployment" })]);

    for (const [type, id] of [["Patient", pa], ["Observation", oa1], ["Observation", oa2], ["Condition", conA]] as const) expect(await store().readAny(type, id), `${type}/${id}`).toBeNull();
    // Person A: nothing left, through the RS either.
    const tokenA2 = await tokenFor(bsnA);
    for (const type of ["Patient", "Observation", "Condition"]) expect((await searchRs(type, tokenA2)).total, type).toBe(0);
    expect((await rs(`${RS48}/Practitioner/${prac}`, tokenA2)).status).toBe(404);
    // Person B: everything, including the Observation they shared with A and the shared Practitioner.
    for (const [type, id] of [["Patient", pb], ["Observation", ob1], ["Observation", both], ["Practitioner", prac]] as const) expect(await store().readAny(type, id), `${type}/${id}`).not.toBeNull();
    const tokenB = await tokenFor(bsnB);
    expect((await searchRs("Observation", tokenB)).entry?.map((e) => e.resource.id).sort()).toEqual([both, ob1].sort());
    expect((await rs(`${RS48}/Practitioner/${prac}`, tokenB)).status).toBe(200);
  });

  it("a purge of a Patient that is not there removes nothing; $purge is POST on a Patient only", async () => {
    const res = await op(`/Patient/${uid("pat")}/$purge`, { method: "POST" });
    expect(((await res.json()) as Outcome).issue[0]!.diagnostics).toBe("0 resources removed");
    expect((await op("/Observation/x/$purge", { method: "POST" })).status).toBe(404);
    expect((await op("/Patient/x/$purge", { method: "GET" })).status).toBe(404);
    expect((await op("/Patient/x/$everything", { method: "POST" })).status).toBe(404);
  });
});

describe("X-10: every change writes one audit line, who/what/when, never the content", () => {
  it("create, update, refused update, delete, batch entries: each one line with credential, action, type, id, version, status, time", async () => {
    // A PUT is audited as `update`; its status says whether it created (201) or replaced (200).
    const bsn = newBsn();
    const pid = uid("pat");
    const oid = uid("obs");
    const family = "Vertrouwelijk";
    const lines = await logsOf(async () => {
      await put(patient(pid, bsn, family));
      await put(patient(pid, bsn, family));
      await put(observation(oid, pid));
      await put(observation(oid, pid), { headers: { "if-match": 'W/"7"' } });
      await op(`/Observation/${oid}`, { method: "DELETE" });
      const batch = bundleOf("batch", [
        { method: "PUT", url: `Observation/${oid}`, resource: observation(oid, pid, { comment: "geheime notitie" }) },
        { method: "DELETE", url: `Observation/${oid}` },
      ]);
      await op("", { method: "POST", body: JSON.stringify(batch) });
      await op("/Observation", { method: "POST", body: JSON.stringify(observation("x", pid)) });
      // A read is no change: no audit line.
      await op(`/Patient/${pid}`);
    });
    const a = audits(lines);
    expect(a.map((l) => [l.level, l.action, l.type, l.id, l.version, l.status])).toEqual([
      ["info", "update", "Patient", pid, 1, 201],
      ["info", "update", "Patient", pid, 2, 200],
      ["info", "update", "Observation", oid, 1, 201],
      ["warn", "update", "Observation", oid, null, 412],
      ["info", "delete", "Observation", oid, null, 204],
      ["info", "batch:put", "Observation", oid, 1, 201],
      ["info", "batch:delete", "Observation", oid, null, 204],
      ["info", "create", "Observation", expect.stringMatching(/^[0-9a-f-]{36}$/), 1, 201],
    ]);
    for (const l of a) {
      expect(l).toMatchObject({ zorgaanbieder: "umcharderwijk", by: "deployment" });
      expect(Date.parse(String(l.time))).toBeGreaterThan(Date.now() - 60_000);
    }
    // Never the content: no BSN, no name, no note, no credential, in any line of the worker.
    const all = JSON.stringify(lines);
    for (const secret of [bsn, family, "geheime notitie", "Anna", SECRET]) expect(all).not.toContain(secret);
  });
});
