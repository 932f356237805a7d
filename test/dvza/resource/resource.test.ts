/**
 * The Resource Server (SPEC G-3, G-5, S-4, LOG-4, AS-11; RFC 6750 §2-§3).
 */
import { SELF, abortAllDurableObjects, env } from "cloudflare:test";
import { afterEach, beforeAll, beforeEach, describe, expect, it, vi } from "vitest";
import type { Env } from "../../../workers/dvza/env.ts";
import { fhirSeed } from "../../../kv-seed/fhir/data.mjs";
import { DELINDE_HOST, DVP_APP, DVP_KLUIS, UMC_HOST, WHITELIST, mtlsFrom, storeLists } from "../../helpers/network.ts";
import { newCode, redeem } from "../token/helpers.ts";
import { parseSearch } from "../../../workers/fhir/search/parse.ts";

const dvzaEnv = env as unknown as Env;
const BASE48 = `https://${UMC_HOST}/48/fhir`;

async function tokenFor(scope: { gd: string; naam?: string; client?: string; subject?: string; host?: string }): Promise<string> {
  const naam = scope.naam ?? "umcharderwijk";
  const host = scope.host ?? UMC_HOST;
  const code = await newCode({
    scope: `${naam}~${scope.gd}`,
    zorgaanbieder: `${naam}@medmij`,
    gegevensdienstId: scope.gd,
    subject: scope.subject ?? "999990019",
    clientId: scope.client ?? DVP_KLUIS,
    redirectUri: `https://${scope.client ?? DVP_KLUIS}/oauth/callback`,
    tokenEndpoint: `https://${host}/oauth/token`,
  });
  const res = await redeem(code, { redirect_uri: `https://${scope.client ?? DVP_KLUIS}/oauth/callback` }, { from: scope.client ?? DVP_KLUIS, url: `https://${host}/oauth/token` });
  expect(res.status).toBe(200);
  return ((await res.json()) as { access_token: string }).access_token;
}

function fhir(url: string, token: string | null, init: { method?: string; body?: string; headers?: Record<string, string>; from?: string; cf?: unknown } = {}): Promise<Response> {
  const headers: Record<string, string> = { "medmij-request-id": crypto.randomUUID(), accept: "application/fhir+json", ...(init.headers ?? {}) };
  if (token !== null) headers.authorization = `Bearer ${token}`;
  return SELF.fetch(url, { method: init.method ?? "GET", headers, body: init.body, cf: (init.cf ?? mtlsFrom(init.from ?? DVP_KLUIS)) as IncomingRequestCfProperties });
}

type Bundle = { resourceType: string; type: string; total: number; entry: { fullUrl: string; resource: Record<string, unknown>; search: { mode: string } }[] };

beforeAll(async () => {
  for (const naam of ["umcharderwijk@medmij", "huisartsenpraktijkdelinde@medmij"]) {
    await dvzaEnv.FHIR.get(dvzaEnv.FHIR.idFromName(naam)).seed(fhirSeed(naam));
  }
});
beforeEach(async () => {
  await abortAllDurableObjects();
  await storeLists(dvzaEnv.LISTS);
});
afterEach(() => {
  vi.useRealTimers();
  vi.restoreAllMocks();
});

