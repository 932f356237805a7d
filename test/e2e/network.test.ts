/**
 * The whole local MedMij network end to end over HTTP (issue: DVP, NEN 7513 log, Portabiliteitsrapport):
 * a Person at the PGO "Gezondheidskluis & Co" collects (Verzamelen) and shares (Delen) data with
 * umcharderwijk@medmij: PGO -> authorize -> DigiD simulator -> consent -> callback -> token over
 * mTLS -> FHIR. Every hop is a real worker in workerd (Miniflare), as `npm run simulate` runs them. The full flow's
 * tests (Verzamelen, Delen, log, report) are test/e2e/pgo-flow.ts's, which the network on Deno passes too.
 */
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { HOSTS, startNetwork, type LocalNetwork } from "../../scripts/local-network.mjs";
import { validateXmlText } from "../../workers/shared/xsd/index.ts";
import { readFileSync } from "node:fs";
import { NetBrowser, field } from "./browser.ts";
import { fullFlowTests, pgoSteps, prSchema } from "./pgo-flow.ts";

let net: LocalNetwork;

beforeAll(async () => {
  net = await startNetwork({ port: 0 });
}, 120_000);
afterAll(async () => net?.dispose());

const { pgo, loggedIn, handoffTarget, toConsent, consentAndReturn } = pgoSteps(() => net);

describe("Verzamelen and Delen across the whole network", () => {
  // G-1 Verzamelen, G-1 Delen, LOG-1, P-1/P-3/P-4; the FhirStore read in place through Miniflare.
  fullFlowTests(
    () => net,
    async (deployment, zorgaanbieder, scope, query) => {
      const ns = await net.mf.getDurableObjectNamespace("FHIR", deployment);
      const store = ns.get(ns.idFromName(zorgaanbieder)) as unknown as { search(scope: unknown, query: unknown): Promise<{ matches: { text: string }[] }> };
      return store.search(scope, query);
    },
  );

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
