/**
 * The whole local MedMij network end to end over HTTP (issue: DVP, NEN 7513 log, Portabiliteitsrapport):
 * a Person at the PGO "Gezondheidskluis & Co" collects (Verzamelen) and shares (Delen) data with
 * umcharderwijk@medmij: PGO -> authorize -> DigiD simulator -> consent -> callback -> token over
 * mTLS -> FHIR. Every hop is a real worker in workerd (Miniflare), as `npm run simulate` runs them.
 */
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { HOSTS, startNetwork, type LocalNetwork } from "../../scripts/local-network.mjs";
import { compileSchema, validateXmlText } from "../../workers/shared/xsd/index.ts";
import { readFileSync } from "node:fs";
import { NetBrowser, field } from "./browser.ts";

let net: LocalNetwork;
const prSchema = compileSchema(readFileSync(new URL("../../xsd/medmij-edge/MedMij_Portabiliteitsrapport.xsd", import.meta.url), "utf8"));

beforeAll(async () => {
  net = await startNetwork({ port: 0 });
}, 120_000);
afterAll(async () => net?.dispose());

const pgo = () => net.base(HOSTS.dvpKluis);

async function loggedIn(person = "jansen"): Promise<{ b: NetBrowser; csrf: string }> {
  const b = new NetBrowser(net);
  const login = await b.post(`${pgo()}/login`, { person });
  expect(login.status).toBe(303);
  const home = await b.get(`${pgo()}/`);
  return { b, csrf: field(await home.text(), "csrf") };
}

/** From the PGO's button to the consent page at the provider; returns the consent page. */
/** The hand-off page's Refresh: where the PGO sends the Person's browser. */
async function handoffTarget(start: Response, startUrl: string): Promise<string> {
  expect(start.status).toBe(200);
  await start.body?.cancel();
  const m = /^0;url=(.+)$/.exec(start.headers.get("refresh") ?? "");
  expect(m).not.toBeNull();
  return new URL(m![1]!, startUrl).href;
}

async function toConsent(b: NetBrowser, start: Response, startUrl: string, bsn: string): Promise<{ html: string; url: string }> {
  const authorize = await handoffTarget(start, startUrl);
  expect(authorize.startsWith(`${net.base(HOSTS.umcharderwijk)}/oauth/authorize?`)).toBe(true);
  // AS-15: the state is random and carries no URI.
  const state = new URL(authorize).searchParams.get("state")!;
  expect(state).toMatch(/^[A-Za-z0-9_-]{43}$/);
  const toDigid = await b.follow(await b.get(authorize), authorize);
  expect(toDigid.url.startsWith(`${net.base(HOSTS.digid)}/login?`)).toBe(true);
  const loginForm = await toDigid.final.text();
  const loggedIn = await b.post(`${net.base(HOSTS.digid)}/login`, { bsn, RelayState: field(loginForm, "RelayState"), return: field(loginForm, "return") });
  const consent = await b.follow(loggedIn, `${net.base(HOSTS.digid)}/login`);
  expect(consent.url).toBe(`${net.base(HOSTS.umcharderwijk)}/oauth/consent`);
  return { html: await consent.final.text(), url: consent.url };
}

async function consentAndReturn(b: NetBrowser, consent: { html: string; url: string }, decision: "ja" | "nee"): Promise<{ final: Response; url: string }> {
  const decided = await b.post(consent.url, { csrf: field(consent.html, "csrf"), decision });
  expect(decided.status).toBe(302);
  expect(decided.headers.get("location")!.startsWith(`${pgo()}/oauth/callback?`)).toBe(true);
  return b.follow(decided, consent.url);
}

