/**
 * The end-to-end run in a real headless Chromium (Debian's, driven by playwright-core): a Person logs
 * in at the PGO, starts Verzamelen, logs in at the DigiD simulator, gives consent (AS-1) and sees the
 * collected data; then shares a measurement (Delen, AS-2). Screenshots go to test-results/.
 * Chromium resolves *.localhost to loopback by itself, so it talks to `npm run simulate`'s network
 * exactly as a developer's browser would.
 */
import { mkdirSync } from "node:fs";
import type { Browser, Page } from "playwright-core";
import { afterAll, beforeAll, expect, it } from "vitest";
import { HOSTS, startNetwork, type LocalNetwork } from "../../scripts/local-network.mjs";
import { launchChromium } from "./launch.ts";

let net: LocalNetwork;
let browser: Browser;
const SHOTS = new URL("../../test-results/", import.meta.url);

beforeAll(async () => {
  mkdirSync(SHOTS, { recursive: true });
  net = await startNetwork({ port: 0 });
  browser = await launchChromium();
}, 120_000);

afterAll(async () => {
  await browser?.close();
  await net?.dispose();
});

async function shot(page: Page, name: string): Promise<void> {
  await page.screenshot({ path: new URL(`${name}.png`, SHOTS).pathname, fullPage: true });
}

it("a Person clicks through PGO login, DigiD, consent, and sees the collected data; then shares a measurement", async () => {
  const context = await browser.newContext();
  const page = await context.newPage();
  const violations: string[] = [];
  page.on("console", (m) => {
    if (/Content Security Policy|Refused to/.test(m.text())) violations.push(m.text());
  });

  await page.goto(`${net.base(HOSTS.dvpKluis)}/`);
  await page.selectOption("#person", "jansen");
  await page.getByRole("button", { name: "Inloggen" }).click();
  await expect.poll(() => page.textContent("h1")).toBe("Welkom, Johan Jansen");

  await page.locator('section[aria-label="umcharderwijk@medmij"]').getByRole("button", { name: "Verzamelen: Basisgegevens Zorg" }).click();
  await page.waitForURL(new RegExp(`^http://${HOSTS.digid.replace(/\./g, "\\.")}:\\d+/login`));
  await shot(page, "1-digid-simulator");
  await page.selectOption("#bsn", "999990019");
  await page.getByRole("button", { name: "Inloggen" }).click();

  await page.waitForURL(/\/oauth\/consent$/);
  const question = await page.textContent("#vraag");
  expect(question).toBe(
    "U verleent hierbij 'umcharderwijk@medmij' toestemming om 'Basisgegevens Zorg' uit te wisselen met 'Gezondheidskluis & Co' voor het doel deze (persoons)gegevens en gezondheidsinformatie in uw persoonlijke gezondheidsomgeving op te nemen.",
  );
  await shot(page, "2-toestemming");
  await page.getByRole("button", { name: "Ja, ik geef toestemming" }).click();

  await page.waitForURL(/\/collections\/[0-9a-f-]{36}$/);
  await expect.poll(() => page.textContent("h1")).toBe("Opgehaald bij umcharderwijk@medmij");
  const listed = await page.locator("li").allTextContents();
  expect(listed).toContain("Patient/pat-jansen");
  await shot(page, "3-opgehaald");

  // Delen: a blood pressure measurement to the same provider.
  await page.goto(`${net.base(HOSTS.dvpKluis)}/`);
  const delen = page.locator('section[aria-label="umcharderwijk@medmij"] form[action="/delen"]');
  await delen.locator('input[name="systolic"]').fill("128");
  await delen.locator('input[name="diastolic"]').fill("79");
  await delen.getByRole("button", { name: "Bloeddruk delen" }).click();
  await page.waitForURL(/\/login\?/);
  await page.getByRole("button", { name: "Inloggen" }).click();
  await page.waitForURL(/\/oauth\/consent$/);
  expect(await page.textContent("#vraag")).toContain("U bevestigt hierbij dat 'Gezondheidskluis & Co' 'Meetwaarden vitale functies'");
  await page.getByRole("button", { name: "Ja, ik bevestig" }).click();
  await page.waitForURL(/\/collections\//);
  await expect.poll(() => page.textContent("h1")).toBe("Gedeeld met umcharderwijk@medmij");
  await shot(page, "4-gedeeld");

  // The pages ran under their strict CSP without a single violation.
  expect(violations).toEqual([]);
  await context.close();
}, 120_000);

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
      expect(await page.locator("li").allTextContents()).toContain("Patient/pat-devries");
      await shot(page, `6-${authn}-opgehaald`);
      await context.close();
    } finally {
      await other.dispose();
    }
  }, 120_000);
}

