/**
 * Store-mode FHIR search through the Resource Server (SPEC G-6, X-4, X-8): data fed through the operator interface
 * (X-10, as a provider's system does), then searched with real MedMij access tokens over the whitelisted client's
 * certificate, exactly as a DVP does. What comes back is checked: the Person's own records only, $lastn per code,
 * _include in both forms with search.mode include, paging with next/previous and total, a self link naming only
 * what was applied, absolute fullUrls, _lastUpdated, FHIR JSON and XML by _format and Accept (406, 415), Binary as
 * the document itself, and never a BSN, contained resources included.
 * The parsing rules themselves: test/fhir/search.test.ts.
 */
import { SELF, env } from "cloudflare:test";
import { beforeAll, describe, expect, it } from "vitest";
import type { Env } from "../../workers/dvza/env.ts";
import { carriesBsn } from "../../workers/fhir/bsn.ts";
import { fhirJsonToXml, fhirXmlToJson } from "../../workers/fhir/formats/xml.ts";
import { DVP_KLUIS, UMC_HOST, mtlsFrom, storeLists } from "../helpers/network.ts";
import { newCode, redeem } from "./token/helpers.ts";

const dvzaEnv = env as unknown as Env;
const OP_HOST = "feed.zorgbridge.localhost";
const SECRET = "operator-secret-store-search-0123456789abcdef";
const OP = `https://${OP_HOST}/umcharderwijk/fhir`;
const BSN_SYSTEM = "http://fhir.nl/fhir/NamingSystem/bsn";
const LOINC = "http://loinc.org";
const UCUM = "http://unitsofmeasure.org";
const RS = (gd: string) => `https://${UMC_HOST}/${gd}/fhir`;
const RS48 = RS("48");

// Two Persons and a relative, with BSNs nobody else in this file uses.
const BSN_A = "999911112";
const BSN_B = "999922223";
const BSN_RELATIVE = "999933334";

type Json = Record<string, unknown>;
type Entry = { fullUrl: string; resource: Json & { resourceType: string; id: string }; search: { mode: string } };
type Bundle = { resourceType: string; type: string; total: number; link: { relation: string; url: string }[]; entry?: Entry[] };
type Outcome = { resourceType: string; issue: { code: string; diagnostics: string }[] };

const vital = { coding: [{ system: "http://hl7.org/fhir/observation-category", code: "vital-signs" }] };
const obs = (id: string, patient: string, code: string, when: string, extra: Json = {}): Json => ({
  resourceType: "Observation",
  id,
  status: "final",
  category: [vital],
  code: { coding: [{ system: LOINC, code }] },
  subject: { reference: `Patient/${patient}` },
  effectiveDateTime: when,
  ...extra,
});
const qty = (value: number, unit: string, code = unit) => ({ valueQuantity: { value, unit, system: UCUM, code } });
const PDF_TEXT = "%PDF-1.4\n% a small document\n%%EOF\n";

