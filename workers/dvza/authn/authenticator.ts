/**
 * The boundary to the Dienstverlener authenticatie (SPEC §1, S-6, X-3): how the AS learns who the Person is.
 *
 * `start` sends the Person to the identity provider with the session's one-time relay value, and returns
 * what the adapter must remember until the Person comes back (`pending`: a SAML AuthnRequest ID, an OIDC
 * nonce and PKCE verifier). The session stores it and hands it back exactly once: the return endpoint
 * first takes the session out of its authenticating phase (so a replayed answer finds nothing), then
 * calls `complete` with it.
 */
import type { AuthnFailure } from "../../shared/authn.ts";
import { single } from "../../shared/http/params.ts";

export type AuthnPending = Readonly<Record<string, string>>;

export interface AuthnStart {
  /** The response that sends the Person's browser to the identity provider. */
  readonly redirect: Response;
  readonly pending: AuthnPending;
}

export type AuthnOutcome = { readonly ok: true; readonly subject: string } | AuthnFailure;

export interface AuthnContext {
  /** The one-time relay value tying the answer to the session (SAML RelayState, OIDC state). */
  readonly relay: string;
  /** This host's return endpoint: https://<host>/oauth/authn/return. */
  readonly returnUrl: string;
  /**
   * Single use of what the identity provider asserted (SAML assertion IDs): true the first time an ID is
   * presented, false for a replay. Remembered until `expiresAt`. Only `complete` uses it.
   */
  readonly useOnce?: (id: string, expiresAt: number) => Promise<boolean>;
}

export interface Authenticator {
  start(ctx: AuthnContext): Promise<AuthnStart>;
  /** The relay value in the identity provider's answer, before anything else is read from it. */
  relayOf(request: Request): string | undefined;
  /** Read and verify the identity provider's answer; `pending` is what `start` returned for this session. */
  complete(request: Request, pending: AuthnPending, ctx: AuthnContext): Promise<AuthnOutcome>;
}

const RELAY = /^[A-Za-z0-9_-]{43}$/;

export { single };

/** A relay value as this AS draws them (randomHandle: 43 base64url characters). */
export function relayParameter(request: Request, name: string): string | undefined {
  const v = single(new URL(request.url), name);
  return v !== undefined && RELAY.test(v) ? v : undefined;
}
