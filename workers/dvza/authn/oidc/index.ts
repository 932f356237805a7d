/**
 * The OpenID Connect broker adapter (SPEC X-3): for DVZAs that reach DigiD through a broker (Keycloak,
 * commercial brokers, a DigiD-to-OIDC bridge). The relying party itself (discovery, state + nonce + PKCE S256,
 * the broker's RFC 9207 `iss`, private_key_jwt or client_secret_basic, the ID token verified with jose against
 * the broker's JWKS) is workers/shared/oidc/, shared with the PGO's own login. What is DigiD's stays
 * here: the level of assurance (`acr`) and the BSN claim with its eleven-test.
 */
import { bsnFrom } from "../../../shared/bsn.ts";
import { authorizationRequest, completeAuthorization } from "../../../shared/oidc/code-flow.ts";
import type { Authenticator, AuthnContext, AuthnOutcome, AuthnPending, AuthnStart } from "../authenticator.ts";
import { relayParameter } from "../authenticator.ts";
import { atLeast, levelOf } from "../levels.ts";
import type { OidcSettings } from "./settings.ts";

export class OidcAuthenticator implements Authenticator {
  constructor(private readonly s: OidcSettings) {}

  async start(ctx: AuthnContext): Promise<AuthnStart> {
    const { url, pending } = await authorizationRequest(this.s, { redirectUri: ctx.returnUrl, state: ctx.relay, extra: this.s.acrValues ? { acr_values: this.s.acrValues } : {} });
    const redirect = new Response(null, { status: 302, headers: { location: url, "cache-control": "no-store", "referrer-policy": "no-referrer" } });
    return { redirect, pending: { nonce: pending.nonce, codeVerifier: pending.codeVerifier } };
  }

  relayOf(request: Request): string | undefined {
    return relayParameter(request, "state");
  }

  async complete(request: Request, pending: AuthnPending, ctx: AuthnContext): Promise<AuthnOutcome> {
    const refused = (reason: string): AuthnOutcome => ({ ok: false, kind: "refused", reason });
    const outcome = await completeAuthorization(this.s, new URL(request.url), pending, { redirectUri: ctx.returnUrl, peer: "broker" });
    if (!outcome.ok) return outcome;
    const claims = outcome.claims;
    const level = typeof claims.acr === "string" ? levelOf(claims.acr) : undefined;
    if (!level) return refused("the ID token's acr is missing or not a known level");
    if (!atLeast(level, this.s.minimumLevel)) return refused(`authenticated at level ${level}, below the minimum ${this.s.minimumLevel}`);
    const raw = claims[this.s.bsnClaim];
    const bsn = typeof raw === "string" ? bsnFrom(raw, { allowBare: true }) : undefined;
    // Never the value itself in a reason: it may be a BSN.
    if (!bsn) return refused(`the ID token's ${this.s.bsnClaim} claim is not a BSN passing the eleven-test`);
    return { ok: true, subject: bsn };
  }
}