const RESOURCES: Json[] = [
  { resourceType: "Practitioner", id: "prac-1", name: [{ family: "Huisarts" }] },
  { resourceType: "Practitioner", id: "prac-2", name: [{ family: "Specialist" }] },
  { resourceType: "Organization", id: "org-1", name: "Huisartsenpraktijk" },
  { resourceType: "Medication", id: "med-a", code: { text: "Metoprolol" } },
  { resourceType: "Binary", id: "bin-a", contentType: "application/pdf", content: btoa(PDF_TEXT) },
  { resourceType: "Binary", id: "bin-b", contentType: "application/pdf", content: btoa("%PDF-1.4 B") },
  {
    resourceType: "Patient",
    id: "pa",
    identifier: [{ system: BSN_SYSTEM, value: BSN_A }],
    name: [{ family: "Visser", given: ["Anna"] }],
    generalPractitioner: [{ reference: "Practitioner/prac-1" }, { reference: "Organization/org-1" }],
  },
  { resourceType: "Patient", id: "pb", identifier: [{ system: BSN_SYSTEM, value: BSN_B }], name: [{ family: "Bos" }] },
  // Person A's vital signs, fed in the order they were measured (codes interleaved): three blood pressures, two
  // weights, one heart rate, in other zones than UTC.
  obs("bp1", "pa", "85354-9", "2026-01-10T09:00:00+01:00", { performer: [{ reference: "Practitioner/prac-1" }, { reference: "Organization/org-1" }], component: [{ code: { coding: [{ system: LOINC, code: "8480-6" }] }, ...qty(130, "mm[Hg]") }] }),
  obs("w1", "pa", "29463-7", "2026-02-01T08:00:00+01:00", qty(80, "kg")),
  obs("bp2", "pa", "85354-9", "2026-03-05T09:00:00+01:00", { component: [{ code: { coding: [{ system: LOINC, code: "8480-6" }] }, ...qty(128, "mm[Hg]") }] }),
  obs("hr1", "pa", "8867-4", "2026-04-01T07:00:00Z", qty(62, "/min")),
  obs("w2", "pa", "29463-7", "2026-05-01T08:00:00+02:00", qty(78.5, "kg")),
  obs("bp3", "pa", "85354-9", "2026-06-20T09:00:00+02:00", { component: [{ code: { coding: [{ system: LOINC, code: "8480-6" }] }, ...qty(125, "mm[Hg]") }] }),
  // A laboratory result, with a relative's BSN and the Person's own in contained resources (X-8).
  {
    ...obs("glu-a", "pa", "15074-8", "2026-04-10T08:00:00+02:00", qty(6.1, "mmol/L")),
    category: [{ coding: [{ system: "http://hl7.org/fhir/observation-category", code: "laboratory" }] }],
    contained: [
      { resourceType: "RelatedPerson", id: "rp", patient: { reference: "Patient/pa" }, identifier: [{ system: BSN_SYSTEM, value: BSN_RELATIVE }] },
      { resourceType: "Patient", id: "self", identifier: [{ system: BSN_SYSTEM, value: BSN_A }] },
    ],
    performer: [{ reference: "#rp" }],
  },
  { resourceType: "MedicationStatement", id: "ms-a", status: "active", taken: "y", medicationReference: { reference: "Medication/med-a" }, subject: { reference: "Patient/pa" } },
  { resourceType: "DocumentReference", id: "doc-a", status: "current", type: { text: "Ontslagbrief" }, subject: { reference: "Patient/pa" }, indexed: "2026-10-03T09:00:00+02:00", content: [{ attachment: { contentType: "application/pdf", url: "Binary/bin-a" } }] },
  // Person B: a blood pressure newer than all of A's, by a practitioner only B's records name.
  obs("bp-b", "pb", "85354-9", "2026-07-01T09:00:00+02:00", { performer: [{ reference: "Practitioner/prac-2" }], component: [{ code: { coding: [{ system: LOINC, code: "8480-6" }] }, ...qty(140, "mm[Hg]") }] }),
  { resourceType: "DocumentReference", id: "doc-b", status: "current", type: { text: "Ontslagbrief" }, subject: { reference: "Patient/pb" }, indexed: "2026-10-03T09:00:00+02:00", content: [{ attachment: { contentType: "application/pdf", url: "Binary/bin-b" } }] },
];

function feed(path: string, method: string, body: unknown): Promise<Response> {
  return SELF.fetch(`${OP}${path}`, { method, headers: { authorization: `Bearer ${SECRET}`, "content-type": "application/fhir+json", accept: "application/fhir+json" }, body: JSON.stringify(body) });
}

const tokens = new Map<string, string>();
async function token(subject: string, gd = "48"): Promise<string> {
  const key = `${subject}~${gd}`;
  if (!tokens.has(key)) {
    const res = await redeem(await newCode({ scope: `umcharderwijk~${gd}`, gegevensdienstId: gd, subject }));
    expect(res.status).toBe(200);
    tokens.set(key, ((await res.json()) as { access_token: string }).access_token);
  }
  return tokens.get(key)!;
}
/** A resource request as a DVP sends it: its certificate, a Bearer token, a MedMij-Request-ID. `accept: null` sends none. */
async function rs(url: string, opts: { subject?: string; gd?: string; accept?: string | null; headers?: Record<string, string>; method?: string; body?: string } = {}): Promise<Response> {
  const headers: Record<string, string> = { authorization: `Bearer ${await token(opts.subject ?? BSN_A, opts.gd ?? "48")}`, "medmij-request-id": crypto.randomUUID(), ...(opts.headers ?? {}) };
  if (opts.accept !== null) headers.accept = opts.accept ?? "application/fhir+json";
  return SELF.fetch(url, { method: opts.method ?? "GET", headers, body: opts.body, cf: mtlsFrom(DVP_KLUIS) as unknown as IncomingRequestCfProperties });
}
async function search(path: string, opts: Parameters<typeof rs>[1] = {}): Promise<Bundle> {
  const res = await rs(path.startsWith("https://") ? path : `${RS(opts.gd ?? "48")}/${path}`, opts);
  const text = await res.text();
  expect(res.status, text).toBe(200);
  return JSON.parse(text) as Bundle;
}
const ids = (b: Bundle, mode = "match") => (b.entry ?? []).filter((e) => e.search.mode === mode).map((e) => e.resource.id);
const link = (b: Bundle, relation: string) => b.link.find((l) => l.relation === relation)?.url;
const effective = (e: Entry) => Date.parse(String(e.resource.effectiveDateTime));

