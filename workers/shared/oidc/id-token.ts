/**
 * The ID token check (OIDC Core §3.1.3.7), with jose only: optionally a JWE first, then the signature against
 * the provider's JWKS (jose refuses alg "none" and symmetric algorithms against a JWKS), `iss`, `aud`, `exp`,
 * `iat` with 60 s clock tolerance, `nonce` (the one this login sent), and `azp` when there are several audiences.
 */
import { compactDecrypt, errors as joseErrors, jwtVerify, type JWTPayload } from "jose";
import { OidcUnavailable, type ProviderMetadata } from "./provider.ts";
import type { OidcClientSettings } from "./settings.ts";

/** At most 60 s between our clock and the provider's (SPEC X-3). */
export const CLOCK_TOLERANCE_S = 60;

const ALGORITHMS = ["RS256", "PS256", "ES256", "RS384", "PS384", "ES384", "RS512", "PS512", "ES512", "EdDSA"];

export type IdTokenCheck = { readonly ok: true; readonly claims: JWTPayload } | { readonly ok: false; readonly reason: string };

export async function verifyIdToken(s: OidcClientSettings, meta: ProviderMetadata, idToken: string, nonce: string, peer = "provider"): Promise<IdTokenCheck> {
  const refused = (reason: string): IdTokenCheck => ({ ok: false, reason });
  let jws = idToken;
  const encrypted = jws.split(".").length === 5;
  if (s.decryptionKey) {
    if (!encrypted) return refused("the ID token is not encrypted, though this deployment requires it");
    try {
      jws = new TextDecoder().decode((await compactDecrypt(jws, s.decryptionKey)).plaintext);
    } catch (e) {
      return refused(`the ID token cannot be decrypted (${(e as Error).name})`);
    }
  } else if (encrypted) {
    return refused("the ID token is encrypted but no decryption key is configured");
  }

  let claims: JWTPayload;
  try {
    ({ payload: claims } = await jwtVerify(jws, meta.jwks, {
      issuer: meta.issuer,
      audience: s.clientId,
      clockTolerance: CLOCK_TOLERANCE_S,
      maxTokenAge: "10m",
      requiredClaims: ["iss", "aud", "exp", "iat", "sub", "nonce"],
      algorithms: ALGORITHMS,
    }));
  } catch (e) {
    if (e instanceof joseErrors.JWKSTimeout) throw new OidcUnavailable(`the ${peer}'s JWKS did not answer in time`);
    return refused(`the ID token does not verify (${(e as { code?: string }).code ?? (e as Error).name})`);
  }
  if (claims.nonce !== nonce) return refused("the ID token's nonce is not this session's");
  // OIDC Core §3.1.3.7: several audiences need an azp naming us.
  if (Array.isArray(claims.aud) && claims.aud.length > 1 && claims.azp !== s.clientId) return refused("the ID token has several audiences and no matching azp");
  return { ok: true, claims };
}
