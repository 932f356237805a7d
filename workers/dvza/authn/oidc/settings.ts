/**
 * The OpenID Connect broker adapter's configuration (SPEC X-3; NL GOV Assurance profile for OpenID
 * Connect), checked once per isolate. The relying party's client settings are workers/shared/oidc/settings.ts
 * (shared with the PGO's login, X-9); these add DigiD's:
 *
 *   OIDC_ISSUER                       the broker's issuer; its discovery document is read from there
 *   OIDC_CLIENT_ID                    this AS's client_id at the broker
 *   OIDC_CLIENT_AUTH                  private_key_jwt (default) | client_secret_basic
 *   OIDC_CLIENT_PRIVATE_KEY           secret, private_key_jwt: PKCS#8 PEM; OIDC_CLIENT_KEY_ALG (RS256, PS256, ES256)
 *                                     and OIDC_CLIENT_KEY_ID (the kid the broker knows) go with it
 *   OIDC_CLIENT_SECRET                secret, client_secret_basic
 *   OIDC_ID_TOKEN_DECRYPTION_KEY      secret, optional: PKCS#8 PEM; ID tokens must then arrive as JWE
 *                                     (OIDC_ID_TOKEN_ENC_ALG, default RSA-OAEP-256)
 *   OIDC_SCOPE                        default "openid"
 *   OIDC_BSN_CLAIM                    the claim holding the BSN (default "sub"); bare or s00000000:<BSN>
 *   OIDC_ACR_VALUES                   acr_values to request (default: DigiD's class reference of the minimum)
 *   AUTHN_MIN_LEVEL                   shared with the SAML adapter
 *   OIDC_TIMEOUT_MS, OIDC_JWKS_COOLDOWN_MS   bounds on the broker calls and on JWKS refetching
 */
import { loadOidcClient, oidcClientConfigKey, type OidcClientEnv, type OidcClientSettings } from "../../../shared/oidc/settings.ts";
import { DIGID_CLASS_REF, minimumLevel, type Level } from "../levels.ts";
import type { Configured } from "../digid-saml/settings.ts";

export interface OidcEnv extends OidcClientEnv {
  readonly OIDC_BSN_CLAIM?: string;
  readonly OIDC_ACR_VALUES?: string;
  readonly AUTHN_MIN_LEVEL?: string;
}

export interface OidcSettings extends OidcClientSettings {
  readonly bsnClaim: string;
  readonly acrValues: string;
  readonly minimumLevel: Level;
}

let cached: { key: string; result: Promise<Configured<OidcSettings>> } | undefined;

export function oidcSettings(env: OidcEnv): Promise<Configured<OidcSettings>> {
  const key = JSON.stringify([...oidcClientConfigKey(env), env.OIDC_BSN_CLAIM, env.OIDC_ACR_VALUES, env.AUTHN_MIN_LEVEL]);
  if (cached?.key !== key) cached = { key, result: load(env) };
  return cached.result;
}

async function load(env: OidcEnv): Promise<Configured<OidcSettings>> {
  const level = minimumLevel(env.AUTHN_MIN_LEVEL);
  if (!level) return { ok: false, reason: `oidc: AUTHN_MIN_LEVEL '${env.AUTHN_MIN_LEVEL}' is not basis, midden, substantieel or hoog` };
  const client = await loadOidcClient(env);
  if (!client.ok) return client;
  return { ok: true, value: { ...client.value, bsnClaim: env.OIDC_BSN_CLAIM || "sub", acrValues: env.OIDC_ACR_VALUES ?? DIGID_CLASS_REF[level], minimumLevel: level } };
}