let seededLastUpdated = "";

beforeAll(async () => {
  // X-10: the operator interface as scripts/local-network.mjs configures it. The test configuration binds neither
  // setting; SELF's handler is called with this very env object, so this configures the worker for this file only.
  Object.assign(dvzaEnv, { OPERATOR_HOSTNAME: OP_HOST, OPERATOR_TOKEN: SECRET });
  await storeLists(dvzaEnv.LISTS);
  const t = { resourceType: "Bundle", type: "transaction", entry: RESOURCES.map((r) => ({ resource: r, request: { method: "PUT", url: `${String(r.resourceType)}/${String(r.id)}` } })) };
  const res = await feed("", "POST", t);
  expect(res.status, await res.clone().text()).toBe(200);
  seededLastUpdated = (await dvzaEnv.FHIR.get(dvzaEnv.FHIR.idFromName("umcharderwijk@medmij")).readAny("Observation", "w1"))!.lastUpdated;
});

describe("X-4: the Person of the token, and nobody else", () => {
  it("a search finds the Person's own records only, whatever the request names", async () => {
    const a = await search("Observation?category=vital-signs");
    expect(ids(a).sort()).toEqual(["bp1", "bp2", "bp3", "hr1", "w1", "w2"]);
    // Another Patient in the request is another filter on A's records, never a way into B's.
    expect((await search("Observation?subject=Patient/pb")).total).toBe(0);
    expect((await search("Observation?_id=bp-b")).total).toBe(0);
    const b = await search("Observation", { subject: BSN_B });
    expect(ids(b)).toEqual(["bp-b"]);
  });

  it("shared resources are reachable only through the Person's own records", async () => {
    expect((await rs(`${RS48}/Practitioner/prac-1`)).status).toBe(200);
    expect((await rs(`${RS48}/Practitioner/prac-2`)).status).toBe(404);
    expect((await rs(`${RS48}/Practitioner/prac-2`, { subject: BSN_B })).status).toBe(200);
    // Shared types are not searched directly (they belong to no compartment).
    expect((await search("Practitioner")).total).toBe(0);
  });

  it("AS-6: a Gegevensdienst sees its view only: the laboratory one (24) sees the lab result, not the vital signs", async () => {
    expect(ids(await search("Observation", { gd: "24" }))).toEqual(["glu-a"]);
    expect((await rs(`${RS("24")}/Observation/bp1`, { gd: "24" })).status).toBe(404);
  });
});

