/**
 * The Resource Server in front of providers' own FHIR servers (SPEC X-4, AS-18, LOG-4), end to end: the DVZA in
 * workerd, each provider's FHIR STU3 server built on @asymmetrik/node-fhir-server-core with its own in-memory data
 * of several Persons (test/peers/fhir-server.mjs), reached with client_credentials (umcharderwijk), the DVZA's
 * client certificate (huisartsenpraktijkdelinde) or a bearer secret (ziekenhuisoost). Queries come from an
 * independent FHIR client, fhir-kit-client, through the RS.
 */
import { Client } from "fhir-kit-client";
import { Agent, getGlobalDispatcher, setGlobalDispatcher, type Dispatcher } from "undici";
import { lookup } from "node:dns";
import { afterAll, afterEach, beforeAll, describe, expect, it } from "vitest";
import { issueCodes } from "../../bench/grants.mjs";
import { HOSTS, startNetwork, type LocalNetwork } from "../../scripts/local-network.mjs";
import { NetBrowser, field, startAtPgo } from "./browser.ts";

type Upstream = {
  behaviour: Record<string, unknown>;
  reset(): void;
  expireTokens(): void;
  created(): Record<string, unknown>[];
  seen: { method: string; path: string; requestId: string | null; auth?: string }[];
};
type Bundle = { resourceType: string; type: string; total?: number; link: { relation: string; url: string }[]; entry: { fullUrl: string; resource: Record<string, unknown> & { id: string; resourceType: string }; search: { mode: string } }[] };

let net: LocalNetwork;
let previousDispatcher: Dispatcher;
const CERT = { "x-local-network-client-cert": HOSTS.dvpKluis };
const REDIRECT = `https://${HOSTS.dvpKluis}/oauth/callback`;
const PROVIDERS = { umcharderwijk: [HOSTS.umcharderwijk, "dvza-zorgbridge"], huisartsenpraktijkdelinde: [HOSTS.delinde, "dvza-zorgbridge"], ziekenhuisoost: [HOSTS.ziekenhuisoost, "dvza-medicloud"] } as const;
type Naam = keyof typeof PROVIDERS;
const upstream = (naam: Naam = "umcharderwijk"): Upstream => net.upstreams[`${naam}@medmij`];

beforeAll(async () => {
  net = await startNetwork({ port: 0, fhir: "upstream", fhirOptions: { providers: ["umcharderwijk@medmij", "huisartsenpraktijkdelinde@medmij", "ziekenhuisoost@medmij"] } });
  // fhir-kit-client uses Node's fetch; *.localhost is loopback, as a browser resolves it.
  previousDispatcher = getGlobalDispatcher();
  setGlobalDispatcher(
    new Agent({
      connect: {
        lookup: (host, options, cb) =>
          host.endsWith(".localhost") ? ((options as { all?: boolean }).all ? cb(null, [{ address: "127.0.0.1", family: 4 }] as never, 4) : cb(null, "127.0.0.1", 4)) : lookup(host, options, cb as never),
      },
    }),
  );
}, 120_000);
afterAll(async () => {
  setGlobalDispatcher(previousDispatcher);
  await net?.dispose();
});
afterEach(() => Object.keys(PROVIDERS).forEach((n) => upstream(n as Naam).reset()));

async function token(naam: Naam = "umcharderwijk", gd = "48", subject = "999990019"): Promise<string> {
  const [host, dvza] = PROVIDERS[naam];
  const [code] = await issueCodes(net.mf, dvza, { clientId: HOSTS.dvpKluis, redirectUri: REDIRECT, scope: `${naam}~${gd}`, zorgaanbieder: `${naam}@medmij`, gegevensdienstId: gd, subject, tokenEndpoint: `https://${host}/oauth/token` }, 1);
  const res = await net.browse(host, "/oauth/token", { method: "POST", headers: { ...CERT, "content-type": "application/x-www-form-urlencoded" }, body: new URLSearchParams({ grant_type: "authorization_code", code: code!, redirect_uri: REDIRECT }).toString() });
  return ((await res.json()) as { access_token: string }).access_token;
}