describe("Verzamelen and Delen across the whole network", () => {
  let collectionId: string;

  it("G-1/AS-1: a Person collects BgZ from a provider through the PGO", async () => {
    const { b, csrf } = await loggedIn("jansen");
    const start = await b.post(`${pgo()}/verzamelen`, { csrf, zorgaanbieder: "umcharderwijk@medmij", gegevensdienst: "48" });
    const consent = await toConsent(b, start, `${pgo()}/verzamelen`, "999990019");
    expect(consent.html).toContain("toestemming om &#39;Basisgegevens Zorg&#39; uit te wisselen met &#39;Gezondheidskluis &amp; Co&#39;");
    const done = await consentAndReturn(b, consent, "ja");
    expect(done.url).toMatch(new RegExp(`^${pgo()}/collections/[0-9a-f-]{36}$`));
    collectionId = done.url.split("/").pop()!;
    expect(await done.final.text()).toContain("Opgehaald bij umcharderwijk@medmij");

    const detail = (await (await b.get(`${pgo()}/api/collections/${collectionId}`)).json()) as {
      outcome: string;
      resources: string[];
      requests: { uri: string; requestId: string; status: number }[];
    };
    expect(detail.outcome).toBe("completed");
    const types = detail.resources.map((r) => (JSON.parse(r) as { resourceType: string }).resourceType);
    for (const t of ["Patient", "Condition", "AllergyIntolerance", "MedicationStatement", "Medication", "Immunization", "Observation"]) expect(types).toContain(t);
    // Only Jansen's data came back.
    const patients = detail.resources.map((r) => JSON.parse(r) as { resourceType: string; id: string }).filter((r) => r.resourceType === "Patient");
    expect(patients.map((p) => p.id)).toEqual(["pat-jansen"]);
    // G-6: the 28 searches of BgZ scenario 1.1; LOG-3: every resource request had its own MedMij-Request-ID.
    expect(detail.requests.length).toBe(28);
    expect(new Set(detail.requests.map((r) => r.requestId)).size).toBe(28);
    expect(detail.requests.every((r) => r.status === 200 && r.uri.startsWith("https://umcharderwijk.zorgbridge.localhost/48/fhir/"))).toBe(true);
  });

  it("G-1/AS-2: the Person shares a blood pressure measurement (Delen) and the provider stores it", async () => {
    const { b, csrf } = await loggedIn("jansen");
    const start = await b.post(`${pgo()}/delen`, { csrf, zorgaanbieder: "umcharderwijk@medmij", gegevensdienst: "5", kind: "bloeddruk", systolic: "131", diastolic: "84" });
    const consent = await toConsent(b, start, `${pgo()}/delen`, "999990019");
    expect(consent.html).toContain("U bevestigt hierbij dat");
    const done = await consentAndReturn(b, consent, "ja");
    expect(done.url).toMatch(/\/collections\//);
    const ns = await net.mf.getDurableObjectNamespace("FHIR", "dvza-zorgbridge");
    const fhirStore = ns.get(ns.idFromName("umcharderwijk@medmij")) as unknown as { search(scope: unknown, query: unknown): Promise<{ matches: { text: string }[] }> };
    const query = { type: "Observation", clauses: [], includes: [], revincludes: [], count: 100, offset: 0, sort: [], lastn: undefined, applied: [], ignored: [] };
    const found = await fhirStore.search({ person: "999990019", types: ["Observation"], restrict: {} }, query);
    const stored = found.matches.map((m) => JSON.parse(m.text) as { subject?: { reference: string }; component?: { valueQuantity: { value: number } }[] });
    expect(stored.map((o) => o.component?.map((c) => c.valueQuantity.value))).toContainEqual([131, 84]);
    // Bound to the Person's own Patient at the provider.
    expect(stored.find((o) => o.component?.[0]?.valueQuantity.value === 131)?.subject?.reference).toBe("Patient/pat-jansen");
  });

  it("access_denied at the provider ends the run at the PGO without data", async () => {
    const { b, csrf } = await loggedIn("devries");
    const start = await b.post(`${pgo()}/verzamelen`, { csrf, zorgaanbieder: "umcharderwijk@medmij", gegevensdienst: "24" });
    const consent = await toConsent(b, start, `${pgo()}/verzamelen`, "999990020");
    const done = await consentAndReturn(b, consent, "nee");
    expect(await done.final.text()).toContain("U hebt geen toestemming gegeven");
    const list = (await (await b.get(`${pgo()}/api/collections`)).json()) as { outcome: string; resourceCount: number }[];
    expect(list[0]).toMatchObject({ outcome: "denied", resourceCount: 0 });
  });

  it("AS-15: a callback with a state from another session, or a used state, is refused", async () => {
    const { b, csrf } = await loggedIn("bakker");
    const start = await b.post(`${pgo()}/verzamelen`, { csrf, zorgaanbieder: "umcharderwijk@medmij", gegevensdienst: "48" });
    const state = new URL(await handoffTarget(start, `${pgo()}/verzamelen`)).searchParams.get("state")!;
    const other = await loggedIn("devries");
    const foreign = await other.b.get(`${pgo()}/oauth/callback?code=x&state=${state}`);
    expect(foreign.status).toBe(400);
    // The rightful session may still use it once, then never again.
    const own = await b.get(`${pgo()}/oauth/callback?error=access_denied&state=${state}`);
    expect(own.status).toBe(200);
    expect((await b.get(`${pgo()}/oauth/callback?error=access_denied&state=${state}`)).status).toBe(400);
  });

  it("LOG-1: the Person's log lists every function with provider, Gegevensdienst, request ids and outcome", async () => {
    const { b } = await loggedIn("jansen");
    const log = (await (await b.get(`${pgo()}/api/log`)).json()) as { entries: { action: string; zorgaanbieder: string | null; gegevensdienstId: string | null; requestIds: string[]; outcome: string; at: string }[] };
    const runs = log.entries.filter((e) => e.action === "verzamelen" || e.action === "delen");
    expect(runs.map((e) => [e.action, e.zorgaanbieder, e.gegevensdienstId, e.outcome])).toEqual([
      ["verzamelen", "umcharderwijk@medmij", "48", "completed"],
      ["delen", "umcharderwijk@medmij", "5", "completed"],
    ]);
    // The token request and each of the 28 resource requests: 29 MedMij-Request-IDs for the BgZ run.
    expect(runs[0]!.requestIds).toHaveLength(29);
    expect(log.entries.every((e) => !Number.isNaN(Date.parse(e.at)))).toBe(true);
  });

  it("P-1/P-3/P-4: the Portabiliteitsrapport is plain, valid XML listing the collection with its requests; deleted data is left out", async () => {
    const { b, csrf } = await loggedIn("jansen");
    const today = new Date().toISOString().slice(0, 10);
    const res = await b.get(`${pgo()}/api/portabiliteitsrapport?van=${today}&tot=${today}`);
    expect(res.status).toBe(200);
    expect(res.headers.get("content-disposition")).toContain("attachment");
    expect(res.headers.get("content-type")).toBe("application/xml; charset=utf-8");
    const xml = await res.text();
    expect(validateXmlText(xml, prSchema)).toMatchObject({ ok: true });
    // P-3: nothing restricts its use with another DVP: no signature, no encryption, no DVP-specific wrapper.
    expect(xml).not.toMatch(/Signature|EncryptedData/);
    expect(xml.startsWith('<?xml version="1.0" encoding="UTF-8"?>\n<PortabiliteitsRapport xmlns="xmlns://afsprakenstelsel.medmij.nl/portabiliteitsrapport/release1/">')).toBe(true);
    expect(xml).toContain("<Zorgaanbiedernaam>umcharderwijk@medmij</Zorgaanbiedernaam>");
    expect(xml.match(/<ResourceRequest>/g)).toHaveLength(28);
    expect(xml).not.toContain("<GegevensdienstId>5</GegevensdienstId>");

    const del = await b.request(`${pgo()}/api/collections/${collectionId}`, { method: "DELETE", headers: { "x-csrf-token": csrf } });
    expect(del.status).toBe(204);
    const after = await (await b.get(`${pgo()}/api/portabiliteitsrapport?van=${today}&tot=${today}`)).text();
    expect(validateXmlText(after, prSchema)).toMatchObject({ ok: true });
    expect(after).not.toContain("<Zorgaanbieder>");
    const gone = (await (await b.get(`${pgo()}/api/collections/${collectionId}`)).json()) as { resources: string[]; deletedAt: string | null };
    expect(gone.resources).toEqual([]);
    expect(gone.deletedAt).not.toBeNull();
  });

  it("AS-13: a PGO not recognised for a Gegevensdienst gets unauthorized_client back", async () => {
    const b = new NetBrowser(net);
    await b.post(`${net.base(HOSTS.dvpApp)}/login`, { person: "bakker" });
    const csrf = field(await (await b.get(`${net.base(HOSTS.dvpApp)}/`)).text(), "csrf");
    const start = await b.request(`${net.base(HOSTS.dvpApp)}/verzamelen`, {
      method: "POST",
      headers: { "content-type": "application/x-www-form-urlencoded", accept: "application/json" },
      body: new URLSearchParams({ csrf, zorgaanbieder: "umcharderwijk@medmij", gegevensdienst: "24" }).toString(),
    });
    // The JSON form of the start, for PGO apps: the app opens this URL in the Person's browser.
    const { authorizeUrl } = (await start.json()) as { authorizeUrl: string };
    expect(authorizeUrl.startsWith(`https://${HOSTS.umcharderwijk}/oauth/authorize?`)).toBe(true);
    const authorize = authorizeUrl.replace(`https://${HOSTS.umcharderwijk}`, net.base(HOSTS.umcharderwijk));
    const back = await b.get(authorize);
    const to = new URL(back.headers.get("location")!);
    expect(to.searchParams.get("error")).toBe("unauthorized_client");
    const done = await b.follow(back, authorize);
    expect(await done.final.text()).toContain("De zorgaanbieder kon de aanvraag niet afhandelen");
  });

  it("W-1/W-2: when the provider's host leaves the Whitelist, the PGO does not contact it", async () => {
    const { b, csrf } = await loggedIn("devries");
    const start = await b.post(`${pgo()}/verzamelen`, { csrf, zorgaanbieder: "umcharderwijk@medmij", gegevensdienst: "48" });
    const consent = await toConsent(b, start, `${pgo()}/verzamelen`, "999990020");
    // Registratie publishes a Whitelist without the provider; only the DVP refreshes before the callback.
    const wl = readFileSync(new URL("../../kv-seed/lists/MedMij_Whitelist.xml", import.meta.url), "utf8")
      .replace("<Volgnummer>2001</Volgnummer>", "<Volgnummer>2002</Volgnummer>")
      .replace(/<MedMijNode>\s*<Hostname>umcharderwijk\.zorgbridge\.localhost<\/Hostname>\s*<\/MedMijNode>/, "");
    const put = await net.browse(HOSTS.registratie, "/admin/lists/MedMij_Whitelist.xml", { method: "PUT", headers: { authorization: `Bearer ${net.adminToken}` }, body: wl });
    expect(put.status).toBe(201);
    await (await net.mf.getWorker("dvp-gezondheidskluis")).scheduled({ cron: "*/5 * * * *" });
    const done = await consentAndReturn(b, consent, "ja");
    expect(done.final.status).toBe(502);
    const list = (await (await b.get(`${pgo()}/api/collections`)).json()) as { outcome: string }[];
    expect(list[0]!.outcome).toBe("failed");
    const log = (await (await b.get(`${pgo()}/api/log`)).json()) as { entries: { action: string; outcome: string; requestIds: string[] }[] };
    const last = log.entries.filter((e) => e.action === "verzamelen").pop()!;
    expect(last.outcome).toMatch(/not on the Whitelist \(W-1\)/);
    // Nothing was sent: no MedMij-Request-ID was spent on the refused exchange.
    expect(last.requestIds).toEqual([]);
  });

  it("P-2: ending the service offers the Portabiliteitsrapport first, then erases the data but keeps the log (LOG-2)", async () => {
    const { b } = await loggedIn("bakker");
    const offer = await b.get(`${pgo()}/account/end`);
    const html = await offer.text();
    expect(html).toContain("download uw portabiliteitsrapport");
    expect(html).toContain('href="/api/portabiliteitsrapport?');
    const report = await b.get(`${pgo()}/api/portabiliteitsrapport?van=2000-01-01&tot=2100-01-01`);
    expect(validateXmlText(await report.text(), prSchema)).toMatchObject({ ok: true });
    const ended = await b.post(`${pgo()}/account/end`, { csrf: field(html, "csrf") });
    expect(ended.status).toBe(303);
    // The session is gone with the account.
    expect((await b.get(`${pgo()}/api/collections`)).status).toBe(401);
    const again = await loggedIn("bakker");
    expect(await (await again.b.get(`${pgo()}/api/collections`)).json()).toEqual([]);
    const log = (await (await again.b.get(`${pgo()}/api/log`)).json()) as { entries: { action: string }[] };
    expect(log.entries.map((e) => e.action)).toContain("beeindigen");
  });

  it("X-2: the PGO refuses an answer naming another authorization server, and redeems nothing", async () => {
    const { b, csrf } = await loggedIn("devries");
    const start = await b.post(`${pgo()}/verzamelen`, { csrf, zorgaanbieder: "umcharderwijk@medmij", gegevensdienst: "48" });
    const consent = await toConsent(b, start, `${pgo()}/verzamelen`, "999990020");
    const decided = await b.post(consent.url, { csrf: field(consent.html, "csrf"), decision: "ja" });
    const callback = new URL(decided.headers.get("location")!);
    // The AS names itself (RFC 9207); an attacker's AS in the middle would name another.
    expect(callback.searchParams.get("iss")).toBe(`https://${HOSTS.umcharderwijk}`);
    callback.searchParams.set("iss", `https://${HOSTS.ziekenhuisoost}`);
    const tokensBefore = net.events("token.issued").length + net.events("token.refused").length;
    const refused = await b.get(callback.href);
    expect(refused.status).toBe(400);
    expect(await refused.text()).toContain("komt niet van de zorgaanbieder waar u naartoe werd gestuurd");
    await new Promise((r) => setTimeout(r, 200));
    expect(net.events("token.issued").length + net.events("token.refused").length).toBe(tokensBefore);
    const list = (await (await b.get(`${pgo()}/api/collections`)).json()) as { outcome: string }[];
    expect(list[0]).toMatchObject({ outcome: "failed" });
  });
});