describe("G-6: search parameters through the store's index", () => {
  it.each<[string, string[]]>([
    // Dates with prefixes, partial dates and zones (the stored values are in +01:00/+02:00).
    ["date=2026-03", ["bp2"]],
    ["date=ge2026-03-01&date=lt2026-06-01", ["bp2", "hr1", "w2"]],
    ["date=sa2026-05-01", ["bp3"]],
    ["date=eb2026-02-01", ["bp1"]],
    ["date=gt2026-05-01", ["bp3"]],
    ["date=le2026-02-01", ["bp1", "w1"]],
    ["date=ne2026", []],
    ["date=2026-01-10T09:00:00%2B01:00", ["bp1"]],
    ["date=2026-01-10T08:00:00Z", ["bp1"]],
    ["date=lt2026-02-01T07:00:00Z", ["bp1"]],
    ["date=le2026-02-01T07:00:00Z", ["bp1", "w1"]],
    // Tokens: system|code, code, |code, system|, comma-OR, :not.
    ["code=http://loinc.org|85354-9", ["bp1", "bp2", "bp3"]],
    ["code=85354-9", ["bp1", "bp2", "bp3"]],
    ["code=|85354-9", []],
    ["code=http://snomed.info/sct|85354-9", []],
    ["code=http://loinc.org|", ["bp1", "bp2", "bp3", "hr1", "w1", "w2"]],
    ["code=http://loinc.org|29463-7,http://loinc.org|8867-4", ["hr1", "w1", "w2"]],
    ["code:not=http://loinc.org|85354-9", ["hr1", "w1", "w2"]],
    ["component-code=8480-6", ["bp1", "bp2", "bp3"]],
    // Quantities with prefix, precision, system and code.
    ["value-quantity=gt79||kg", ["w1"]],
    ["value-quantity=78.5|http://unitsofmeasure.org|kg", ["w2"]],
    ["value-quantity=78|http://unitsofmeasure.org|kg", []],
    ["value-quantity=le80", ["hr1", "w1", "w2"]],
    ["component-value-quantity=ge128", ["bp1", "bp2"]],
    // References: Type/id, an id, an absolute URL at this endpoint.
    ["performer=Practitioner/prac-1", ["bp1"]],
    ["performer=org-1", ["bp1"]],
    [`subject=${encodeURIComponent(`${RS48}/Patient/pa`)}`, ["bp1", "bp2", "bp3", "hr1", "w1", "w2"]],
    ["_id=bp1,w1", ["bp1", "w1"]],
  ])("Observation?category=vital-signs&%s", async (query, expected) => {
    expect(ids(await search(`Observation?category=vital-signs&${query}`)).sort()).toEqual(expected);
  });

  it("strings: starts-with, case- and accent-insensitive; :exact is exact; :contains", async () => {
    expect(ids(await search("Patient?name=VISS"))).toEqual(["pa"]);
    expect(ids(await search("Patient?family=vïsser"))).toEqual(["pa"]);
    expect(ids(await search("Patient?name:exact=visser"))).toEqual([]);
    expect(ids(await search("Patient?name:exact=Visser"))).toEqual(["pa"]);
    expect(ids(await search("Patient?name:contains=isse"))).toEqual(["pa"]);
    expect(ids(await search("Patient?name=isse"))).toEqual([]);
  });

  it("a parameter the server refuses is a 400 OperationOutcome, never a silent wider answer", async () => {
    for (const query of ["code:text=bloeddruk", "date=gisteren", "subject.name=Visser", "_include=Observation:code", "_sort=patient", "_count=-1", "value-quantity=veel"]) {
      const res = await rs(`${RS48}/Observation?${query}`);
      expect(res.status, query).toBe(400);
      expect(((await res.json()) as Outcome).resourceType).toBe("OperationOutcome");
    }
  });
});

describe("G-6: Observation/$lastn", () => {
  it("max=1 (the default): the newest of the code, of this Person only", async () => {
    const b = await search("Observation/$lastn?code=http://loinc.org|85354-9");
    // B's blood pressure of July is newer, and is not A's.
    expect([b.total, ids(b)]).toEqual([1, ["bp3"]]);
    expect(link(b, "self")).toBe(`${RS48}/Observation/$lastn?code=http://loinc.org|85354-9`);
    expect(b.entry![0]!.fullUrl).toBe(`${RS48}/Observation/bp3`);
    expect(ids(await search("Observation/$lastn?code=http://loinc.org|85354-9", { subject: BSN_B }))).toEqual(["bp-b"]);
  });

  it("max=2: the newest two per code, each code's entries together, newest first", async () => {
    const b = await search("Observation/$lastn?category=vital-signs&max=2");
    expect(b.total).toBe(5);
    const entries = b.entry!;
    const codes = entries.map((e) => ((e.resource.code as { coding: { code: string }[] }).coding[0]!.code));
    // Grouped: once a code's run of entries ends, it does not come back.
    expect(codes.filter((c, i) => i === 0 || codes[i - 1] !== c)).toHaveLength(new Set(codes).size);
    const perCode = (code: string) => entries.filter((_, i) => codes[i] === code);
    expect(perCode("85354-9").map((e) => e.resource.id)).toEqual(["bp3", "bp2"]);
    expect(perCode("29463-7").map((e) => e.resource.id)).toEqual(["w2", "w1"]);
    expect(perCode("8867-4").map((e) => e.resource.id)).toEqual(["hr1"]);
    for (const code of new Set(codes)) {
      const dates = perCode(code).map(effective);
      expect(dates).toEqual([...dates].sort((x, y) => y - x));
    }
  });

  it("max=3 of two codes (Nictiz: code=a,b), with _include of what they name", async () => {
    const b = await search("Observation/$lastn?code=http://loinc.org|85354-9,http://loinc.org|29463-7&max=3&_include=Observation:performer");
    expect(ids(b).sort()).toEqual(["bp1", "bp2", "bp3", "w1", "w2"]);
    expect(ids(b, "include").sort()).toEqual(["org-1", "prac-1"]);
    expect(link(b, "self")).toBe(`${RS48}/Observation/$lastn?code=http://loinc.org|85354-9,http://loinc.org|29463-7&max=3&_include=Observation:performer`);
  });

  it("max outside 1..999 is a 400; $lastn of another type, or another operation, is 404", async () => {
    expect((await rs(`${RS48}/Observation/$lastn?max=0`)).status).toBe(400);
    expect((await rs(`${RS48}/Condition/$lastn`)).status).toBe(404);
    expect((await rs(`${RS48}/Observation/$everything`)).status).toBe(404);
  });
});

