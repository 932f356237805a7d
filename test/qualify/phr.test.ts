/**
 * SPEC G-6, issue 17: Nictiz's MedMij qualification of the PGO side. The DVP is the system under test; Nictiz's
 * test system is played by test/testscript/server.mjs (the scripts' own fixtures, a plain lookup, nothing of the
 * product) behind `fhir.nictiz-sim.localhost`, with a stand-in for its authorization side (test/peers/nictiz-as.mjs)
 * where the tester picks the qualification patient. The PGO is driven as a Person drives it, through its pages:
 * collect at "nictiz@medmij" (with a period or a choice of measurements where the scenario has one), enter
 * measurements and share them, upload PDF/A documents and share them. Then every PHR-side Cert script of the four
 * standards is evaluated on what the PGO sent and received (test/testscript/phr.mjs). The gate: no failed assert.
 */
import { mkdirSync, readFileSync, writeFileSync } from "node:fs";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { HOSTS, startNetwork, type LocalNetwork } from "../../scripts/local-network.mjs";
import { createNictizAs } from "../peers/nictiz-as.mjs";
import { createNictizSim, type NictizSim } from "../peers/nictiz-sim.mjs";
import { NetBrowser, field } from "../e2e/browser.ts";
import { createVariableScope, formatReport, formatSummary, hasFailures, listPhrScripts, loadTestScript, parseFhirXml, type ScriptReport } from "../testscript/index.mjs";
import { patientsOf } from "./harness.ts";

const SIM_HOST = "fhir.nictiz-sim.localhost";
const AS_HOST = "as.nictiz-sim.localhost";
const PROVIDER = "nictiz@medmij";
const TODAY = new Date().toISOString().slice(0, 10);

let net: LocalNetwork;
let sim: NictizSim;
const reports: ScriptReport[] = [];

/** Nictiz's test system on the lists: its authorization side, its FHIR base for every Gegevensdienst. */
function withNictiz(zal: string, whitelist: string): { zal: string; whitelist: string } {
  const umc = /<Zorgaanbieder>\s*<Zorgaanbiedernaam>umcharderwijk@medmij<\/Zorgaanbiedernaam>[\s\S]*?<\/Zorgaanbieder>/.exec(zal)![0];
  const nictiz = umc
    .replace("umcharderwijk@medmij", PROVIDER)
    .replaceAll(`https://${HOSTS.umcharderwijk}/oauth/`, `https://${AS_HOST}/oauth/`)
    .replace(/https:\/\/umcharderwijk\.zorgbridge\.localhost\/\d+\/fhir/g, `https://${SIM_HOST}/fhir`);
  const bump = (xml: string) => xml.replace(/<Volgnummer>(\d+)<\/Volgnummer>/, (_m, n: string) => `<Volgnummer>${Number(n) + 1}</Volgnummer>`);
  return {
    zal: bump(zal.replace("</Zorgaanbieders>", `${nictiz}\n    </Zorgaanbieders>`)),
    whitelist: bump(whitelist.replace("</MedMijNodes>", [SIM_HOST, AS_HOST].map((h) => `<MedMijNode><Hostname>${h}</Hostname></MedMijNode>`).join("") + "</MedMijNodes>")),
  };
}

beforeAll(async () => {
  sim = await createNictizSim({ host: SIM_HOST, path: "/fhir", today: TODAY });
  const as = createNictizAs({ host: AS_HOST, tokenFor: sim.tokenFor });
  net = await startNetwork({ port: 0, nodeServices: { ...sim.nodeServices, [AS_HOST]: (r: Request) => as.handle(r) } });
  const seed = (name: string) => readFileSync(new URL(`../../kv-seed/lists/${name}`, import.meta.url), "utf8");
  const lists = withNictiz(seed("MedMij_Zorgaanbiederslijst.xml"), seed("MedMij_Whitelist.xml"));
  for (const [file, body] of [["MedMij_Zorgaanbiederslijst.xml", lists.zal], ["MedMij_Whitelist.xml", lists.whitelist]] as const) {
    const put = await net.browse(HOSTS.registratie, `/admin/lists/${file}`, { method: "PUT", headers: { authorization: `Bearer ${net.adminToken}` }, body });
    expect(put.status, await put.text()).toBe(201);
  }
  await net.refreshLists();
}, 180_000);