describe("Verzamelen (GET): the Person's own data only", () => {
  it("G-3: BgZ (48) Patient search returns the token's Person as a searchset Bundle", async () => {
    const res = await fhir(`${BASE48}/Patient?_include=Patient:general-practitioner`, await tokenFor({ gd: "48" }));
    expect(res.status).toBe(200);
    expect(res.headers.get("content-type")).toBe("application/fhir+json; charset=utf-8");
    expect(res.headers.get("cache-control")).toBe("no-store");
    const b = (await res.json()) as Bundle;
    expect([b.resourceType, b.type, b.total]).toEqual(["Bundle", "searchset", 1]);
    expect(b.entry[0]!.fullUrl).toBe(`${BASE48}/Patient/pat-jansen`);
    // the BSN is masked in what the RS serves (Nictiz's data-absent-reason form).
    expect(b.entry[0]!.resource.identifier).toEqual([{ system: "http://fhir.nl/fhir/NamingSystem/bsn", _value: { extension: [{ url: "http://hl7.org/fhir/StructureDefinition/data-absent-reason", valueCode: "masked" }] } }]);
    expect(JSON.stringify(b)).not.toContain("999990019");
  });

  it("another Person's token sees that Person only; reading someone else's id is 404", async () => {
    const token = await tokenFor({ gd: "48", subject: "999990020" });
    const b = (await (await fhir(`${BASE48}/Condition`, token)).json()) as Bundle;
    expect(b.total).toBe(2);
    expect(b.entry.every((e) => (e.resource.subject as { reference: string }).reference === "Patient/pat-devries")).toBe(true);
    expect((await fhir(`${BASE48}/Patient/pat-devries`, token)).status).toBe(200);
    expect((await fhir(`${BASE48}/Patient/pat-jansen`, token)).status).toBe(404);
  });

  it("search parameters: code (system|code), category, status, _count, _include", async () => {
    const token = await tokenFor({ gd: "48" });
    const bp = (await (await fhir(`${BASE48}/Observation?code=http://loinc.org|85354-9`, token)).json()) as Bundle;
    expect(bp.entry.map((e) => e.resource.id)).toEqual(["bp-jansen"]);
    // total counts every match; _count pages them, with a next link (STU3 search §2.1.1.5).
    const vitals = (await (await fhir(`${BASE48}/Observation?category=vital-signs&_count=1`, token)).json()) as Bundle & { link: { relation: string; url: string }[] };
    expect([vitals.total, vitals.entry.length]).toEqual([2, 1]);
    expect(vitals.link.map((l) => l.relation)).toEqual(["self", "next"]);
    const active = (await (await fhir(`${BASE48}/Condition?clinical-status=active`, token)).json()) as Bundle;
    expect(active.entry.map((e) => e.resource.id)).toEqual(["con-jansen-1"]);
    const ms = (await (await fhir(`${BASE48}/MedicationStatement?_include=MedicationStatement:medication`, token)).json()) as Bundle;
    expect(ms.entry.map((e) => [e.resource.resourceType, e.search.mode])).toEqual([["MedicationStatement", "match"], ["Medication", "include"]]);
  });

  it("G-3: Laboratoriumresultaten (24) and Documenten (51) are served too", async () => {
    const lab = (await (await fhir(`https://${UMC_HOST}/24/fhir/Observation?category=laboratory`, await tokenFor({ gd: "24" }))).json()) as Bundle;
    expect(lab.entry.map((e) => (e.resource.code as { coding: { code: string }[] }).coding[0]!.code).sort()).toEqual(["14682-9", "15074-8", "718-7"]);
    const docToken = await tokenFor({ gd: "51" });
    const refs = (await (await fhir(`https://${UMC_HOST}/51/fhir/DocumentReference`, docToken)).json()) as Bundle;
    expect(refs.total).toBe(1);
    const binary = await fhir(`https://${UMC_HOST}/51/fhir/Binary/bin-jansen`, docToken);
    expect(((await binary.json()) as { contentType: string }).contentType).toBe("application/pdf");
  });

  it("G-6: _format=xml is FHIR XML, a format that is not FHIR is 406; an unknown resource type is 404", async () => {
    const token = await tokenFor({ gd: "48" });
    const xml = await fhir(`${BASE48}/Patient?_format=xml`, token);
    expect([xml.status, xml.headers.get("content-type")]).toEqual([200, "application/fhir+xml; charset=utf-8"]);
    expect(await xml.text()).toMatch(/^<\?xml version="1.0" encoding="UTF-8"\?>\s*<Bundle xmlns="http:\/\/hl7.org\/fhir">/);
    expect((await fhir(`${BASE48}/Patient?_format=text/html`, token)).status).toBe(406);
    expect((await fhir(`${BASE48}/Binary`, token)).status).toBe(404);
    expect((await fhir(`${BASE48}/Patient/a/b/c`, token)).status).toBe(400);
  });

  it("G-5: POST on a Verzamelen Gegevensdienst is 405", async () => {
    const res = await fhir(`${BASE48}/Observation`, await tokenFor({ gd: "48" }), { method: "POST", body: "{}", headers: { "content-type": "application/fhir+json" } });
    expect(res.status).toBe(405);
    expect(res.headers.get("allow")).toBe("GET");
  });
});

const BP = {
  resourceType: "Observation",
  status: "final",
  code: { coding: [{ system: "http://loinc.org", code: "85354-9", display: "Bloeddruk" }] },
  effectiveDateTime: "2026-11-20T08:00:00+01:00",
  component: [
    { code: { coding: [{ system: "http://loinc.org", code: "8480-6" }] }, valueQuantity: { value: 128, unit: "mmHg" } },
    { code: { coding: [{ system: "http://loinc.org", code: "8462-4" }] }, valueQuantity: { value: 82, unit: "mmHg" } },
  ],
  id: "client-chosen",
};

