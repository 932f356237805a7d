/**
 * An OpenID Connect relying party's client settings, read from vars and secrets and checked once (SPEC X-3 for
 * the DVZA's broker, X-9 for the PGO's own provider). The names are the same in every worker that uses them:
 *
 *   OIDC_ISSUER                       the provider's issuer; its discovery document is read from there
 *   OIDC_CLIENT_ID                    this worker's client_id at the provider
 *   OIDC_CLIENT_AUTH                  private_key_jwt (default) | client_secret_basic
 *   OIDC_CLIENT_PRIVATE_KEY           secret, private_key_jwt: PKCS#8 PEM; OIDC_CLIENT_KEY_ALG (RS256, PS256, ES256)
 *                                     and OIDC_CLIENT_KEY_ID (the kid the provider knows) go with it
 *   OIDC_CLIENT_SECRET                secret, client_secret_basic
 *   OIDC_ID_TOKEN_DECRYPTION_KEY      secret, optional: PKCS#8 PEM; ID tokens must then arrive as JWE
 *                                     (OIDC_ID_TOKEN_ENC_ALG, default RSA-OAEP-256)
 *   OIDC_SCOPE                        default "openid"
 *   OIDC_TIMEOUT_MS, OIDC_JWKS_COOLDOWN_MS   bounds on the provider calls and on JWKS refetching
 *
 * A bad setting is a reason (prefixed `oidc:`), never a fallback.
 */
import { importPKCS8 } from "jose";
import type { Configured } from "../configured.ts";

export interface OidcClientEnv {
  readonly OIDC_ISSUER?: string;
  readonly OIDC_CLIENT_ID?: string;
  readonly OIDC_CLIENT_AUTH?: string;
  readonly OIDC_CLIENT_PRIVATE_KEY?: string;
  readonly OIDC_CLIENT_KEY_ALG?: string;
  readonly OIDC_CLIENT_KEY_ID?: string;
  readonly OIDC_CLIENT_SECRET?: string;
  readonly OIDC_ID_TOKEN_DECRYPTION_KEY?: string;
  readonly OIDC_ID_TOKEN_ENC_ALG?: string;
  readonly OIDC_SCOPE?: string;
  readonly OIDC_TIMEOUT_MS?: string;
  readonly OIDC_JWKS_COOLDOWN_MS?: string;
}

export type ClientAuth = { readonly method: "private_key_jwt"; readonly key: CryptoKey; readonly alg: string; readonly kid: string | undefined } | { readonly method: "client_secret_basic"; readonly secret: string };

export interface OidcClientSettings {
  readonly issuer: string;
  readonly clientId: string;
  readonly auth: ClientAuth;
  readonly decryptionKey: CryptoKey | undefined;
  readonly scope: string;
  readonly timeoutMs: number;
  readonly jwksCooldownMs: number;
}

const SIGNING_ALGS = new Set(["RS256", "PS256", "ES256", "RS384", "PS384", "ES384", "RS512", "PS512", "ES512"]);
const ENC_ALGS = new Set(["RSA-OAEP", "RSA-OAEP-256", "RSA-OAEP-384", "RSA-OAEP-512"]);

/** The configuration text the settings are made of: a cache key (values stay in memory, never logged). */
export function oidcClientConfigKey(env: OidcClientEnv): string[] {
  return [
    env.OIDC_ISSUER, env.OIDC_CLIENT_ID, env.OIDC_CLIENT_AUTH, env.OIDC_CLIENT_PRIVATE_KEY, env.OIDC_CLIENT_KEY_ALG, env.OIDC_CLIENT_KEY_ID,
    env.OIDC_CLIENT_SECRET, env.OIDC_ID_TOKEN_DECRYPTION_KEY, env.OIDC_ID_TOKEN_ENC_ALG, env.OIDC_SCOPE, env.OIDC_TIMEOUT_MS, env.OIDC_JWKS_COOLDOWN_MS,
  ].map((v) => v ?? "\u0000");
}

function bounded(value: string | undefined, fallback: number, min: number, max: number): number | undefined {
  const n = Number(value ?? fallback);
  return Number.isInteger(n) && n >= min && n <= max ? n : undefined;
}

export async function loadOidcClient(env: OidcClientEnv): Promise<Configured<OidcClientSettings>> {
  const fail = (reason: string): Configured<OidcClientSettings> => ({ ok: false, reason: `oidc: ${reason}` });
  let issuer: URL;
  try {
    issuer = new URL(env.OIDC_ISSUER ?? "");
  } catch {
    return fail("OIDC_ISSUER is not a URL");
  }
  if (issuer.protocol !== "https:" || issuer.search !== "" || issuer.hash !== "") return fail("OIDC_ISSUER must be an https URL without query or fragment");
  if (!env.OIDC_CLIENT_ID) return fail("OIDC_CLIENT_ID is not set");
  const timeoutMs = bounded(env.OIDC_TIMEOUT_MS, 10_000, 100, 60_000);
  const jwksCooldownMs = bounded(env.OIDC_JWKS_COOLDOWN_MS, 30_000, 0, 3_600_000);
  if (timeoutMs === undefined || jwksCooldownMs === undefined) return fail("OIDC_TIMEOUT_MS or OIDC_JWKS_COOLDOWN_MS is out of range");

  let auth: ClientAuth;
  const method = env.OIDC_CLIENT_AUTH ?? "private_key_jwt";
  if (method === "private_key_jwt") {
    const alg = env.OIDC_CLIENT_KEY_ALG ?? "RS256";
    if (!SIGNING_ALGS.has(alg)) return fail(`OIDC_CLIENT_KEY_ALG '${alg}' is not an asymmetric JWS algorithm`);
    if (!env.OIDC_CLIENT_PRIVATE_KEY) return fail("OIDC_CLIENT_PRIVATE_KEY is not set (private_key_jwt)");
    try {
      auth = { method, alg, kid: env.OIDC_CLIENT_KEY_ID || undefined, key: await importPKCS8(env.OIDC_CLIENT_PRIVATE_KEY, alg) };
    } catch (e) {
      return fail(`OIDC_CLIENT_PRIVATE_KEY cannot be imported for ${alg} (${(e as Error).message})`);
    }
  } else if (method === "client_secret_basic") {
    if (!env.OIDC_CLIENT_SECRET) return fail("OIDC_CLIENT_SECRET is not set (client_secret_basic)");
    auth = { method, secret: env.OIDC_CLIENT_SECRET };
  } else {
    return fail(`OIDC_CLIENT_AUTH '${method}' is not private_key_jwt or client_secret_basic`);
  }

  let decryptionKey: CryptoKey | undefined;
  if (env.OIDC_ID_TOKEN_DECRYPTION_KEY) {
    const alg = env.OIDC_ID_TOKEN_ENC_ALG ?? "RSA-OAEP-256";
    if (!ENC_ALGS.has(alg)) return fail(`OIDC_ID_TOKEN_ENC_ALG '${alg}' is not RSA-OAEP`);
    try {
      decryptionKey = await importPKCS8(env.OIDC_ID_TOKEN_DECRYPTION_KEY, alg);
    } catch (e) {
      return fail(`OIDC_ID_TOKEN_DECRYPTION_KEY cannot be imported for ${alg} (${(e as Error).message})`);
    }
  }
  const scope = env.OIDC_SCOPE ?? "openid";
  if (!scope.split(" ").includes("openid")) return fail("OIDC_SCOPE must include openid");
  return { ok: true, value: { issuer: env.OIDC_ISSUER!, clientId: env.OIDC_CLIENT_ID, auth, decryptionKey, scope, timeoutMs, jwksCooldownMs } };
}
