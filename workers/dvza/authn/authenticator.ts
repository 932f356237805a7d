/**
 * The boundary to the Dienstverlener authenticatie (SPEC §1, S-6): how the AS learns who the Person is.
 *
 * A production adapter speaks DigiD's SAML interface (artifact binding: the browser brings back an
 * artifact, the AS resolves it over a mutually authenticated back channel) or its CGI interface.
 * `start` sends the Person away with a one-time relay value; `complete` turns what the Person brings
 * back into a subject. The relay ties the answer to the session that asked (AuthorizationSessions).
 */
export type AuthnResult = { ok: true; subject: string; relay: string } | { ok: false; reason: string };

export interface Authenticator {
  /** The response that sends the Person's browser to the identity provider. */
  start(relay: string, returnUrl: string): Response;
  /** Read the identity provider's answer from the return request (GET /oauth/authn/return). */
  complete(request: Request): Promise<AuthnResult>;
}