describe("Delen (POST)", () => {
  const BASE5 = `https://${UMC_HOST}/5/fhir`;
  const post = (token: string, body: string, path = "/Observation", contentType = "application/fhir+json") =>
    fhir(`${BASE5}${path}`, token, { method: "POST", body, headers: { "content-type": contentType } });

  it("G-5: a valid Observation is stored for the token's Person with a server id and Location", async () => {
    const token = await tokenFor({ gd: "5" });
    const res = await post(token, JSON.stringify(BP));
    expect(res.status).toBe(201);
    const stored = (await res.json()) as Record<string, unknown> & { id: string; meta: { versionId: string } };
    expect(stored.id).not.toBe("client-chosen");
    expect(res.headers.get("location")).toBe(`${BASE5}/Observation/${stored.id}/_history/1`);
    expect(stored.meta.versionId).toBe("1");
    // The subject is the token's Person: their own Patient at this provider.
    expect(stored.subject).toEqual({ reference: "Patient/pat-jansen" });
    expect(JSON.stringify(stored)).not.toContain("999990019");
    const kept = await dvzaEnv.FHIR.get(dvzaEnv.FHIR.idFromName("umcharderwijk@medmij")).readAny("Observation", stored.id);
    expect(kept?.id).toBe(stored.id);
  });

  it("a transaction Bundle of POSTs is stored as a whole", async () => {
    const token = await tokenFor({ gd: "5" });
    const weight = { ...BP, code: { coding: [{ system: "http://loinc.org", code: "29463-7" }] }, component: undefined, valueQuantity: { value: 80.2, unit: "kg" } };
    const bundle = { resourceType: "Bundle", type: "transaction", entry: [BP, weight].map((r) => ({ resource: r, request: { method: "POST", url: "Observation" } })) };
    const res = await post(token, JSON.stringify(bundle), "");
    expect(res.status).toBe(200);
    const b = (await res.json()) as { type: string; entry: { response: { status: string } }[] };
    expect(b.type).toBe("transaction-response");
    expect(b.entry.map((e) => e.response.status)).toEqual(["201 Created", "201 Created"]);
  });

  it.each<[string, string, string, number, RegExp]>([
    ["malformed JSON", "{not json", "/Observation", 400, /not valid JSON/],
    ["a JSON array", "[]", "/Observation", 400, /not valid FHIR JSON/],
    ["no resourceType", JSON.stringify({ status: "final" }), "/Observation", 400, /not valid FHIR JSON/],
    ["the wrong resourceType", JSON.stringify({ ...BP, resourceType: "Patient" }), "/Observation", 400, /does not match/],
    ["a missing status", JSON.stringify({ ...BP, status: undefined }), "/Observation", 400, /status/],
    ["an invalid status", JSON.stringify({ ...BP, status: "done" }), "/Observation", 400, /status/],
    ["a missing code", JSON.stringify({ ...BP, code: undefined }), "/Observation", 400, /code/],
    ["no value", JSON.stringify({ ...BP, component: undefined }), "/Observation", 400, /needs a value/],
    ["a bad effectiveDateTime", JSON.stringify({ ...BP, effectiveDateTime: "gisteren" }), "/Observation", 400, /effectiveDateTime/],
    ["a Bundle with a GET entry", JSON.stringify({ resourceType: "Bundle", type: "transaction", entry: [{ request: { method: "GET", url: "Observation" } }] }), "", 400, /only POST entries/],
    ["an empty batch", JSON.stringify({ resourceType: "Bundle", type: "batch", entry: [] }), "", 400, /needs 1 to 100 entries/],
    ["a collection instead of a transaction or batch", JSON.stringify({ resourceType: "Bundle", type: "collection", entry: [] }), "", 400, /transaction or batch Bundle/],
    ["a resource type the role does not take", JSON.stringify({ resourceType: "Condition" }), "/Condition", 404, /no such resource type/],
    ["the Person's own Patient on its own", JSON.stringify({ resourceType: "Patient" }), "/Patient", 400, /send it within a batch or transaction/],
  ])("%s is refused with a clear OperationOutcome", async (_name, body, path, status, message) => {
    const res = await post(await tokenFor({ gd: "5" }), body, path);
    expect(res.status).toBe(status);
    const o = (await res.json()) as { resourceType: string; issue: { diagnostics: string }[] };
    expect(o.resourceType).toBe("OperationOutcome");
    expect(o.issue[0]!.diagnostics).toMatch(message);
  });

  // Issue 15 #1, store mode: the same rule as in front of a provider's own FHIR server.
  it.each<[string, Record<string, unknown>, RegExp]>([
    ["a performer that is another patient", { performer: [{ reference: "Patient/pat-devries" }] }, /refers to another Patient/],
    ["a subject that is another patient", { subject: { reference: "Patient/someone-else" } }, /subject refers to another Patient/],
    ["related.target: an Observation that is not the Person's", { related: [{ type: "derived-from", target: { reference: "Observation/bp-devries" } }] }, /not the Person's/],
    ["a contained Patient", { contained: [{ resourceType: "Patient", id: "p1", identifier: [{ system: "http://fhir.nl/fhir/NamingSystem/bsn", value: "999990020" }] }] }, /contained holds a Patient/],
    ["a subject by another Person's BSN", { subject: { identifier: { system: "http://fhir.nl/fhir/NamingSystem/bsn", value: "999990020" } } }, /another Person by BSN/],
  ])("X-4: a sent resource with %s is refused (422), and nothing is stored", async (_name, extra, message) => {
    const token = await tokenFor({ gd: "5" });
    const store = dvzaEnv.FHIR.get(dvzaEnv.FHIR.idFromName("umcharderwijk@medmij"));
    const count = async () => (await store.search({ person: "999990019", types: ["Observation"], restrict: {} }, parseSearch("Observation", new URLSearchParams()))).total;
    const before = await count();
    const res = await post(token, JSON.stringify({ ...BP, ...extra }));
    expect(res.status).toBe(422);
    expect(((await res.json()) as { issue: { code: string; diagnostics: string }[] }).issue[0]).toMatchObject({ code: "business-rule", diagnostics: expect.stringMatching(message) });
    const bundle = { resourceType: "Bundle", type: "transaction", entry: [BP, { ...BP, ...extra }].map((r) => ({ resource: r, request: { method: "POST", url: "Observation" } })) };
    expect((await post(token, JSON.stringify(bundle), "")).status).toBe(422);
    expect(await count()).toBe(before);
  });

  it("an oversized body is 413, a non-JSON content type 415", async () => {
    const token = await tokenFor({ gd: "5" });
    expect((await post(token, JSON.stringify({ ...BP, note: [{ text: "x".repeat(8_500_000) }] }))).status).toBe(413);
    expect((await post(token, JSON.stringify(BP), "/Observation", "text/plain")).status).toBe(415);
  });

  it("G-5: GET on a Delen Gegevensdienst is 405", async () => {
    const res = await fhir(`${BASE5}/Observation`, await tokenFor({ gd: "5" }));
    expect(res.status).toBe(405);
    expect(res.headers.get("allow")).toBe("POST");
  });
});

describe("RFC 6750 and S-4: the token", () => {
  it("missing: 401 with a bare challenge (no error code)", async () => {
    const res = await fhir(`${BASE48}/Patient`, null);
    expect(res.status).toBe(401);
    expect(res.headers.get("www-authenticate")).toBe('Bearer realm="medmij"');
  });

  it("in the query string: 400 invalid_request, even when it is valid", async () => {
    const token = await tokenFor({ gd: "48" });
    const res = await fhir(`${BASE48}/Patient?access_token=${token}`, null);
    expect(res.status).toBe(400);
    expect(res.headers.get("www-authenticate")).toMatch(/error="invalid_request"/);
  });

  it("in a form body: 400 invalid_request", async () => {
    const token = await tokenFor({ gd: "5" });
    const res = await fhir(`https://${UMC_HOST}/5/fhir/Observation`, null, { method: "POST", body: `access_token=${token}`, headers: { "content-type": "application/x-www-form-urlencoded" } });
    expect(res.status).toBe(400);
  });

  it("unknown, malformed or another scheme: invalid_token / invalid_request", async () => {
    const unknown = await fhir(`${BASE48}/Patient`, "A".repeat(43));
    expect(unknown.status).toBe(401);
    expect(unknown.headers.get("www-authenticate")).toMatch(/error="invalid_token"/);
    const basic = await fhir(`${BASE48}/Patient`, null, { headers: { authorization: "Basic dXNlcjpwYXNz" } });
    expect(basic.status).toBe(400);
  });

  it("AS-7: expired after exactly 900 s", async () => {
    vi.useFakeTimers({ toFake: ["Date"] });
    const t0 = new Date("2026-11-24T09:00:00Z").getTime();
    vi.setSystemTime(t0);
    const token = await tokenFor({ gd: "48" });
    vi.setSystemTime(t0 + 899_999);
    expect((await fhir(`${BASE48}/Patient`, token)).status).toBe(200);
    vi.setSystemTime(t0 + 900_000);
    const res = await fhir(`${BASE48}/Patient`, token);
    expect(res.status).toBe(401);
    expect(res.headers.get("www-authenticate")).toMatch(/invalid_token/);
  });

  it("AS-10: revoked after its code was replayed", async () => {
    const code = await newCode();
    const token = ((await (await redeem(code)).json()) as { access_token: string }).access_token;
    expect((await fhir(`${BASE48}/Patient`, token)).status).toBe(200);
    await redeem(code);
    expect((await fhir(`${BASE48}/Patient`, token)).status).toBe(401);
  });

  it("AS-6: a token for another Zorgaanbieder or another Gegevensdienst is insufficient_scope", async () => {
    const otherProvider = await fhir(`https://${DELINDE_HOST}/48/fhir/Patient`, await tokenFor({ gd: "48" }));
    expect(otherProvider.status).toBe(403);
    expect(otherProvider.headers.get("www-authenticate")).toMatch(/insufficient_scope/);
    expect((await fhir(`${BASE48}/Observation`, await tokenFor({ gd: "24" }))).status).toBe(403);
  });

  it("AS-11: a token presented over another whitelisted client's certificate is invalid_token", async () => {
    const appToken = await tokenFor({ gd: "48", client: DVP_APP });
    expect((await fhir(`${BASE48}/Patient`, appToken, { from: DVP_APP })).status).toBe(200);
    const stolen = await fhir(`${BASE48}/Patient`, appToken, { from: DVP_KLUIS });
    expect(stolen.status).toBe(401);
  });
});

describe("W-1/W-2 and LOG-4", () => {
  it("a certificate not on the Whitelist gets a bare 403, before the token is looked at", async () => {
    const token = await tokenFor({ gd: "48" });
    await storeLists(dvzaEnv.LISTS, { whitelist: { ...WHITELIST, volgnummer: "2002", hostnames: WHITELIST.hostnames.filter((h) => h !== DVP_KLUIS) } });
    const res = await fhir(`${BASE48}/Patient`, token);
    expect(res.status).toBe(403);
    expect(await res.text()).toBe("");
    expect(res.headers.get("www-authenticate")).toBeNull();
  });

  it("the MedMij-Request-ID is required and must be a UUID", async () => {
    const token = await tokenFor({ gd: "48" });
    for (const id of [undefined, "12345", "not-a-uuid"]) {
      const headers: Record<string, string> = { authorization: `Bearer ${token}` };
      if (id) headers["medmij-request-id"] = id;
      const res = await SELF.fetch(`${BASE48}/Patient`, { headers, cf: mtlsFrom(DVP_KLUIS) as unknown as IncomingRequestCfProperties });
      expect(res.status).toBe(400);
      expect(((await res.json()) as { issue: { diagnostics: string }[] }).issue[0]!.diagnostics).toMatch(/MedMij-Request-ID/);
    }
  });

  it("LOG-4: logs the MedMij-Request-ID and outcome of every request, never the token", async () => {
    const token = await tokenFor({ gd: "48" });
    const lines: string[] = [];
    for (const m of ["log", "warn"] as const) vi.spyOn(console, m).mockImplementation((l: unknown) => void lines.push(String(l)));
    const requestId = crypto.randomUUID();
    await fhir(`${BASE48}/Patient`, token, { headers: { "medmij-request-id": requestId } });
    const line = lines.find((l) => l.includes('"event":"resource.request"'))!;
    expect(JSON.parse(line)).toMatchObject({ requestId, client: DVP_KLUIS, zorgaanbieder: "umcharderwijk@medmij", gegevensdienst: "48", type: "Patient", status: 200 });
    expect(lines.join("\n")).not.toContain(token);
    expect(lines.join("\n")).not.toContain("999990019");
  });

  it("a path that is no resource endpoint is 404", async () => {
    expect((await fhir(`https://${UMC_HOST}/99/fhir/Patient`, await tokenFor({ gd: "48" }))).status).toBe(404);
  });
});