/** fhir-kit-client at the RS of one provider's Gegevensdienst, as a DVP Server: mTLS stand-in, Bearer, a fresh MedMij-Request-ID each request. */
function fhirClient(accessToken: string, naam: Naam = "umcharderwijk", gd = "48"): { client: Client; headers: () => Record<string, string>; ids: string[] } {
  const ids: string[] = [];
  const client = new Client({ baseUrl: `${net.base(PROVIDERS[naam][0])}/${gd}/fhir` });
  const headers = () => {
    const id = crypto.randomUUID();
    ids.push(id);
    return { ...CERT, authorization: `Bearer ${accessToken}`, "medmij-request-id": id, accept: "application/fhir+json" };
  };
  return { client, headers, ids };
}

/** A GET through the RS without a FHIR client (for the refusals). */
async function get(path: string, accessToken: string, naam: Naam = "umcharderwijk"): Promise<{ status: number; body: Record<string, unknown> }> {
  const res = await net.browse(PROVIDERS[naam][0], path, { headers: { ...CERT, authorization: `Bearer ${accessToken}`, "medmij-request-id": crypto.randomUUID() } });
  return { status: res.status, body: (await res.json()) as Record<string, unknown> };
}

const ids = (b: Bundle) => b.entry.map((e) => `${e.resource.resourceType}/${e.resource.id}`);

