/**
 * The end-to-end run in a real headless Chromium (Debian's, driven by playwright-core): a Person logs
 * in at the PGO, starts Verzamelen, logs in at the DigiD simulator, gives consent (AS-1) and sees the
 * collected data per zib (issue 17); then shares a measurement and a document (Delen, AS-2). Screenshots of
 * every view go to test-results/.
 * Chromium resolves *.localhost to loopback by itself, so it talks to `npm run simulate`'s network
 * exactly as a developer's browser would.
 */
import { mkdirSync, readFileSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import type { Browser, Page } from "playwright-core";
import { afterAll, beforeAll, expect, it } from "vitest";
import { HOSTS, startNetwork, type LocalNetwork } from "../../scripts/local-network.mjs";
import { loadNictiz } from "../../scripts/nictiz-load.mjs";
import { launchChromium } from "./launch.ts";

let net: LocalNetwork;
let browser: Browser;
const SHOTS = new URL("../../test-results/", import.meta.url);
const PDFA = join(tmpdir(), `medmij-edge-ontslagbrief-${process.pid}.pdf`);

beforeAll(async () => {
  mkdirSync(SHOTS, { recursive: true });
  net = await startNetwork({ port: 0 });
  // Nictiz's qualification patients and their data at umcharderwijk, as `npm run simulate` has them.
  await loadNictiz({ baseUrl: `${net.base(HOSTS.operatorZorgbridge)}/umcharderwijk/fhir`, operatorToken: net.operatorToken, fetch: net.fetch });
  // A PDF/A document to upload: the one Nictiz's PDF/A send scenario 3.1 carries.
  const bundle = JSON.parse(readFileSync(new URL("../fixtures/nictiz/PDFA-3-0/MedMij/Cert/_reference/resources/medmij-pdfa-Bundle-kwalificatie1.json", import.meta.url), "utf8")) as { entry: { resource: { resourceType: string; content?: string } }[] };
  writeFileSync(PDFA, Buffer.from(bundle.entry.find((e) => e.resource.resourceType === "Binary")!.resource.content!, "base64"));
  browser = await launchChromium();
}, 120_000);

afterAll(async () => {
  await browser?.close();
  await net?.dispose();
});

async function shot(page: Page, name: string): Promise<void> {
  await page.screenshot({ path: new URL(`${name}.png`, SHOTS).pathname, fullPage: true });
}

/** At the DigiD simulator as `bsn`, then "Ja" at the provider: back at the PGO on the collection's page. */
async function digidAndConsent(page: Page, bsn: string, yes: RegExp): Promise<void> {
  await page.waitForURL(new RegExp(`^http://${HOSTS.digid.replace(/\./g, "\\.")}:\\d+/login`));
  await page.selectOption("#bsn", bsn);
  await page.getByRole("button", { name: "Inloggen" }).click();
  await page.waitForURL(/\/oauth\/consent$/);
  await page.getByRole("button", { name: yes }).click();
  await page.waitForURL(/\/collections\/[0-9a-f-]{36}$/);
}

/** Verzamelen from the dashboard (optionally with the collect form's choice), for the qualification patient `bsn`. */
async function collect(page: Page, gd: string, bsn: string, choose?: (form: ReturnType<Page["locator"]>) => Promise<void>): Promise<void> {
  await page.goto(`${net.base(HOSTS.dvpKluis)}/`);
  const form = page.locator('section[aria-label="umcharderwijk@medmij"] form[action="/verzamelen"]').filter({ has: page.locator(`input[name="gegevensdienst"][value="${gd}"]`) });
  if (choose) await choose(form);
  await form.getByRole("button").click();
  await digidAndConsent(page, bsn, /Ja, ik geef toestemming/);
}

it("a Person collects a BgZ, lab results, documents and self measurements, sees them per zib, and shares a measurement and a PDF/A document", async () => {
  const context = await browser.newContext({ viewport: { width: 1280, height: 900 }, acceptDownloads: true });
  const page = await context.newPage();
  const violations: string[] = [];
  page.on("console", (m) => {
    if (/Content Security Policy|Refused to/.test(m.text())) violations.push(m.text());
  });
  const pgo = net.base(HOSTS.dvpKluis);

  await page.goto(`${pgo}/`);
  await page.selectOption("#person", "jansen");
  await page.getByRole("button", { name: "Inloggen" }).click();
  await expect.poll(() => page.textContent("h1")).toBe("Welkom, Johan Jansen");

  // BgZ of Nictiz's qualification patient XXX_Helleman (fed into the provider's store through its operator feed).
  await page.locator('section[aria-label="umcharderwijk@medmij"]').getByRole("button", { name: "Verzamelen: Basisgegevens Zorg" }).click();
  await page.waitForURL(new RegExp(`^http://${HOSTS.digid.replace(/\./g, "\\.")}:\\d+/login`));
  await shot(page, "1-digid-simulator");
  await page.selectOption("#bsn", "999911120");
  await page.getByRole("button", { name: "Inloggen" }).click();
  await page.waitForURL(/\/oauth\/consent$/);
  expect(await page.textContent("#vraag")).toBe(
    "U verleent hierbij 'umcharderwijk@medmij' toestemming om 'Basisgegevens Zorg' uit te wisselen met 'Gezondheidskluis & Co' voor het doel deze (persoons)gegevens en gezondheidsinformatie in uw persoonlijke gezondheidsomgeving op te nemen.",
  );
  await shot(page, "2-toestemming");
  await page.getByRole("button", { name: "Ja, ik geef toestemming" }).click();
  await page.waitForURL(/\/collections\/[0-9a-f-]{36}$/);
  await expect.poll(() => page.textContent("h1")).toBe("Opgehaald bij umcharderwijk@medmij");
  await shot(page, "3-opgehaald-bgz");
  // The values the Person sees: who they are and their huisarts, a blood pressure with its date, a medication's dose.
  expect(await page.textContent("#zib-patient")).toContain("XXX_Helleman");
  expect(await page.textContent("#zib-patient")).toContain("van Partners");
  expect(await page.locator("main").textContent()).toContain("108/56 mmHg");
  expect(await page.locator("main").textContent()).toContain("1 maal per dag 1 tablet");
  expect(await page.locator("main svg").count()).toBeGreaterThan(0);

  // Laboratory results: a table with units, ranges and the out-of-range flag in words.
  await collect(page, "24", "999910450");
  expect(await page.locator("main").textContent()).toMatch(/te (hoog|laag)/);
  await shot(page, "11-labresultaten");

  // Documents: listed, each opened as the PDF itself (a download, or inline under a CSP allowing nothing else).
  await collect(page, "51", "999910796");
  const links = page.locator('a[href*="/binary/"]');
  expect(await links.count()).toBeGreaterThan(0);
  await shot(page, "12-documenten-opgehaald");
  // The download link: Chromium saves the PDF itself.
  const download = page.waitForEvent("download");
  await page.locator('a[href*="/binary/"]:not([href*="weergave=inline"])').first().click();
  const saved = await (await download).path();
  expect(readFileSync(saved!).subarray(0, 5).toString()).toBe("%PDF-");
  // The inline view: the PDF under a CSP that lets nothing else load or run (the same session's cookie).
  const inline = await page.locator('a[href*="weergave=inline"]').first().getAttribute("href");
  const cookie = (await context.cookies(pgo)).map((c) => `${c.name}=${c.value}`).join("; ");
  const pdf = await net.fetch(new URL(inline!, pgo).href, { headers: { cookie } });
  expect([pdf.status, pdf.headers.get("content-type"), pdf.headers.get("content-disposition")?.split(";")[0]]).toEqual([200, "application/pdf", "inline"]);
  expect(pdf.headers.get("content-security-policy")).toBe("default-src 'none'; frame-ancestors 'none'");
  expect(new TextDecoder().decode((await pdf.arrayBuffer()).slice(0, 5))).toBe("%PDF-");

  // Self measurements, only the blood pressures, chosen on the collect form.
  await collect(page, "1005", "999911302", async (form) => {
    await form.locator("summary").click();
    await form.locator('input[name="soort"][value="bloeddruk"]').check();
  });
  expect(await page.locator("main svg").count()).toBeGreaterThan(0);
  await shot(page, "13-zelfmetingen-opgehaald");

  // Everything together, per zib, each item with its source.
  await page.goto(`${pgo}/gegevens`);
  expect(await page.locator("main").textContent()).toContain("Bron");
  await shot(page, "14-mijn-gezondheidsgegevens");

  // Delen: the Person enters a blood pressure, sees it in their chart, and shares it.
  await page.goto(`${pgo}/metingen`);
  await page.fill("#invoer-bloeddruk-systolic", "128");
  await page.fill("#invoer-bloeddruk-diastolic", "79");
  await page.locator('form:has(input[name="kind"][value="bloeddruk"])').getByRole("button", { name: "Opslaan" }).click();
  await page.waitForURL(/\/metingen$/);
  expect(await page.locator("main").textContent()).toContain("128/79");
  await shot(page, "15-mijn-metingen");
  const share = page.locator('form[action="/delen"]').filter({ has: page.locator('input[name="zorgaanbieder"][value="umcharderwijk@medmij"]') });
  await share.locator('input[name="m"]').first().check();
  await share.getByRole("button").click();
  await digidAndConsent(page, "999990019", /Ja, ik bevestig/);
  await expect.poll(() => page.textContent("h1")).toBe("Gedeeld met umcharderwijk@medmij");
  await shot(page, "4-gedeeld");

  // Delen of a document: the Person uploads a PDF/A (Nictiz's own) and shares it.
  await page.goto(`${pgo}/documenten`);
  await page.setInputFiles("#document-bestand", PDFA);
  await page.fill("#document-titel", "Ontslagbrief cardiologie");
  await page.getByRole("button", { name: "Toevoegen" }).click();
  await page.waitForURL(/\/documenten$/);
  expect(await page.locator("main").textContent()).toContain("Ontslagbrief cardiologie");
  await shot(page, "16-mijn-documenten");
  const shareDoc = page.locator('form[action="/delen"]').filter({ has: page.locator('input[name="zorgaanbieder"][value="umcharderwijk@medmij"]') });
  await shareDoc.locator('input[name="d"]').first().check();
  await shareDoc.getByRole("button").click();
  await digidAndConsent(page, "999990019", /Ja, ik bevestig/);
  await expect.poll(() => page.textContent("h1")).toBe("Gedeeld met umcharderwijk@medmij");
  await shot(page, "17-document-gedeeld");

  // The pages ran under their strict CSP without a single violation.
  expect(violations).toEqual([]);
  await context.close();
}, 240_000);

/**
 * SPEC X-3: the same Verzamelen in Chromium with a production adapter: DigiD SAML (the test IdP) and an
 * OpenID Connect broker (node-oidc-provider), each on its own local network.
 */
for (const authn of ["digid-saml", "oidc"] as const) {
  it(`Verzamelen in Chromium through the ${authn} adapter`, async () => {
    const other = await startNetwork({ port: 0, authn });
    try {
      const context = await browser.newContext();
      const page = await context.newPage();
      await page.goto(`${other.base(HOSTS.dvpKluis)}/`);
      await page.selectOption("#person", "devries");
      await page.getByRole("button", { name: "Inloggen" }).click();
      await page.locator('section[aria-label="umcharderwijk@medmij"]').getByRole("button", { name: "Verzamelen: Basisgegevens Zorg" }).click();
      const idpHost = authn === "digid-saml" ? "digid-idp.medmij.localhost" : "oidc-broker.medmij.localhost";
      await page.waitForURL(new RegExp(`^http://${idpHost.replace(/\./g, "\\.")}:\\d+/`));
      await shot(page, `5-${authn}-login`);
      await page.selectOption("#bsn", "999990020");
      await page.getByRole("button", { name: "Inloggen" }).click();
      await page.waitForURL(/\/oauth\/consent$/);
      expect(await page.textContent("#vraag")).toContain("toestemming om 'Basisgegevens Zorg' uit te wisselen met 'Gezondheidskluis & Co'");
      await page.getByRole("button", { name: "Ja, ik geef toestemming" }).click();
      await page.waitForURL(/\/collections\/[0-9a-f-]{36}$/);
      expect(await page.textContent("#zib-patient")).toContain("de Vries");
      await shot(page, `6-${authn}-opgehaald`);
      await context.close();
    } finally {
      await other.dispose();
    }
  }, 120_000);
}