afterAll(async () => {
  mkdirSync(new URL("../../test-results/", import.meta.url), { recursive: true });
  writeFileSync(new URL("../../test-results/qualification-phr.txt", import.meta.url), `${formatSummary(reports)}\n\n${formatReport(reports)}\n`);
  await net?.dispose();
});

const pgo = () => net.base(HOSTS.dvpKluis);

/** A Person logged in at the PGO (a test Person: the PGO's own login is not what is qualified here). */
async function person(id: string): Promise<{ b: NetBrowser; csrf: () => Promise<string> }> {
  const b = new NetBrowser(net);
  await b.post(`${pgo()}/login`, { person: id });
  return { b, csrf: async () => field(await (await b.get(`${pgo()}/`)).text(), "csrf") };
}

/**
 * One run as the Person makes it: the form posted at the PGO, the hand-off to Nictiz's authorization side, the
 * qualification patient picked there, back at the PGO. Returns the PGO's page at the end.
 */
async function runAtPgo(p: { b: NetBrowser; csrf: () => Promise<string> }, action: "verzamelen" | "delen", gd: string, patient: string, fields: [string, string][] = []): Promise<{ status: number; url: string; html: string }> {
  const body = new URLSearchParams([["csrf", await p.csrf()], ["zorgaanbieder", PROVIDER], ["gegevensdienst", gd], ...fields]);
  const start = await p.b.request(`${pgo()}/${action}`, { method: "POST", headers: { "content-type": "application/x-www-form-urlencoded" }, body: body.toString() });
  const refresh = start.headers.get("refresh");
  if (!refresh) throw new Error(`no hand-off (HTTP ${start.status}): ${(await start.text()).replace(/<[^>]+>/g, " ").replace(/\s+/g, " ").slice(0, 300)}`);
  const authorize = new URL(/^0;url=(.+)$/.exec(refresh)![1]!, pgo()).href;
  const page = await (await p.b.get(authorize)).text();
  const picked = await p.b.post(new URL("/oauth/authorize", authorize).href, { request: field(page, "request"), patient });
  const done = await p.b.follow(picked, authorize);
  return { status: done.final.status, url: done.url, html: await done.final.text() };
}

/** The fixture an operation of a script sends, its dates filled in as the engine fills them, as FHIR JSON. */
function sentFixture(path: string): Record<string, unknown> {
  const script = loadTestScript(path);
  const op = [script.setup, ...script.tests.map((t) => t.actions)].flat().find((a) => a.kind === "operation" && a.operation.sourceId);
  if (!op || op.kind !== "operation") throw new Error(`no fixture sent in ${path}`);
  const fixture = script.fixtures[op.operation.sourceId!]!;
  const text = createVariableScope({ definitions: script.variables, today: TODAY }).substitute(fixture.text);
  return fixture.format === "xml" ? parseFhirXml(text) : (JSON.parse(text) as Record<string, unknown>);
}

type Resource = Record<string, any>;
const resourcesOf = (bundle: Record<string, unknown>): Resource[] => ((bundle.entry as { resource: Resource }[]) ?? []).map((e) => e.resource);

/** A zib Observation of the fixture as the Person types it into the PGO's measurement form. */
function asTyped(o: Resource): [string, string][] {
  const code: string = o.code.coding[0].code;
  const at = String(o.effectiveDateTime);
  const when: [string, string] = ["at", /T/.test(at) ? at : `${at}T12:00`];
  if (code === "85354-9") {
    const part = (c: string) => String(o.component.find((x: Resource) => x.code.coding[0].code === c).valueQuantity.value);
    return [["kind", "bloeddruk"], ["systolic", part("8480-6")], ["diastolic", part("8462-4")], when];
  }
  const value = String(o.valueQuantity.value);
  const simple: Record<string, string> = { "29463-7": "gewicht", "8302-2": "lengte", "8867-4": "hartslag" };
  if (simple[code]) return [["kind", simple[code]!], ["value", value], when];
  const moment: Record<string, string> = { "14743-9": "willekeurig", "14770-2": "nuchter", "14760-3": "na-maaltijd" };
  if (moment[code]) return [["kind", "glucose"], ["value", value], ["moment", moment[code]!], when];
  throw new Error(`no form for LOINC ${code}`);
}