describe("X-4: Verzamelen from the providers' own FHIR servers, through an independent FHIR client", () => {
  it.each(Object.keys(PROVIDERS) as Naam[])("%s: the Person's BgZ only, with the RS's own URLs", async (naam) => {
    const { client, headers } = fhirClient(await token(naam), naam);
    const patient = (await client.search({ resourceType: "Patient", options: { headers: headers() } })) as unknown as Bundle;
    expect(ids(patient)).toEqual(["Patient/pat-jansen"]);
    const conditions = (await client.search({ resourceType: "Condition", options: { headers: headers() } })) as unknown as Bundle;
    expect(ids(conditions)).toEqual(["Condition/con-jansen-1", "Condition/con-jansen-2"]);
    expect(conditions.entry.every((e) => e.fullUrl.startsWith(`https://${PROVIDERS[naam][0]}/48/fhir/Condition/`))).toBe(true);
    const meds = (await client.search({ resourceType: "MedicationStatement", searchParams: { _include: "MedicationStatement:medication" }, options: { headers: headers() } })) as unknown as Bundle;
    expect(meds.entry.map((e) => [e.resource.id, e.search.mode])).toEqual([
      ["ms-jansen", "match"],
      ["med-jansen", "include"],
    ]);
    const auth = upstream(naam).seen.at(-1)!.auth;
    expect(auth).toBe({ umcharderwijk: "client_credentials", huisartsenpraktijkdelinde: "mtls:delinde.zorgbridge.localhost", ziekenhuisoost: "bearer" }[naam]);
  });

  it("LOG-4: the MedMij-Request-ID goes upstream as X-Request-ID and is logged on both sides", async () => {
    const { client, headers, ids: sent } = fhirClient(await token());
    await client.read({ resourceType: "Condition", id: "con-jansen-1", options: { headers: headers() } });
    const requestId = sent.at(-1)!;
    expect(upstream().seen.filter((r) => r.requestId === requestId).map((r) => r.path)).toContain("/3_0_1/Condition/con-jansen-1");
    await expect.poll(() => net.events("resource.request").some((e) => e.requestId === requestId && e.status === 200)).toBe(true);
    expect(net.events("upstream.request").some((e) => e.requestId === requestId)).toBe(true);
  });

  it("paging: the upstream's next link becomes the RS's own, and following it keeps the Person's filter", async () => {
    const { client, headers } = fhirClient(await token());
    const first = (await client.search({ resourceType: "Condition", searchParams: { _count: "1" }, options: { headers: headers() } })) as unknown as Bundle;
    expect(ids(first)).toEqual(["Condition/con-jansen-1"]);
    const next = new URL(first.link.find((l) => l.relation === "next")!.url);
    expect(`${next.origin}${next.pathname}`).toBe(`https://${HOSTS.umcharderwijk}/48/fhir/Condition`);
    expect([...next.searchParams.keys()]).toEqual(["_page"]);
    const second = (await client.request(`Condition${next.search}`, { options: { headers: headers() } })) as unknown as Bundle;
    expect(ids(second)).toEqual(["Condition/con-jansen-2"]);
    expect(second.link.some((l) => l.relation === "next")).toBe(false);
    // A page link edited to another patient is refused.
    const forged = new URLSearchParams({ _page: decodeURIComponent(next.searchParams.get("_page")!).replace("pat-jansen", "pat-devries") });
    expect((await get(`/48/fhir/Condition?${forged}`, await token())).status).toBe(403);
  });

  it("Documenten: a Binary the Person's DocumentReference points at is served; another's is not", async () => {
    const t = await token("umcharderwijk", "51");
    // No FHIR format asked for: the document itself (G-6, as Nictiz's PDF/A scripts read it).
    const own = await net.browse(HOSTS.umcharderwijk, "/51/fhir/Binary/bin-jansen", { headers: { ...CERT, authorization: `Bearer ${t}`, "medmij-request-id": crypto.randomUUID() } });
    expect([own.status, own.headers.get("content-type")]).toEqual([200, "application/pdf"]);
    expect(new TextDecoder().decode((await own.arrayBuffer()).slice(0, 5))).toBe("%PDF-");
    expect((await get("/51/fhir/Binary/bin-devries", t)).status).toBe(404);
  });

  it("the whole network: the PGO collects BgZ from a provider in upstream mode", async () => {
    const b = new NetBrowser(net);
    const pgo = net.base(HOSTS.dvpKluis);
    const authorize = await startAtPgo(net, b, "jansen", { zorgaanbieder: "umcharderwijk@medmij", gegevensdienst: "48" });
    const toDigid = await b.follow(await b.get(authorize), authorize);
    const form = await toDigid.final.text();
    const back = await b.post(`${net.base(HOSTS.digid)}/login`, { bsn: "999990019", RelayState: field(form, "RelayState"), return: field(form, "return") });
    const consent = await b.follow(back, `${net.base(HOSTS.digid)}/login`);
    const decided = await b.post(consent.url, { csrf: field(await consent.final.text(), "csrf"), decision: "ja" });
    const done = await b.follow(decided, consent.url);
    const id = done.url.split("/").pop()!;
    const detail = (await (await b.get(`${pgo}/api/collections/${id}`)).json()) as { outcome: string; resources: string[] };
    expect(detail.outcome).toBe("completed");
    const patients = detail.resources.map((r) => JSON.parse(r) as { resourceType: string; id: string }).filter((r) => r.resourceType === "Patient");
    expect(patients.map((p) => p.id)).toEqual(["pat-jansen"]);
  });
});