describe("G-6: _include and _revinclude", () => {
  it("2-part: every target of the parameter, once each, with search.mode include and absolute fullUrls", async () => {
    const b = await search("Observation?code=http://loinc.org|85354-9&_include=Observation:performer");
    expect(ids(b).sort()).toEqual(["bp1", "bp2", "bp3"]);
    expect(b.total).toBe(3);
    const included = (b.entry ?? []).filter((e) => e.search.mode === "include");
    expect(included.map((e) => e.fullUrl).sort()).toEqual([`${RS48}/Organization/org-1`, `${RS48}/Practitioner/prac-1`]);
  });

  it("3-part: only targets of that type (Nictiz: Coverage:payor:Patient, Coverage:payor:Organization)", async () => {
    const b = await search("Observation?code=http://loinc.org|85354-9&_include=Observation:performer:Practitioner");
    expect(ids(b, "include")).toEqual(["prac-1"]);
    const both = await search("Patient?_include=Patient:general-practitioner:Practitioner&_include=Patient:general-practitioner:Organization");
    expect(ids(both)).toEqual(["pa"]);
    expect(ids(both, "include").sort()).toEqual(["org-1", "prac-1"]);
  });

  it("Nictiz's includes: Patient:general-practitioner, MedicationStatement:medication", async () => {
    const gp = await search("Patient?_include=Patient:general-practitioner");
    expect((gp.entry ?? []).map((e) => [e.resource.resourceType, e.search.mode]).sort()).toEqual([["Organization", "include"], ["Patient", "match"], ["Practitioner", "include"]]);
    const ms = await search("MedicationStatement?_include=MedicationStatement:medication");
    expect((ms.entry ?? []).map((e) => [e.fullUrl, e.search.mode])).toEqual([[`${RS48}/MedicationStatement/ms-a`, "match"], [`${RS48}/Medication/med-a`, "include"]]);
  });

  it("X-4: an include never brings another Person's or an unreferenced resource along", async () => {
    // Through B's token the same include brings B's practitioner; through A's it cannot reach it.
    expect(ids(await search("Observation?_include=Observation:performer", { subject: BSN_B }), "include")).toEqual(["prac-2"]);
    const a = await search("Observation?_include=Observation:performer&_include=Observation:subject");
    expect(ids(a, "include").sort()).toEqual(["org-1", "pa", "prac-1"]);
  });

  it("_revinclude: the Person's resources that refer to the matches, and only theirs", async () => {
    const b = await search("Patient?_revinclude=MedicationStatement:subject");
    expect([ids(b), ids(b, "include")]).toEqual([["pa"], ["ms-a"]]);
    expect(ids(await search("Patient?_revinclude=Observation:subject", { subject: BSN_B }), "include")).toEqual(["bp-b"]);
  });
});

