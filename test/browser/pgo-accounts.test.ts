/**
 * SPEC X-9: the PGO's own accounts, clicked through in a real headless Chromium (Debian's, playwright-core).
 * Passkeys come from Chromium's virtual authenticator (CDP WebAuthn.addVirtualAuthenticator: CTAP2, resident
 * keys, user verification), an implementation independent of the DVP's verifier; the PGO's own OpenID Connect
 * provider is node-oidc-provider (test/peers/pgo-idp.mjs). Screenshots go to test-results/.
 */
import { mkdirSync } from "node:fs";
import type { Browser, BrowserContext, CDPSession, Page } from "playwright-core";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { HOSTS, startNetwork, type LocalNetwork } from "../../scripts/local-network.mjs";
import { launchChromium } from "./launch.ts";

let net: LocalNetwork;
let browser: Browser;
const SHOTS = new URL("../../test-results/", import.meta.url);
const pgo = () => net.base(HOSTS.dvpKluis);

beforeAll(async () => {
  mkdirSync(SHOTS, { recursive: true });
  net = await startNetwork({ port: 0, pgoIdp: true });
  browser = await launchChromium();
}, 120_000);

afterAll(async () => {
  await browser?.close();
  await net?.dispose();
});

interface VirtualCredential {
  credentialId: string;
  isResidentCredential: boolean;
  rpId: string;
  privateKey: string;
  userHandle: string;
  signCount: number;
}

/** A page with WebAuthn's virtual environment switched on, and a record of CSP violations. */
async function pgoPage(): Promise<{ context: BrowserContext; page: Page; cdp: CDPSession; violations: string[] }> {
  const context = await browser.newContext();
  const page = await context.newPage();
  const violations: string[] = [];
  page.on("console", (m) => {
    if (/Content Security Policy|Refused to|Trusted Type/.test(m.text())) violations.push(m.text());
  });
  const cdp = await context.newCDPSession(page);
  await cdp.send("WebAuthn.enable", { enableUI: false });
  return { context, page, cdp, violations };
}

/** A platform authenticator that verifies its user (a fingerprint, a PIN) and keeps discoverable credentials. */
async function authenticator(cdp: CDPSession, transport: "internal" | "usb" = "internal"): Promise<string> {
  const { authenticatorId } = await cdp.send("WebAuthn.addVirtualAuthenticator", {
    options: { protocol: "ctap2", ctap2Version: "ctap2_1", transport, hasResidentKey: true, hasUserVerification: true, isUserVerified: true, automaticPresenceSimulation: true },
  });
  return authenticatorId;
}

async function credentials(cdp: CDPSession, authenticatorId: string): Promise<VirtualCredential[]> {
  return ((await cdp.send("WebAuthn.getCredentials", { authenticatorId })) as { credentials: VirtualCredential[] }).credentials;
}

async function shot(page: Page, name: string): Promise<void> {
  await page.screenshot({ path: new URL(`${name}.png`, SHOTS).pathname, fullPage: true });
}

/** The PGO's JSON API with the browser's session cookie, through the front door (Node does not resolve *.localhost). */
async function api(context: BrowserContext, path: string): Promise<Response> {
  const cookie = (await context.cookies(pgo())).map((c) => `${c.name}=${c.value}`).join("; ");
  return net.fetch(`${pgo()}${path}`, { headers: { cookie } });
}

const heading = (page: Page) => page.textContent("h1");
const status = (page: Page, form: string) => page.locator(`form[data-finish="${form}"] [role=status]`);

async function logOut(page: Page): Promise<void> {
  await page.goto(`${pgo()}/`);
  await page.getByRole("button", { name: "Uitloggen" }).click();
  await expect.poll(() => heading(page)).toBe("Inloggen bij Gezondheidskluis & Co");
}

async function logInWithPasskey(page: Page): Promise<void> {
  await page.getByRole("button", { name: "Passkey gebruiken" }).click();
}