/** Enters measurements at /metingen; returns their ids at the PGO. */
async function enterMeasurements(p: { b: NetBrowser; csrf: () => Promise<string> }, observations: Resource[]): Promise<string[]> {
  const before = new Set(((await (await p.b.get(`${pgo()}/api/metingen`)).json()) as { measurements: { id: string }[] }).measurements.map((m) => m.id));
  for (const o of observations) {
    const res = await p.b.request(`${pgo()}/metingen`, { method: "POST", headers: { "content-type": "application/x-www-form-urlencoded" }, body: new URLSearchParams([["csrf", await p.csrf()], ...asTyped(o)]).toString() });
    expect(res.status, await res.text()).toBe(303);
  }
  const after = ((await (await p.b.get(`${pgo()}/api/metingen`)).json()) as { measurements: { id: string }[] }).measurements.map((m) => m.id);
  return after.filter((id) => !before.has(id));
}

/** Uploads the documents of a fixture Bundle at /documenten (title, kind, the PDF/A itself); returns their ids. */
async function uploadDocuments(p: { b: NetBrowser; csrf: () => Promise<string> }, bundle: Record<string, unknown>): Promise<string[]> {
  const entries = bundle.entry as { fullUrl: string; resource: Resource }[];
  const ids: string[] = [];
  for (const ref of entries.filter((e) => e.resource.resourceType === "DocumentReference").map((e) => e.resource)) {
    const binary = entries.find((e) => e.fullUrl === ref.content[0].attachment.url)!.resource;
    const form = new FormData();
    form.set("csrf", await p.csrf());
    form.set("title", String(ref.description ?? ref.content[0].attachment.title));
    form.set("type", String(ref.type.coding[0].code));
    form.set("file", new Blob([Buffer.from(String(binary.content), "base64")], { type: "application/pdf" }), "document.pdf");
    // As a browser sends it: multipart/form-data with its boundary (encoded here, the transport is undici's own).
    const encoded = new Response(form);
    const res = await p.b.request(`${pgo()}/documenten`, { method: "POST", headers: { "content-type": encoded.headers.get("content-type")! }, body: Buffer.from(await encoded.arrayBuffer()) as unknown as string });
    expect(res.status, await res.text()).toBe(303);
  }
  const docs = ((await (await p.b.get(`${pgo()}/api/documenten`)).json()) as { documents: { id: string }[] }).documents;
  for (const d of docs.slice(0, entries.filter((e) => e.resource.resourceType === "DocumentReference").length)) ids.push(d.id);
  return ids;
}

const day = (offset: number) => new Date(Date.parse(`${TODAY}T00:00:00Z`) + offset * 86_400_000).toISOString().slice(0, 10);
const script = (name: string) => listPhrScripts().find((p) => p.endsWith(name))!;
const patientOf = (name: string) => patientsOf(script(name))[0]!;

