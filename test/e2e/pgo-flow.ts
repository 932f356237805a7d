/**
 * A Person at the PGO "Gezondheidskluis & Co" through the whole network, step by step (login, the hand-off to the
 * provider, DigiD, consent, the way back), and the full flow's tests on top of them: Verzamelen (BgZ), Delen (a
 * measurement), the NEN 7513 log and the Portabiliteitsrapport. Shared by the network in workerd
 * (network.test.ts) and the network on Deno (deno-network.test.ts), which must pass the very same assertions.
 */
import { expect, it } from "vitest";
import { readFileSync } from "node:fs";
import { HOSTS, type LocalNetwork } from "../../scripts/local-network.mjs";
import { compileSchema, validateXmlText } from "../../workers/shared/xsd/index.ts";
import { NetBrowser, field } from "./browser.ts";

/** What the steps need of a network: its front door. */
export type FrontDoor = Pick<LocalNetwork, "fetch" | "base">;

/** FhirStore.search on one provider's store at a DVZA deployment, however the network reaches it. */
export type StoreSearch = (deployment: string, zorgaanbieder: string, scope: unknown, query: unknown) => Promise<{ matches: { text: string }[] }>;

/** The Portabiliteitsrapport's schema (P-1). */
export const prSchema = compileSchema(readFileSync(new URL("../../xsd/medmij-edge/MedMij_Portabiliteitsrapport.xsd", import.meta.url), "utf8"));

/** The steps, on the network `net()` returns (started in a beforeAll). */
export function pgoSteps(net: () => FrontDoor) {
  const pgo = () => net().base(HOSTS.dvpKluis);

  async function loggedIn(person = "jansen"): Promise<{ b: NetBrowser; csrf: string }> {
    const b = new NetBrowser(net());
    const login = await b.post(`${pgo()}/login`, { person });
    expect(login.status).toBe(303);
    const home = await b.get(`${pgo()}/`);
    return { b, csrf: field(await home.text(), "csrf") };
  }

  /** The hand-off page's Refresh: where the PGO sends the Person's browser. */
  async function handoffTarget(start: Response, startUrl: string): Promise<string> {
    expect(start.status).toBe(200);
    await start.body?.cancel();
    const m = /^0;url=(.+)$/.exec(start.headers.get("refresh") ?? "");
    expect(m).not.toBeNull();
    return new URL(m![1]!, startUrl).href;
  }

  /** From the PGO's button to the consent page at the provider; returns the consent page. */
  async function toConsent(b: NetBrowser, start: Response, startUrl: string, bsn: string): Promise<{ html: string; url: string }> {
    const authorize = await handoffTarget(start, startUrl);
    expect(authorize.startsWith(`${net().base(HOSTS.umcharderwijk)}/oauth/authorize?`)).toBe(true);
    // AS-15: the state is random and carries no URI.
    const state = new URL(authorize).searchParams.get("state")!;
    expect(state).toMatch(/^[A-Za-z0-9_-]{43}$/);
    const toDigid = await b.follow(await b.get(authorize), authorize);
    expect(toDigid.url.startsWith(`${net().base(HOSTS.digid)}/login?`)).toBe(true);
    const loginForm = await toDigid.final.text();
    const loggedIn = await b.post(`${net().base(HOSTS.digid)}/login`, { bsn, RelayState: field(loginForm, "RelayState"), return: field(loginForm, "return") });
    const consent = await b.follow(loggedIn, `${net().base(HOSTS.digid)}/login`);
    expect(consent.url).toBe(`${net().base(HOSTS.umcharderwijk)}/oauth/consent`);
    return { html: await consent.final.text(), url: consent.url };
  }

  async function consentAndReturn(b: NetBrowser, consent: { html: string; url: string }, decision: "ja" | "nee"): Promise<{ final: Response; url: string }> {
    const decided = await b.post(consent.url, { csrf: field(consent.html, "csrf"), decision });
    expect(decided.status).toBe(302);
    expect(decided.headers.get("location")!.startsWith(`${pgo()}/oauth/callback?`)).toBe(true);
    return b.follow(decided, consent.url);
  }

  return { pgo, loggedIn, handoffTarget, toConsent, consentAndReturn };
}

/**
 * The full flow's tests, in this order (each builds on the one before): G-1/AS-1 Verzamelen of BgZ, G-1/AS-2 Delen of
 * a blood pressure, LOG-1 the log of both, P-1/P-3/P-4 the Portabiliteitsrapport. Jansen's runs only: other tests
 * of the same network may use the other Persons in between.
 */
export function fullFlowTests(net: () => FrontDoor, searchStore: StoreSearch): void {
  const { pgo, loggedIn, toConsent, consentAndReturn } = pgoSteps(net);
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
    const query = { type: "Observation", clauses: [], includes: [], revincludes: [], count: 100, offset: 0, sort: [], lastn: undefined, applied: [], ignored: [] };
    const found = await searchStore("dvza-zorgbridge", "umcharderwijk@medmij", { person: "999990019", types: ["Observation"], restrict: {} }, query);
    const stored = found.matches.map((m) => JSON.parse(m.text) as { subject?: { reference: string }; component?: { valueQuantity: { value: number } }[] });
    expect(stored.map((o) => o.component?.map((c) => c.valueQuantity.value))).toContainEqual([131, 84]);
    // Bound to the Person's own Patient at the provider.
    expect(stored.find((o) => o.component?.[0]?.valueQuantity.value === 131)?.subject?.reference).toBe("Patient/pat-jansen");
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
}