describe("X-9: passkeys", () => {
  it("register, log in, collect, log out, log in again; add a second passkey, remove the first, which then no longer logs in", async () => {
    const { context, page, cdp, violations } = await pgoPage();
    const phone = await authenticator(cdp);

    // Register: a new account with a passkey (user verification required, a discoverable credential).
    await page.goto(`${pgo()}/`);
    await shot(page, "7-pgo-inloggen");
    await page.fill("#naam", "Sanne Visser");
    await page.getByRole("button", { name: "Account aanmaken met passkey" }).click();
    await expect.poll(() => heading(page), { timeout: 15_000 }).toBe("Welkom, Sanne Visser");
    const [created] = await credentials(cdp, phone);
    expect(created).toMatchObject({ rpId: HOSTS.dvpKluis, isResidentCredential: true });
    // The user handle is the opaque account id (32 random bytes), nothing personal.
    const accountId = Buffer.from(created!.userHandle, "base64").toString("base64url");
    expect(accountId).toMatch(/^[A-Za-z0-9_-]{43}$/);

    // Collect: Verzamelen at umcharderwijk through the DigiD simulator and consent, as the account.
    await page.locator('section[aria-label="umcharderwijk@medmij"]').getByRole("button", { name: "Verzamelen: Basisgegevens Zorg" }).click();
    await page.waitForURL(new RegExp(`^http://${HOSTS.digid.replace(/\./g, "\\.")}:\\d+/login`));
    await page.selectOption("#bsn", "999990019");
    await page.getByRole("button", { name: "Inloggen" }).click();
    await page.waitForURL(/\/oauth\/consent$/);
    await page.getByRole("button", { name: "Ja, ik geef toestemming" }).click();
    await page.waitForURL(/\/collections\/[0-9a-f-]{36}$/);
    expect(await page.textContent("#zib-patient")).toContain("Jansen");

    // Log out, log in again with the passkey: the same account, its collection still there.
    await logOut(page);
    await logInWithPasskey(page);
    await expect.poll(() => heading(page), { timeout: 15_000 }).toBe("Welkom, Sanne Visser");
    expect(await page.locator("table").first().textContent()).toContain("umcharderwijk@medmij");
    const log = (await (await api(context, "/api/log")).json()) as { person: string; entries: { action: string }[] };
    expect(log.person).toBe(accountId);
    expect(log.entries.map((e) => e.action)).toEqual(["login", "verzamelen", "login"]);
    await shot(page, "8-passkey-dashboard");

    // A second passkey, on another authenticator (a security key): the first one is out of reach meanwhile.
    const [phoneCopy] = await credentials(cdp, phone);
    await cdp.send("WebAuthn.removeVirtualAuthenticator", { authenticatorId: phone });
    const key = await authenticator(cdp, "usb");
    await page.getByRole("link", { name: "Passkeys beheren" }).click();
    await expect.poll(() => heading(page)).toBe("Uw passkeys");
    expect(await page.locator("tbody tr").count()).toBe(1);
    // The only passkey cannot be removed: recovery is by a second passkey only.
    expect(await page.getByRole("button", { name: "Verwijderen" }).count()).toBe(0);
    await page.getByRole("button", { name: "Passkey toevoegen" }).click();
    await expect.poll(() => page.locator("tbody tr").count(), { timeout: 15_000 }).toBe(2);
    await shot(page, "9-twee-passkeys");

    // Remove the first (the phone's): the security key alone logs in now.
    await page.getByRole("button", { name: "Passkey 1 verwijderen" }).click();
    await expect.poll(() => page.locator("tbody tr").count()).toBe(1);
    await logOut(page);
    await logInWithPasskey(page);
    await expect.poll(() => heading(page), { timeout: 15_000 }).toBe("Welkom, Sanne Visser");

    // The phone comes back (its credential restored): it was removed from the account, so it is refused.
    await logOut(page);
    await cdp.send("WebAuthn.removeVirtualAuthenticator", { authenticatorId: key });
    const restored = await authenticator(cdp);
    await cdp.send("WebAuthn.addCredential", { authenticatorId: restored, credential: phoneCopy! });
    await logInWithPasskey(page);
    await expect.poll(() => status(page, "/passkey/login").textContent(), { timeout: 15_000 }).toBe("Dat is niet gelukt. Probeer het opnieuw.");
    expect(await heading(page)).toBe("Inloggen bij Gezondheidskluis & Co");
    await cdp.send("WebAuthn.removeVirtualAuthenticator", { authenticatorId: restored });

    expect(violations).toEqual([]);
    await context.close();
  }, 120_000);

  it("a cloned authenticator (the same key with a stale counter) is refused; the original keeps working", async () => {
    const { context, page, cdp, violations } = await pgoPage();
    const original = await authenticator(cdp);
    await page.goto(`${pgo()}/`);
    await page.fill("#naam", "Lotte de Boer");
    await page.getByRole("button", { name: "Account aanmaken met passkey" }).click();
    await expect.poll(() => heading(page), { timeout: 15_000 }).toBe("Welkom, Lotte de Boer");
    await logOut(page);
    await logInWithPasskey(page);
    await expect.poll(() => heading(page), { timeout: 15_000 }).toBe("Welkom, Lotte de Boer");
    const [used] = await credentials(cdp, original);
    expect(used!.signCount).toBeGreaterThan(1);

    // The clone: the same private key and credential on another authenticator, its counter behind.
    await logOut(page);
    await cdp.send("WebAuthn.removeVirtualAuthenticator", { authenticatorId: original });
    const clone = await authenticator(cdp);
    await cdp.send("WebAuthn.addCredential", { authenticatorId: clone, credential: { ...used!, signCount: 0 } });
    await logInWithPasskey(page);
    await expect.poll(() => status(page, "/passkey/login").textContent(), { timeout: 15_000 }).toBe("Dat is niet gelukt. Probeer het opnieuw.");
    await expect.poll(() => net.events("passkey.refused").some((e) => /cloned authenticator/.test(String(e.reason)))).toBe(true);
    await cdp.send("WebAuthn.removeVirtualAuthenticator", { authenticatorId: clone });

    // The original, counter ahead, still logs in.
    const back = await authenticator(cdp);
    await cdp.send("WebAuthn.addCredential", { authenticatorId: back, credential: used! });
    await page.reload();
    await logInWithPasskey(page);
    await expect.poll(() => heading(page), { timeout: 15_000 }).toBe("Welkom, Lotte de Boer");
    expect(violations).toEqual([]);
    await context.close();
  }, 120_000);

  it("P-2: ending the service offers the report, then deletes the account: its passkey no longer logs in", async () => {
    const { context, page, cdp } = await pgoPage();
    const phone = await authenticator(cdp);
    await page.goto(`${pgo()}/`);
    await page.fill("#naam", "Noor Bakker");
    await page.getByRole("button", { name: "Account aanmaken met passkey" }).click();
    await expect.poll(() => heading(page), { timeout: 15_000 }).toBe("Welkom, Noor Bakker");
    await page.getByRole("link", { name: "Dienst beëindigen" }).click();
    expect(await page.textContent("main")).toContain("download uw portabiliteitsrapport");
    expect(await page.textContent("main")).toContain("uw account, uw passkeys en al uw gegevens");
    const report = await api(context, "/api/portabiliteitsrapport?van=2000-01-01&tot=2100-01-01");
    expect(report.status).toBe(200);
    expect(await report.text()).toContain("<Deelnemer>");
    await page.getByRole("button", { name: "Ja, beëindig de dienst en verwijder mijn gegevens" }).click();
    await expect.poll(() => heading(page)).toBe("Inloggen bij Gezondheidskluis & Co");
    // The passkey is still on the phone, but its account is gone.
    expect(await credentials(cdp, phone)).toHaveLength(1);
    await logInWithPasskey(page);
    await expect.poll(() => status(page, "/passkey/login").textContent(), { timeout: 15_000 }).toBe("Dat is niet gelukt. Probeer het opnieuw.");
    await context.close();
  }, 120_000);
});