describe("G-6: paging, total, self link, fullUrls", () => {
  it("_count pages by next and previous links; total counts every match on every page", async () => {
    const page1 = await search("Observation?category=vital-signs&_sort=date&_count=2");
    expect([page1.total, ids(page1)]).toEqual([6, ["bp1", "w1"]]);
    expect(link(page1, "previous")).toBeUndefined();
    const next1 = link(page1, "next")!;
    expect(next1).toBe(`${RS48}/Observation?category=vital-signs&_sort=date&_count=2&_offset=2`);
    const page2 = await search(next1);
    expect([page2.total, ids(page2)]).toEqual([6, ["bp2", "hr1"]]);
    expect(link(page2, "self")).toBe(next1);
    const page3 = await search(link(page2, "next")!);
    expect([page3.total, ids(page3)]).toEqual([6, ["w2", "bp3"]]);
    expect(link(page3, "next")).toBeUndefined();
    const back = await search(link(page3, "previous")!);
    expect(ids(back)).toEqual(["bp2", "hr1"]);
    expect(ids(await search(link(page2, "previous")!))).toEqual(["bp1", "w1"]);
  });

  it("_count=0: the total only; _count above the maximum is the maximum, and the self link says so", async () => {
    const zero = await search("Observation?category=vital-signs&_count=0");
    expect([zero.total, zero.entry, zero.link.map((l) => l.relation)]).toEqual([6, undefined, ["self"]]);
    const big = await search("Observation?category=vital-signs&_count=9999");
    expect(link(big, "self")).toBe(`${RS48}/Observation?category=vital-signs&_count=500`);
    expect(big.entry).toHaveLength(6);
  });

  it("_sort: descending by date, and by several keys", async () => {
    expect(ids(await search("Observation?category=vital-signs&_sort=-date"))).toEqual(["bp3", "w2", "hr1", "bp2", "w1", "bp1"]);
    expect(ids(await search("Observation?category=vital-signs&_sort=code,-date"))).toEqual(["w2", "w1", "bp3", "bp2", "bp1", "hr1"]);
  });

  it("the self link names only the parameters applied: an ignored one, _format and paging cursors are not in it", async () => {
    const b = await search("Observation?category=vital-signs&nonsense=1&_summary=count&_format=json&_elements=id");
    expect(link(b, "self")).toBe(`${RS48}/Observation?category=vital-signs`);
    // The filter that was applied really was applied; what was ignored changed nothing.
    expect(b.total).toBe(6);
    // With Prefer: handling=strict the unknown parameter is an error instead.
    const strict = await rs(`${RS48}/Observation?category=vital-signs&nonsense=1`, { headers: { prefer: "handling=strict" } });
    expect(strict.status).toBe(400);
    expect(((await strict.json()) as Outcome).issue[0]!.diagnostics).toMatch(/nonsense/);
  });

  it("every entry's fullUrl is absolute, at this endpoint, and names the resource it carries", async () => {
    const b = await search("Observation?_include=Observation:performer&_include=Observation:subject");
    expect(b.entry!.length).toBeGreaterThan(5);
    for (const e of b.entry!) expect(e.fullUrl).toBe(`${RS48}/${e.resource.resourceType}/${e.resource.id}`);
  });

  it("_lastUpdated: what changed after the feed, and what did not", async () => {
    // workerd's clock moves between I/O: make sure the update is a later millisecond than the feed.
    await new Promise((r) => setTimeout(r, 5));
    const updated = await feed("/Observation/w2", "PUT", RESOURCES.find((r) => r.id === "w2"));
    expect(updated.status).toBe(200);
    const after = ((await updated.json()) as { meta: { lastUpdated: string } }).meta.lastUpdated;
    expect(Date.parse(after)).toBeGreaterThan(Date.parse(seededLastUpdated));
    const since = encodeURIComponent(seededLastUpdated);
    expect(ids(await search(`Observation?category=vital-signs&_lastUpdated=gt${since}`))).toEqual(["w2"]);
    expect(ids(await search(`Observation?category=vital-signs&_lastUpdated=le${since}`)).sort()).toEqual(["bp1", "bp2", "bp3", "hr1", "w1"]);
    expect(ids(await search(`Observation?category=vital-signs&_lastUpdated=${encodeURIComponent(after)}`))).toEqual(["w2"]);
    // Day and year precision.
    expect(ids(await search(`Observation?category=vital-signs&_lastUpdated=${after.slice(0, 10)}`))).toContain("w2");
    expect((await search(`Observation?category=vital-signs&_lastUpdated=${seededLastUpdated.slice(0, 4)}`)).total).toBe(6);
    // The served resource says when it changed, and that it is version 2.
    const w2 = (await (await rs(`${RS48}/Observation/w2`)).json()) as { meta: { lastUpdated: string; versionId: string } };
    expect(w2.meta).toMatchObject({ lastUpdated: after, versionId: "2" });
  });
});

