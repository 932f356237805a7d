/** Front-channel helpers: an authorization request, a browser that reaches the DigiD simulator, the run to the consent page. */
import { env } from "cloudflare:test";
import { expect } from "vitest";
import type { Env } from "../../../workers/dvza/env.ts";
import { DVP_KLUIS, UMC_HOST } from "../../helpers/network.ts";
import { Browser, formField, location } from "../../helpers/browser.ts";

export const dvzaEnv = env as unknown as Env & { DIGID_SIM: Fetcher };
export const DIGID = "digid.medmij.localhost";
export const REDIRECT = `https://${DVP_KLUIS}/oauth/callback`;
export const AUTHORIZE = `https://${UMC_HOST}/oauth/authorize`;

export function authorizeUrl(params: Record<string, string | undefined>, base = AUTHORIZE): string {
  const defaults: Record<string, string> = { response_type: "code", client_id: DVP_KLUIS, redirect_uri: REDIRECT, scope: "umcharderwijk~48", state: "s-123" };
  const q = new URLSearchParams();
  for (const [k, v] of Object.entries({ ...defaults, ...params })) if (v !== undefined) q.append(k, v);
  return `${base}?${q}`;
}

export function browser(): Browser {
  return new Browser({ [DIGID]: dvzaEnv.DIGID_SIM });
}

/** authorize -> DigiD simulator -> back to the AS -> consent page. */
export async function toConsent(b: Browser, url = authorizeUrl({}), bsn = "999990019"): Promise<{ page: Response; html: string }> {
  const toDigid = await b.get(url);
  expect(toDigid.status).toBe(302);
  const login = location(toDigid);
  expect(new URL(login).host).toBe(DIGID);
  const form = await (await b.get(login)).text();
  const back = await b.post(`https://${DIGID}/login`, { bsn, RelayState: formField(form, "RelayState")!, return: formField(form, "return")! });
  const toConsentPage = await b.get(location(back));
  expect(location(toConsentPage)).toBe("/oauth/consent");
  const page = await b.get(`https://${new URL(url).host}/oauth/consent`);
  return { page, html: await page.clone().text() };
}

export async function decide(b: Browser, html: string, decision: "ja" | "nee", host = UMC_HOST): Promise<Response> {
  return b.post(`https://${host}/oauth/consent`, { csrf: formField(html, "csrf")!, decision });
}