describe("AS-6 at a FHIR server shared by Gegevensdiensten (issue 15 #2)", () => {
  // The local network's upstream holds all of umcharderwijk's Gegevensdiensten on one server: BgZ (48, every
  // Observation), lab results (24: the catalogue's lab categories, and the deployment's own: the zib's SNOMED category or category=laboratory)
  // and self measurements (1005: the catalogue's self-measurement codes).
  it("each token gets its own Observations: asserted on what comes back", async () => {
    const lab = (await get("/24/fhir/Observation", await token("umcharderwijk", "24"))).body as unknown as Bundle;
    expect(ids(lab).sort()).toEqual(["Observation/lab-jansen-glu", "Observation/lab-jansen-hb", "Observation/lab-jansen-kreat"]);
    const self = (await get("/1005/fhir/Observation", await token("umcharderwijk", "1005"))).body as unknown as Bundle;
    expect(ids(self).sort()).toEqual(["Observation/bp-jansen", "Observation/bw-jansen"]);
    const bgz = (await get("/48/fhir/Observation", await token())).body as unknown as Bundle;
    expect(ids(bgz)).toHaveLength(5);
  });

  it.each([
    ["a lab token asking for vital signs", "24", "/24/fhir/Observation?category=vital-signs"],
    ["a lab token adding vital signs to its own category", "24", "/24/fhir/Observation?category=laboratory,vital-signs"],
    ["a lab token repeating the parameter", "24", "/24/fhir/Observation?category=laboratory&category=vital-signs"],
    ["a self-measurement token asking for a lab code", "1005", "/1005/fhir/Observation?code=http://loinc.org|718-7"],
  ])("%s: refused before any upstream call", async (_name, gd, path) => {
    const t = await token("umcharderwijk", gd);
    const before = upstream().seen.length;
    const res = await get(path, t);
    expect(res.status).toBe(403);
    expect(res.body).toMatchObject({ resourceType: "OperationOutcome", issue: [{ code: "forbidden" }] });
    expect(upstream().seen.slice(before).filter((r) => r.path.includes("Observation"))).toEqual([]);
  });

  it("a client value within the restriction narrows it", async () => {
    const bp = (await get("/1005/fhir/Observation?code=http://loinc.org|85354-9", await token("umcharderwijk", "1005"))).body as unknown as Bundle;
    expect(ids(bp)).toEqual(["Observation/bp-jansen"]);
    expect(decodeURIComponent(upstream().seen.at(-1)!.path)).toContain("code=http://loinc.org|85354-9");
  });

  it("an upstream that ignores the restriction: what lies outside it is dropped, counted and logged", async () => {
    upstream().behaviour.ignore = ["category", "code"];
    const t = await token("umcharderwijk", "24");
    const before = net.events("resource.dropped").length;
    const lab = (await get("/24/fhir/Observation", t)).body as unknown as Bundle;
    expect(ids(lab).sort()).toEqual(["Observation/lab-jansen-glu", "Observation/lab-jansen-hb", "Observation/lab-jansen-kreat"]);
    await expect.poll(() => net.events("resource.dropped").slice(before).some((e) => e.type === "Observation" && e.count === 2)).toBe(true);
    // A read of a vital sign with the lab token: the upstream's search by _id ignores the category too.
    expect((await get("/24/fhir/Observation/bp-jansen", t)).status).toBe(404);
  });
});

describe("X-4, X-8: what an upstream answer carries (issue 15 #3, #4)", () => {
  it("a resource carrying another patient's Patient as contained resource never leaves", async () => {
    upstream().behaviour.containForeignPatient = true;
    const t = await token();
    const res = await net.browse(HOSTS.umcharderwijk, "/48/fhir/Condition", { headers: { ...CERT, authorization: `Bearer ${t}`, "medmij-request-id": crypto.randomUUID() } });
    const text = await res.text();
    expect(res.status).toBe(200);
    expect((JSON.parse(text) as Bundle).entry).toBeUndefined();
    expect(text).not.toMatch(/de Vries|999990020|stranger/);
    expect((await get("/48/fhir/Condition/con-jansen-1", t)).status).toBe(404);
  });

  it("X-8: the Person's BSN is masked in every resource served", async () => {
    const res = await net.browse(HOSTS.umcharderwijk, "/48/fhir/Patient", { headers: { ...CERT, authorization: `Bearer ${await token()}`, "medmij-request-id": crypto.randomUUID() } });
    const text = await res.text();
    expect(text).not.toContain("999990019");
    const patient = (JSON.parse(text) as Bundle).entry[0]!.resource;
    expect(patient.identifier).toEqual([{ system: "http://fhir.nl/fhir/NamingSystem/bsn", _value: { extension: [{ url: "http://hl7.org/fhir/StructureDefinition/data-absent-reason", valueCode: "masked" }] } }]);
  });

  it("a paging link that names another patient is dropped, not wrapped into _page", async () => {
    upstream().behaviour.foreignNextLink = true;
    const res = await net.browse(HOSTS.umcharderwijk, "/48/fhir/Condition?_count=1", { headers: { ...CERT, authorization: `Bearer ${await token()}`, "medmij-request-id": crypto.randomUUID() } });
    const text = await res.text();
    const bundle = JSON.parse(text) as Bundle;
    expect(ids(bundle)).toEqual(["Condition/con-jansen-1"]);
    expect(bundle.link.map((l) => l.relation)).toEqual(["self"]);
    expect(text).not.toContain("pat-devries");
  });
});