describe("G-6: FHIR JSON and FHIR XML", () => {
  const contentType = async (opts: Parameters<typeof rs>[1], query = "") => {
    const res = await rs(`${RS48}/Patient${query}`, opts);
    return [res.status, res.headers.get("content-type")];
  };
  const JSON_CT = "application/fhir+json; charset=utf-8";
  const XML_CT = "application/fhir+xml; charset=utf-8";

  it.each<[string, string | null, string, number, string]>([
    ["no Accept", null, "", 200, JSON_CT],
    ["*/*", "*/*", "", 200, JSON_CT],
    ["application/fhir+xml", "application/fhir+xml", "", 200, XML_CT],
    ["application/xml+fhir (DSTU2)", "application/xml+fhir", "", 200, XML_CT],
    ["q-values prefer XML", "application/fhir+json;q=0.4, application/fhir+xml;q=0.8", "", 200, XML_CT],
    ["q-values prefer JSON", "application/fhir+xml;q=0.4, application/fhir+json", "", 200, JSON_CT],
    ["_format=xml over Accept JSON", "application/fhir+json", "?_format=xml", 200, XML_CT],
    ["_format=json over Accept XML", "application/fhir+xml", "?_format=json", 200, JSON_CT],
    ["_format=application/fhir+xml", null, "?_format=application/fhir%2Bxml", 200, XML_CT],
    ["text/html only: 406", "text/html", "", 406, JSON_CT],
    ["_format=html: 406", null, "?_format=html", 406, JSON_CT],
  ])("%s", async (_name, accept, query, status, ct) => {
    expect(await contentType({ accept }, query)).toEqual([status, ct]);
  });

  it("the XML answer is the same Bundle as the JSON one", async () => {
    const json = await search("Observation?category=vital-signs&_sort=date&_include=Observation:performer");
    const res = await rs(`${RS48}/Observation?category=vital-signs&_sort=date&_include=Observation:performer`, { accept: "application/fhir+xml" });
    const xml = await res.text();
    expect(xml).toMatch(/^<\?xml version="1.0" encoding="UTF-8"\?>\s*<Bundle xmlns="http:\/\/hl7.org\/fhir">/);
    const back = fhirXmlToJson(xml) as unknown as Bundle;
    expect([back.type, back.total, link(back, "self")]).toEqual([json.type, json.total, link(json, "self")]);
    expect(back.entry!.map((e) => [e.fullUrl, e.search.mode])).toEqual(json.entry!.map((e) => [e.fullUrl, e.search.mode]));
  });

  it("a refusal is in the format asked for too", async () => {
    const res = await rs(`${RS48}/Observation?date=gisteren`, { accept: "application/fhir+xml" });
    expect([res.status, res.headers.get("content-type")]).toEqual([400, XML_CT]);
    expect(await res.text()).toMatch(/<OperationOutcome xmlns="http:\/\/hl7.org\/fhir">/);
  });

  it("Delen: a body that is not FHIR is 415; a FHIR XML body is taken, and answered in XML", async () => {
    const bp = { resourceType: "Observation", status: "final", code: { coding: [{ system: LOINC, code: "85354-9" }] }, effectiveDateTime: "2026-11-20T08:00:00+01:00", component: [{ code: { coding: [{ system: LOINC, code: "8480-6" }] }, ...qty(121, "mm[Hg]") }] };
    const plain = await rs(`${RS("5")}/Observation`, { gd: "5", method: "POST", body: JSON.stringify(bp), headers: { "content-type": "text/plain" } });
    expect(plain.status).toBe(415);
    const xml = await rs(`${RS("5")}/Observation`, { gd: "5", method: "POST", body: fhirJsonToXml(bp), headers: { "content-type": "application/fhir+xml" }, accept: "application/fhir+xml" });
    expect([xml.status, xml.headers.get("content-type")]).toEqual([201, XML_CT]);
    const stored = fhirXmlToJson(await xml.text()) as unknown as Json & { id: string };
    expect(stored.subject).toEqual({ reference: "Patient/pa" });
    expect(await dvzaEnv.FHIR.get(dvzaEnv.FHIR.idFromName("umcharderwijk@medmij")).readAny("Observation", stored.id)).not.toBeNull();
  });
});