describe("X-9: the PGO's own OpenID Connect provider", () => {
  it("logs a Person in through node-oidc-provider; the account is theirs on every later login", async () => {
    const { context, page, violations } = await pgoPage();
    await page.goto(`${pgo()}/`);
    await page.getByRole("button", { name: "Doorgaan met Gezondheidskluis ID" }).click();
    await page.waitForURL(new RegExp(`^http://login\\.gezondheidskluis\\.localhost:\\d+/`));
    await shot(page, "10-pgo-oidc-login");
    await page.selectOption("#account", "gk-0b44de17");
    await page.getByRole("button", { name: "Inloggen" }).click();
    await expect.poll(() => heading(page), { timeout: 15_000 }).toBe("Welkom, Karim El Amrani");
    const first = ((await (await api(context, "/api/log")).json()) as { person: string }).person;
    expect(first).toMatch(/^[A-Za-z0-9_-]{43}$/);
    await logOut(page);
    await page.getByRole("button", { name: "Doorgaan met Gezondheidskluis ID" }).click();
    // The provider remembers its session: straight back, as the same account.
    await expect.poll(() => heading(page), { timeout: 15_000 }).toBe("Welkom, Karim El Amrani");
    expect(((await (await api(context, "/api/log")).json()) as { person: string }).person).toBe(first);
    expect(violations).toEqual([]);
    await context.close();
  }, 120_000);
});