describe("G-6: the PGO does what each PHR script asks of it, as a Person drives it", () => {
  it("BgZ 1.1 and 1.2: a whole BgZ for each patient", async () => {
    const p = await person("jansen");
    for (const name of ["medmij-bgz-phr-1-1-retrieve-bgz.xml", "medmij-bgz-phr-1-2-retrieve-bgz.xml"]) {
      const done = await runAtPgo(p, "verzamelen", "48", patientOf(name));
      expect(done.url, done.html.slice(0, 300)).toMatch(/\/collections\/[0-9a-f-]{36}$/);
    }
  });

  it("laboratory results 1.1", async () => {
    const done = await runAtPgo(await person("jansen"), "verzamelen", "24", patientOf("medmij-laboratoryresults-phr-1-1-retrieve-all-labresults.xml"));
    expect(done.url).toMatch(/\/collections\//);
  });

  it("PDF/A 1.1-1.4, 2.1, 2.2: documents and manifests, then what they point at; 1.2 in a period", async () => {
    const p = await person("jansen");
    const patients = new Set(["1-1-retrieve-3-documentreference", "1-3-retrieve-2-binary", "1-4-retrieve-0-binary", "2-1-retrieve-2-documentmanifest", "2-2-retrieve-1-documentreference"].map((n) => patientOf(`medmij-pdfa-phr-${n}.xml`)));
    for (const patient of patients) expect((await runAtPgo(p, "verzamelen", "51", patient)).url).toMatch(/\/collections\//);
    const period = await runAtPgo(p, "verzamelen", "51", patientOf("medmij-pdfa-phr-1-2-retrieve-0-documentreference.xml"), [["van", day(-730)], ["tot", day(-365)]]);
    expect(period.url).toMatch(/\/collections\//);
  });

  it("self measurements 1.1-1.7: what the Person chooses to fetch", async () => {
    const p = await person("jansen");
    const choices: [string, [string, string][]][] = [
      ["selfmeasurements-phr-1-1-retrieve-all-bloodpressures.xml", [["soort", "bloeddruk"]]],
      ["selfmeasurements-phr-1-2-retrieve-latest-bodyweight.xml", [["soort", "gewicht"], ["laatste", "ja"]]],
      ["selfmeasurements-phr-1-3-retrieve-all-bloodglucoses.xml", [["soort", "glucose"]]],
      ["selfmeasurements-phr-1-4-retrieve-all-heartrates.xml", [["soort", "hartslag"]]],
      ["selfmeasurements-phr-1-5-retrieve-period-bloodpressure.xml", [["soort", "bloeddruk"], ["van", day(-100)], ["tot", day(-50)]]],
      ["selfmeasurements-phr-1-6-retrieve-period-observations.xml", [["soort", "bloeddruk"], ["soort", "gewicht"], ["soort", "glucose"], ["soort", "hartslag"], ["van", day(-30)], ["tot", day(0)]]],
      ["selfmeasurements-phr-1-7-retrieve-all-vitalsigns.xml", []],
    ];
    for (const [name, choice] of choices) expect((await runAtPgo(p, "verzamelen", "1005", patientOf(name), choice)).url, name).toMatch(/\/collections\//);
  });

  it("self measurements 2.1-2.3: the Person enters the scenario's measurements, then shares them", async () => {
    const p = await person("bakker");
    for (const name of ["selfmeasurements-phr-2-1-send-most-recent-bodyweight.xml", "selfmeasurements-phr-2-2-send-bloodpressures-from-period.xml", "selfmeasurements-phr-2-3-send-observations-from-period.xml"]) {
      const observations = resourcesOf(sentFixture(script(name))).filter((r) => r.resourceType === "Observation");
      const ids = await enterMeasurements(p, observations);
      expect(ids).toHaveLength(observations.length);
      const done = await runAtPgo(p, "delen", "5", patientOf(name), ids.map((id) => ["m", id]));
      expect(done.url, `${name}: ${done.html.replace(/<[^>]+>/g, " ").replace(/\s+/g, " ").slice(0, 300)}`).toMatch(/\/collections\//);
    }
  });

  it("PDF/A 3.1 and 3.2: the Person uploads the scenario's documents, then shares them", async () => {
    const p = await person("devries");
    for (const name of ["medmij-pdfa-phr-3-1-send-1-document.xml", "medmij-pdfa-phr-3-2-send-2-documents.xml"]) {
      const ids = await uploadDocuments(p, sentFixture(script(name)));
      const done = await runAtPgo(p, "delen", "1051", patientOf(name), ids.map((id) => ["d", id]));
      expect(done.url, `${name}: ${done.html.replace(/<[^>]+>/g, " ").replace(/\s+/g, " ").slice(0, 300)}`).toMatch(/\/collections\//);
    }
  });
});

describe("G-6: every PHR-side Cert script passes on what the PGO did", () => {
  it.each(listPhrScripts().map((p) => [p.replace(/.*\/nictiz\//, ""), p] as const))("%s", async (_name, path) => {
    const [report] = await sim.evaluate([path]);
    reports.push(report!);
    expect(hasFailures(report!), formatReport(report!)).toBe(false);
  });
});