describe("G-6: Binary (Documenten, 51)", () => {
  const BIN = `${RS("51")}/Binary/bin-a`;

  it.each<[string, string | null]>([
    ["no Accept", null],
    ["the document's own type", "application/pdf"],
    ["a wildcard", "*/*"],
  ])("a read naming no FHIR format (%s) gets the document itself", async (_name, accept) => {
    const res = await rs(BIN, { gd: "51", accept });
    expect(res.status).toBe(200);
    expect(res.headers.get("content-type")).toBe("application/pdf");
    expect(res.headers.get("x-content-type-options")).toBe("nosniff");
    expect(res.headers.get("content-disposition")).toBe("attachment");
    expect(new TextDecoder().decode(await res.arrayBuffer())).toBe(PDF_TEXT);
  });

  it("a read asking for FHIR gets the Binary resource, in JSON or XML", async () => {
    const json = await rs(BIN, { gd: "51" });
    expect(json.headers.get("content-type")).toBe("application/fhir+json; charset=utf-8");
    expect((await json.json()) as Json).toMatchObject({ resourceType: "Binary", id: "bin-a", contentType: "application/pdf", content: btoa(PDF_TEXT) });
    const xml = await rs(`${BIN}?_format=xml`, { gd: "51", accept: null });
    expect(xml.headers.get("content-type")).toBe("application/fhir+xml; charset=utf-8");
    expect(fhirXmlToJson(await xml.text())).toMatchObject({ resourceType: "Binary", contentType: "application/pdf" });
  });

  it("X-4: another Person's document is not there, in any format", async () => {
    expect((await rs(`${RS("51")}/Binary/bin-b`, { gd: "51", accept: null })).status).toBe(404);
    expect((await rs(`${RS("51")}/Binary/bin-b`, { gd: "51" })).status).toBe(404);
    expect((await rs(`${RS("51")}/Binary/bin-b`, { gd: "51", subject: BSN_B, accept: null })).status).toBe(200);
  });
});

describe("X-8: no BSN in any answer, contained resources included", () => {
  it.each([
    ["the Person's own BSN", () => `${RS48}/Patient?identifier=http://fhir.nl/fhir/NamingSystem/bsn|${BSN_A}`],
    ["another's BSN on a compartment resource", () => `${RS48}/Observation?subject.identifier=http://fhir.nl/fhir/NamingSystem/bsn|${BSN_B}`],
  ])("a search naming %s is refused (400), the BSN not echoed in a self link", async (_name, url) => {
    const res = await rs(url());
    const text = await res.text();
    expect(res.status).toBe(400);
    expect(text).not.toContain(BSN_A);
    expect(text).not.toContain(BSN_B);
  });

  const urls = [
    `${RS48}/Patient`,
    `${RS48}/Patient/pa`,
    `${RS48}/Patient?_include=Patient:general-practitioner`,
    `${RS48}/Observation?_include=Observation:subject`,
    `${RS48}/Observation/glu-a`,
    `${RS48}/Observation/$lastn?max=5&_include=Observation:subject`,
    `${RS48}/MedicationStatement?_include=MedicationStatement:subject`,
    `${RS48}/Patient?_revinclude=Observation:subject`,
    `${RS("24")}/Observation?_include=Observation:subject`,
    `${RS("51")}/DocumentReference?_include=DocumentReference:subject`,
  ];

  it.each(urls)("%s, as JSON and as XML", async (url) => {
    const gd = new URL(url).pathname.split("/")[1]!;
    for (const accept of ["application/fhir+json", "application/fhir+xml"]) {
      const res = await rs(url, { gd, accept });
      const text = await res.text();
      expect(res.status, text).toBe(200);
      for (const bsn of [BSN_A, BSN_B, BSN_RELATIVE]) expect(text).not.toContain(bsn);
      const json = accept.endsWith("json") ? JSON.parse(text) : fhirXmlToJson(text);
      expect(carriesBsn(json)).toBe(false);
    }
  });

  it("contained resources keep the BSN's system, their value masked as Nictiz's fixtures do", async () => {
    const glu = (await (await rs(`${RS48}/Observation/glu-a`)).json()) as { contained: { resourceType: string; identifier: Json[] }[] };
    const masked = { system: BSN_SYSTEM, _value: { extension: [{ url: "http://hl7.org/fhir/StructureDefinition/data-absent-reason", valueCode: "masked" }] } };
    expect(glu.contained.map((c) => [c.resourceType, c.identifier])).toEqual([["RelatedPerson", [masked]], ["Patient", [masked]]]);
  });

  it("the operator's own answers carry none either", async () => {
    const res = await SELF.fetch(`${OP}/Observation/glu-a`, { headers: { authorization: `Bearer ${SECRET}` } });
    expect(res.status).toBe(200);
    const text = await res.text();
    for (const bsn of [BSN_A, BSN_RELATIVE]) expect(text).not.toContain(bsn);
  });
});
