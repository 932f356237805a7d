/**
 * How a Person's authentication at an identity provider can fail, the same for every adapter (DigiD SAML, an
 * OIDC broker at a DVZA, the PGO's own OpenID Connect provider; SPEC ).
 *
 * `idp-status`: the identity provider answered that the Person did not authenticate (cancelled, failed).
 * `refused`: the answer is invalid, forged, expired or replayed. `unavailable`: the identity provider could
 * not be reached in time. The reason goes to our log only and never holds personal data.
 */
export type AuthnFailure = { readonly ok: false; readonly kind: "idp-status" | "refused" | "unavailable"; readonly reason: string };