describe("a client's malformed path is the client's error, never a 5xx (issue 15 #6)", () => {
  it.each([
    "/48/fhir/Condition/-",
    "/48/fhir/Condition/a%2Fb",
    "/48/fhir/Condition/a..b",
    `/48/fhir/Condition/${"a".repeat(65)}`,
    "/48/fhir/Condition/_history",
    "/48/fhir/Condition/$",
    "/48/fhir/Condition/con-jansen-1/_history/1",
    "/48/fhir/Condition/con-jansen-1/x/y",
    "/48/fhir/Condition//con-jansen-1/",
    "/48/fhir/Condition/%00",
    "/48/fhir/Condition/%E2%80%8B",
  ])("%s: 400 or 404", async (path) => {
    const res = await get(path, await token());
    expect([400, 404]).toContain(res.status);
    expect(res.body.resourceType).toBe("OperationOutcome");
  });
});

describe("X-4: Delen through the RS, the Person's reference enforced", () => {
  const bloeddruk = (subject?: string) => ({
    resourceType: "Observation",
    status: "final",
    code: { coding: [{ system: "http://loinc.org", code: "85354-9" }] },
    effectiveDateTime: "2026-11-20T08:00:00+01:00",
    component: [
      { code: { coding: [{ system: "http://loinc.org", code: "8480-6" }] }, valueQuantity: { value: 127, unit: "mmHg" } },
      { code: { coding: [{ system: "http://loinc.org", code: "8462-4" }] }, valueQuantity: { value: 81, unit: "mmHg" } },
    ],
    ...(subject ? { subject: { reference: subject } } : {}),
  });

  it("create: a resource naming no patient is stored for the token's Person; one naming another patient is refused", async () => {
    const t = await token("umcharderwijk", "5");
    const other = await net.browse(HOSTS.umcharderwijk, "/5/fhir/Observation", { method: "POST", headers: { ...CERT, authorization: `Bearer ${t}`, "medmij-request-id": crypto.randomUUID(), "content-type": "application/fhir+json" }, body: JSON.stringify(bloeddruk("Patient/pat-devries")) });
    expect(other.status).toBe(422);
    const res = await net.browse(HOSTS.umcharderwijk, "/5/fhir/Observation", { method: "POST", headers: { ...CERT, authorization: `Bearer ${t}`, "medmij-request-id": crypto.randomUUID(), "content-type": "application/fhir+json" }, body: JSON.stringify(bloeddruk()) });
    expect(res.status).toBe(201);
    expect(res.headers.get("location")).toMatch(new RegExp(`^http://${HOSTS.umcharderwijk.replace(/\./g, "\\.")}:\\d+/5/fhir/Observation/[0-9a-f-]{36}(/_history/1)?$`));
    const stored = upstream().created().at(-1)!;
    expect(stored.subject).toEqual({ reference: "Patient/pat-jansen" });
  });

  const post = async (path: string, body: unknown, gd = "5") =>
    net.browse(HOSTS.umcharderwijk, path, { method: "POST", headers: { ...CERT, authorization: `Bearer ${await token("umcharderwijk", gd)}`, "medmij-request-id": crypto.randomUUID(), "content-type": "application/fhir+json" }, body: JSON.stringify(body) });

  // Issue 15 #1: only `subject` used to be set; every other reference went upstream as sent.
  it.each([
    ["a performer that is another patient", { performer: [{ reference: "Patient/pat-devries" }] }, /refers to another Patient/],
    ["an absolute performer reference to another patient at the provider", { performer: [{ reference: `https://${HOSTS.umcharderwijk}/5/fhir/Patient/pat-devries` }] }, /refers to another Patient/],
    ["related.target: another patient's Observation", { related: [{ type: "derived-from", target: { reference: "Observation/bp-devries" } }] }, /Observation that is not the Person's/],
    ["a contained Patient carrying another BSN", { contained: [{ resourceType: "Patient", id: "p1", identifier: [{ system: "http://fhir.nl/fhir/NamingSystem/bsn", value: "999990020" }] }], performer: [{ reference: "#p1" }] }, /contained holds a Patient/],
    ["a performer by another Person's BSN", { performer: [{ identifier: { system: "http://fhir.nl/fhir/NamingSystem/bsn", value: "999990020" } }] }, /another Person by BSN/],
    ["a reference to another server", { performer: [{ reference: "https://elsewhere.example.nl/fhir/Patient/1" }] }, /another server/],
  ])("create with %s: refused, nothing stored", async (_name, extra, reason) => {
    const before = upstream().created().length;
    const res = await post("/5/fhir/Observation", { ...bloeddruk(), ...extra });
    expect(res.status).toBe(422);
    const body = (await res.json()) as { issue: { code: string; diagnostics: string }[] };
    expect(body.issue[0]!.code).toBe("business-rule");
    expect(body.issue[0]!.diagnostics).toMatch(reason);
    expect(upstream().created().length).toBe(before);
  });

  it("create with references to the Person's own records: accepted", async () => {
    const res = await post("/5/fhir/Observation", { ...bloeddruk(), performer: [{ reference: "Patient/pat-jansen" }], related: [{ type: "derived-from", target: { reference: "Observation/bp-jansen" } }] });
    expect(res.status).toBe(201);
    expect(upstream().created().at(-1)!.performer).toEqual([{ reference: "Patient/pat-jansen" }]);
  });

  it("a transaction with one entry reaching into another record: refused as a whole", async () => {
    const before = upstream().created().length;
    const bad = { ...bloeddruk(), performer: [{ reference: "Patient/pat-bakker" }] };
    const bundle = { resourceType: "Bundle", type: "transaction", entry: [bloeddruk(), bad].map((r) => ({ resource: r, request: { method: "POST", url: "Observation" } })) };
    const res = await post("/5/fhir", bundle);
    expect(res.status).toBe(422);
    expect(((await res.json()) as { issue: { diagnostics: string }[] }).issue[0]!.diagnostics).toMatch(/^entry 1: /);
    expect(upstream().created().length).toBe(before);
  });

  it("transaction: every entry is bound to the Person; locations point at the RS", async () => {
    const t = await token("umcharderwijk", "5");
    const bundle = { resourceType: "Bundle", type: "transaction", entry: [bloeddruk(), bloeddruk("Patient/pat-jansen")].map((r) => ({ resource: r, request: { method: "POST", url: "Observation" } })) };
    const before = upstream().created().length;
    const res = await net.browse(HOSTS.umcharderwijk, "/5/fhir", { method: "POST", headers: { ...CERT, authorization: `Bearer ${t}`, "medmij-request-id": crypto.randomUUID(), "content-type": "application/fhir+json" }, body: JSON.stringify(bundle) });
    expect(res.status).toBe(200);
    const answer = (await res.json()) as { type: string; entry: { response: { location: string } }[] };
    expect(answer.type).toBe("transaction-response");
    expect(answer.entry.every((e) => e.response.location.startsWith(`https://${HOSTS.umcharderwijk}/5/fhir/Observation/`))).toBe(true);
    const created = upstream().created().slice(before);
    expect(created.map((r) => r.subject)).toEqual([{ reference: "Patient/pat-jansen" }, { reference: "Patient/pat-jansen" }]);
  });

  // Documents (1051): a Binary names no patient, so what the upstream answers for it is served back only when it
  // is the document that was sent; every other resource of the answer must be the Person's.
  const documents = (pdf: string) => ({
    resourceType: "Bundle",
    type: "batch",
    entry: [
      { fullUrl: "urn:uuid:7d5c1a7e-2f0b-4c55-9a43-0d7c0b1e0001", resource: { resourceType: "Binary", contentType: "application/pdf", content: pdf }, request: { method: "POST", url: "Binary" } },
      {
        fullUrl: "urn:uuid:7d5c1a7e-2f0b-4c55-9a43-0d7c0b1e0002",
        resource: { resourceType: "DocumentReference", status: "current", type: { coding: [{ system: "http://loinc.org", code: "11488-4" }] }, indexed: "2026-11-30T10:00:00+01:00", content: [{ attachment: { contentType: "application/pdf", url: "urn:uuid:7d5c1a7e-2f0b-4c55-9a43-0d7c0b1e0001" } }] },
        request: { method: "POST", url: "DocumentReference" },
      },
    ],
  });
  const PDF = btoa("%PDF-1.7\n% a letter of the Person's own\n%%EOF\n");

  it("batch of documents: the Binary sent comes back with its DocumentReference", async () => {
    const res = await post("/1051/fhir", documents(PDF), "1051");
    expect(res.status).toBe(200);
    const answer = (await res.json()) as { entry: { resource?: { resourceType: string; content?: unknown } }[] };
    expect(answer.entry.map((e) => e.resource?.resourceType)).toEqual(["Binary", "DocumentReference"]);
    expect(answer.entry[0]!.resource!.content).toBe(PDF);
  });

  it("batch of documents answered with another patient's Binary and DocumentReference: neither is served", async () => {
    upstream().behaviour.foreignRepresentation = true;
    const res = await post("/1051/fhir", documents(PDF), "1051");
    expect(res.status).toBe(200);
    const text = await res.text();
    const answer = JSON.parse(text) as { entry: { resource?: unknown; response: { status: string } }[] };
    expect(answer.entry.map((e) => e.resource)).toEqual([undefined, undefined]);
    expect(answer.entry.map((e) => e.response.status)).toEqual(["201 Created", "201 Created"]);
    expect(text).not.toMatch(/devries/);
  });
});

describe("X-4: nothing outside the Person's compartment", () => {
  it("another patient's id: Patient is not even asked for; another's Condition is dropped and 404", async () => {
    const t = await token();
    const before = upstream().seen.length;
    expect((await get("/48/fhir/Patient/pat-devries", t)).status).toBe(404);
    expect(upstream().seen.slice(before).some((r) => r.path.includes("pat-devries"))).toBe(false);
    expect((await get("/48/fhir/Condition/con-devries-1", t)).status).toBe(404);
    await expect.poll(() => net.events("resource.dropped").some((e) => e.type === "Condition")).toBe(true);
  });

  it.each([
    ["a chained search to another patient", "/48/fhir/Condition?patient.identifier=http://fhir.nl/fhir/NamingSystem/bsn|999990020", 403],
    ["a reference parameter naming another patient", "/48/fhir/Condition?patient=Patient/pat-devries", 400],
    ["a reference modifier", "/48/fhir/Condition?subject:Patient=pat-devries", 403],
    ["_has (reverse chaining)", "/48/fhir/Patient?_has:Observation:patient:code=85354-9", 403],
    ["_revinclude", "/48/fhir/Patient?_revinclude=Observation:subject", 403],
    ["_include of something that is not a reference parameter", "/48/fhir/Observation?_include=Observation:code", 400],
    ["_include:iterate", "/48/fhir/MedicationStatement?_include:iterate=MedicationStatement:medication", 403],
    ["an unknown parameter", "/48/fhir/Condition?_query=everything", 400],
    ["the Patient searched by BSN", "/48/fhir/Patient?identifier=http://fhir.nl/fhir/NamingSystem/bsn|999990020", 400],
    ["a shared resource type searched directly", "/48/fhir/Practitioner", 403],
  ])("%s is refused before any upstream call", async (_name, path, status) => {
    const t = await token();
    const before = upstream().seen.length;
    const res = await get(path, t);
    expect(res.status).toBe(status);
    expect(res.body.resourceType).toBe("OperationOutcome");
    expect(upstream().seen.slice(before).filter((r) => !r.path.includes("identifier=http"))).toEqual([]);
  });

  it("a type the Gegevensdienst does not offer never reaches the upstream", async () => {
    const t = await token();
    const before = upstream().seen.length;
    expect((await get("/48/fhir/DocumentReference", t)).status).toBe(404);
    expect(upstream().seen.length).toBe(before);
  });

  it("an upstream that returns another patient's resources: filtered, counted and logged without personal data", async () => {
    upstream().behaviour.leak = true;
    const t = await token();
    const before = net.events("resource.dropped").length;
    const { body } = await get("/48/fhir/MedicationStatement?_include=MedicationStatement:medication", t);
    const bundle = body as unknown as Bundle;
    expect(ids(bundle)).toEqual(["MedicationStatement/ms-jansen", "Medication/med-jansen"]);
    // The upstream's total counted the leaked resource: it is not passed on.
    expect(bundle.total).toBeUndefined();
    await expect.poll(() => net.events("resource.dropped").length).toBeGreaterThan(before);
    const dropped = net.events("resource.dropped").slice(before);
    // The leaked MedicationStatement, and the Medication it brought along as _include.
    expect(dropped[0]).toMatchObject({ type: "MedicationStatement", count: 2 });
    expect(JSON.stringify(dropped)).not.toMatch(/devries|bakker|99999002|99999003/);
  });
});

describe("X-4/AS-18: when the upstream fails", () => {
  const transient = async (status: number) => {
    const res = await get("/48/fhir/Condition", await token());
    expect(res.status).toBe(status);
    expect(res.body).toMatchObject({ resourceType: "OperationOutcome", issue: [{ code: "transient" }] });
  };

  it("down: 502, after one repeat of the GET (AS-18)", async () => {
    const t = await token();
    await get("/48/fhir/Patient", t); // the Person is known before the upstream goes down
    upstream().behaviour.down = true;
    const before = upstream().seen.length;
    const res = await get("/48/fhir/Condition", t);
    expect(res.status).toBe(502);
    expect(upstream().seen.length - before).toBe(2);
  });
  it("slower than its time-out: 504", () => {
    upstream().behaviour.delayMs = 2_500;
    return transient(504);
  });
  it("HTTP 500: 502", () => {
    upstream().behaviour.status = 500;
    return transient(502);
  });
  it("malformed JSON: 502, never passed on", () => {
    upstream().behaviour.malformed = true;
    return transient(502);
  });
  it("a 10 MB answer: 502, not buffered whole", () => {
    upstream().behaviour.hugeBytes = 10 * 1024 * 1024;
    return transient(502);
  });
  it("the wrong content type: 502", () => {
    upstream().behaviour.contentType = "text/html";
    return transient(502);
  });
  it("a client_credentials token that expires mid-run is renewed once", async () => {
    const t = await token();
    expect((await get("/48/fhir/Condition", t)).status).toBe(200);
    upstream().expireTokens();
    const before = upstream().seen.length;
    expect((await get("/48/fhir/Condition", t)).status).toBe(200);
    const after = upstream().seen.slice(before);
    expect(after.filter((r) => r.auth === undefined).length).toBe(1);
    expect(after.at(-1)!.auth).toBe("client_credentials");
  });
});
