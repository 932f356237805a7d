/**
 * The PGO's JSON API for its own app (issue 17 #4), over HTTP through the local network, as the README's curl
 * examples use it: the same session as the pages, X-CSRF-Token on every state-changing call (S-3), a collection
 * started with `Accept: application/json`, the collected data as FHIR Bundles, the Person's own measurements and
 * PDF/A documents, and what is refused.
 */
import { readFileSync } from "node:fs";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { HOSTS, startNetwork, type LocalNetwork } from "../../scripts/local-network.mjs";
import { NetBrowser, field } from "./browser.ts";

let net: LocalNetwork;
beforeAll(async () => {
  net = await startNetwork({ port: 0 });
}, 120_000);
afterAll(() => net?.dispose());

const pgo = () => net.base(HOSTS.dvpKluis);
const PDFA = (() => {
  const bundle = JSON.parse(readFileSync(new URL("../fixtures/nictiz/PDFA-3-0/MedMij/Cert/_reference/resources/medmij-pdfa-Bundle-kwalificatie1.json", import.meta.url), "utf8")) as { entry: { resource: { resourceType: string; content?: string } }[] };
  return Buffer.from(bundle.entry.find((e) => e.resource.resourceType === "Binary")!.resource.content!, "base64");
})();

async function session(person = "jansen"): Promise<{ b: NetBrowser; csrf: string }> {
  const b = new NetBrowser(net);
  await b.post(`${pgo()}/login`, { person });
  const s = (await (await b.get(`${pgo()}/api/sessie`)).json()) as { csrf: string; person: { naam: string } };
  return { b, csrf: s.csrf };
}

describe("issue 17 #4: the PGO's JSON API", () => {
  it("without a session: 401 JSON, never a page", async () => {
    const res = await new NetBrowser(net).get(`${pgo()}/api/gegevens`);
    expect(res.status).toBe(401);
    expect(res.headers.get("content-type")).toMatch(/^application\/json/);
  });

  it("a measurement: entered with the CSRF token, listed; without the token 403 and nothing stored", async () => {
    const { b, csrf } = await session("bakker");
    const body = JSON.stringify({ kind: "bloeddruk", systolic: "128", diastolic: "79", at: "2026-11-30T08:15" });
    const refused = await b.request(`${pgo()}/api/metingen`, { method: "POST", headers: { "content-type": "application/json" }, body });
    expect(refused.status).toBe(403);
    const made = await b.request(`${pgo()}/api/metingen`, { method: "POST", headers: { "content-type": "application/json", "x-csrf-token": csrf }, body });
    expect(made.status).toBe(201);
    expect(await made.json()).toMatchObject({ kind: "bloeddruk", values: [128, 79], at: "2026-11-30T08:15:00+01:00", sharedAt: null });
    const listed = (await (await b.get(`${pgo()}/api/metingen`)).json()) as { measurements: { values: number[] }[] };
    expect(listed.measurements.map((m) => m.values)).toEqual([[128, 79]]);
    const nonsense = await b.request(`${pgo()}/api/metingen`, { method: "POST", headers: { "content-type": "application/json", "x-csrf-token": csrf }, body: JSON.stringify({ kind: "bloeddruk", systolic: "80", diastolic: "120" }) });
    expect(nonsense.status).toBe(400);
  });

  it("a document: a PDF/A is kept and served back as a download; a PDF that is not PDF/A, or no PDF at all, is refused", async () => {
    const { b, csrf } = await session("devries");
    const post = (bytes: Buffer, type = "application/pdf") =>
      b.request(`${pgo()}/api/documenten?title=Ontslagbrief&type=11071000146104`, { method: "POST", headers: { "content-type": type, "x-csrf-token": csrf }, body: bytes as unknown as string });
    const made = await post(PDFA);
    expect(made.status).toBe(201);
    const { id } = (await made.json()) as { id: string };
    expect((await post(Buffer.from("%PDF-1.7\n%%EOF\n"))).status).toBe(422);
    expect((await post(Buffer.from("<html></html>"))).status).toBe(422);
    expect((await post(Buffer.from("%PDF-1.7"), "text/html")).status).toBe(415);
    const doc = await b.get(`${pgo()}/documenten/${id}`);
    expect([doc.status, doc.headers.get("content-type"), doc.headers.get("content-disposition")]).toEqual([200, "application/pdf", 'attachment; filename="Ontslagbrief.pdf"']);
    expect(doc.headers.get("content-security-policy")).toBe("default-src 'none'; frame-ancestors 'none'");
    expect(Buffer.from(await doc.arrayBuffer()).equals(PDFA)).toBe(true);
    // Another Person's session finds nothing under that id.
    const other = await session("jansen");
    expect((await other.b.get(`${pgo()}/documenten/${id}`)).status).toBe(404);
  });

  it("a collection started by the app (Accept: application/json), then its data as a FHIR collection Bundle", async () => {
    const { b, csrf } = await session("jansen");
    const start = await b.request(`${pgo()}/verzamelen`, {
      method: "POST",
      headers: { "content-type": "application/x-www-form-urlencoded", accept: "application/json", "x-csrf-token": csrf },
      body: new URLSearchParams({ zorgaanbieder: "umcharderwijk@medmij", gegevensdienst: "48" }).toString(),
    });
    expect(start.status).toBe(200);
    const { authorizeUrl } = (await start.json()) as { authorizeUrl: string };
    expect(new URL(authorizeUrl).searchParams.get("scope")).toBe("umcharderwijk~48");
    // The Person's browser (here: this one) goes there, logs in and consents.
    const url = authorizeUrl.replace(`https://${HOSTS.umcharderwijk}`, net.base(HOSTS.umcharderwijk));
    const toDigid = await b.follow(await b.get(url), url);
    const form = await toDigid.final.text();
    const back = await b.post(`${net.base(HOSTS.digid)}/login`, { bsn: "999990019", RelayState: field(form, "RelayState"), return: field(form, "return") });
    const consent = await b.follow(back, `${net.base(HOSTS.digid)}/login`);
    const decided = await b.post(consent.url, { csrf: field(await consent.final.text(), "csrf"), decision: "ja" });
    await b.follow(decided, consent.url);
    const data = (await (await b.get(`${pgo()}/api/gegevens?gegevensdienst=48`)).json()) as { collections: { zorgaanbieder: string; gegevensdienstId: string; bundle: { resourceType: string; type: string; entry: { resource: { resourceType: string } }[] } }[] };
    expect(data.collections).toHaveLength(1);
    expect(data.collections[0]).toMatchObject({ zorgaanbieder: "umcharderwijk@medmij", gegevensdienstId: "48", bundle: { resourceType: "Bundle", type: "collection" } });
    expect(data.collections[0]!.bundle.entry.map((e) => e.resource.resourceType)).toContain("Patient");
    expect(JSON.stringify(data)).not.toContain("999990019");
    // Without the CSRF token, the app cannot start anything.
    const refused = await b.request(`${pgo()}/verzamelen`, { method: "POST", headers: { "content-type": "application/x-www-form-urlencoded", accept: "application/json" }, body: new URLSearchParams({ zorgaanbieder: "umcharderwijk@medmij", gegevensdienst: "48" }).toString() });
    expect(refused.status).toBe(403);
  });
});
