/**
 * Which authenticator a deployment uses (AUTHENTICATOR = digid-saml | oidc | digid-sim; SPEC S-6, X-3).
 * The answer is a configured adapter or a reason: the endpoints then log the reason and show a 503 page,
 * never fall back to another way of authenticating. The DigiD simulator is refused whenever
 * DEPLOYMENT_ENV is staging or production.
 */
import type { Env } from "../env.ts";
import type { Authenticator } from "./authenticator.ts";
import { DigidSamlAuthenticator } from "./digid-saml/index.ts";
import { samlSettings } from "./digid-saml/settings.ts";
import { DigidSimAuthenticator } from "./digid-sim.ts";
import { OidcAuthenticator } from "./oidc/index.ts";
import { oidcSettings } from "./oidc/settings.ts";

export type AuthenticatorChoice = { ok: true; authenticator: Authenticator } | { ok: false; reason: string };

const PRODUCTION_LIKE: ReadonlySet<string> = new Set(["staging", "production"]);

export async function authenticatorFor(env: Env): Promise<AuthenticatorChoice> {
  switch (env.AUTHENTICATOR) {
    case "digid-saml": {
      const s = await samlSettings(env);
      return s.ok ? { ok: true, authenticator: new DigidSamlAuthenticator(s.value) } : s;
    }
    case "oidc": {
      const s = await oidcSettings(env);
      return s.ok ? { ok: true, authenticator: new OidcAuthenticator(s.value) } : s;
    }
    case "digid-sim": {
      if (PRODUCTION_LIKE.has(env.DEPLOYMENT_ENV ?? "")) return { ok: false, reason: `the DigiD simulator is refused in ${env.DEPLOYMENT_ENV} (X-3)` };
      if (!env.DIGID_SIM_URL) return { ok: false, reason: "digid-sim: DIGID_SIM_URL is not set" };
      const binding = env.DIGID_SIM;
      return { ok: true, authenticator: new DigidSimAuthenticator(env.DIGID_SIM_URL, binding ? (r) => binding.fetch(r) : (r) => fetch(r)) };
    }
    default:
      return { ok: false, reason: `no authenticator '${env.AUTHENTICATOR ?? ""}' (use digid-saml, oidc or digid-sim)` };
  }
}
