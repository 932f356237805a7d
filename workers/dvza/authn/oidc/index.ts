/**
 * The OpenID Connect broker adapter (SPEC X-3): for DVZAs that reach DigiD through a broker (Keycloak,
 * commercial brokers, a DigiD-to-OIDC bridge). Authorization code flow with state (the session's relay),
 * nonce and PKCE S256 (NL GOV profile); the broker's RFC 9207 `iss` checked; the client authenticates
 * with private_key_jwt or client_secret_basic; the ID token (optionally a JWE) is verified with jose
 * against the broker's JWKS (cached per isolate, refetched on an unknown key id: rotation).
 * Nothing JOSE is hand-written here.
 */
import { compactDecrypt, createRemoteJWKSet, errors as joseErrors, jwtVerify, SignJWT, type JWTPayload } from "jose";
import { base64url } from "../../../shared/base64.ts";
import { bsnFrom } from "../../../shared/bsn.ts";
import { randomHandle, sha256 } from "../../../shared/crypto.ts";
import { BodyTooLargeError, readTextCapped } from "../../../shared/http/body.ts";
import type { Authenticator, AuthnContext, AuthnOutcome, AuthnPending, AuthnStart } from "../authenticator.ts";
import { relayParameter, single } from "../authenticator.ts";
import { atLeast, levelOf } from "../levels.ts";
import type { OidcSettings } from "./settings.ts";

/** At most 60 s between our clock and the broker's (SPEC X-3). */
const CLOCK_TOLERANCE_S = 60;
const DISCOVERY_TTL_MS = 3_600_000;
const MAX_RESPONSE_BYTES = 64 * 1024;

interface ProviderMetadata {
  readonly issuer: string;
  readonly authorizationEndpoint: string;
  readonly tokenEndpoint: string;
  readonly jwks: ReturnType<typeof createRemoteJWKSet>;
  /** RFC 9207 §3: the broker announced it always sends `iss`, so an answer without it is refused. */
  readonly issParameterSupported: boolean;
  readonly loadedAt: number;
}

class Unavailable extends Error {
  override readonly name = "Unavailable";
}

const discovered = new Map<string, ProviderMetadata>();

async function getJson(url: string, init: RequestInit, timeoutMs: number): Promise<{ status: number; body: Record<string, unknown> | undefined }> {
  let response: Response;
  try {
    response = await fetch(url, { ...init, redirect: "manual", signal: AbortSignal.timeout(timeoutMs) });
  } catch (e) {
    const name = (e as Error).name;
    throw new Unavailable(name === "TimeoutError" ? `no answer from ${new URL(url).host} within ${timeoutMs} ms` : `${new URL(url).host} unreachable (${name})`);
  }
  if (response.status >= 500) {
    await response.body?.cancel();
    throw new Unavailable(`${new URL(url).host} answered HTTP ${response.status}`);
  }
  try {
    const parsed: unknown = JSON.parse(await readTextCapped(response, MAX_RESPONSE_BYTES));
    return { status: response.status, body: parsed && typeof parsed === "object" && !Array.isArray(parsed) ? (parsed as Record<string, unknown>) : undefined };
  } catch (e) {
    if (e instanceof BodyTooLargeError) return { status: response.status, body: undefined };
    return { status: response.status, body: undefined };
  }
}

const httpsString = (v: unknown): string | undefined => {
  if (typeof v !== "string") return undefined;
  try {
    return new URL(v).protocol === "https:" ? v : undefined;
  } catch {
    return undefined;
  }
};

/** OpenID Connect Discovery 1.0 §4, cached per isolate; the document's issuer must be ours exactly (§4.3). */
async function providerMetadata(s: OidcSettings): Promise<ProviderMetadata> {
  const hit = discovered.get(s.issuer);
  if (hit && Date.now() - hit.loadedAt < DISCOVERY_TTL_MS) return hit;
  const url = `${s.issuer.replace(/\/$/, "")}/.well-known/openid-configuration`;
  const { status, body } = await getJson(url, { headers: { accept: "application/json" } }, s.timeoutMs);
  if (status !== 200 || !body) throw new Unavailable(`discovery answered HTTP ${status}`);
  const authorizationEndpoint = httpsString(body.authorization_endpoint);
  const tokenEndpoint = httpsString(body.token_endpoint);
  const jwksUri = httpsString(body.jwks_uri);
  if (body.issuer !== s.issuer || !authorizationEndpoint || !tokenEndpoint || !jwksUri) throw new Unavailable("the discovery document is not this issuer's, or lacks https endpoints");
  const meta: ProviderMetadata = {
    issuer: s.issuer,
    authorizationEndpoint,
    tokenEndpoint,
    jwks: createRemoteJWKSet(new URL(jwksUri), { cooldownDuration: s.jwksCooldownMs, cacheMaxAge: 600_000, timeoutDuration: s.timeoutMs }),
    issParameterSupported: body.authorization_response_iss_parameter_supported === true,
    loadedAt: Date.now(),
  };
  discovered.set(s.issuer, meta);
  return meta;
}

async function clientAuthentication(s: OidcSettings, tokenEndpoint: string): Promise<{ headers: Record<string, string>; params: Record<string, string> }> {
  if (s.auth.method === "client_secret_basic") {
    // RFC 6749 §2.3.1: both parts form-urlencoded before the Basic encoding.
    const enc = (v: string) => encodeURIComponent(v).replace(/%20/g, "+");
    return { headers: { authorization: `Basic ${btoa(`${enc(s.clientId)}:${enc(s.auth.secret)}`)}` }, params: {} };
  }
  // RFC 7523 §3 / OIDC Core §9: a short-lived, single-use JWT signed with the client's key.
  const assertion = await new SignJWT({})
    .setProtectedHeader({ alg: s.auth.alg, ...(s.auth.kid ? { kid: s.auth.kid } : {}), typ: "JWT" })
    .setIssuer(s.clientId)
    .setSubject(s.clientId)
    .setAudience(tokenEndpoint)
    .setJti(randomHandle())
    .setIssuedAt()
    .setExpirationTime("60s")
    .sign(s.auth.key);
  return { headers: {}, params: { client_id: s.clientId, client_assertion_type: "urn:ietf:params:oauth:client-assertion-type:jwt-bearer", client_assertion: assertion } };
}

export class OidcAuthenticator implements Authenticator {
  constructor(private readonly s: OidcSettings) {}

  async start(ctx: AuthnContext): Promise<AuthnStart> {
    const meta = await providerMetadata(this.s);
    const nonce = randomHandle();
    const codeVerifier = randomHandle();
    const url = new URL(meta.authorizationEndpoint);
    const params: Record<string, string> = {
      response_type: "code",
      client_id: this.s.clientId,
      redirect_uri: ctx.returnUrl,
      scope: this.s.scope,
      state: ctx.relay,
      nonce,
      code_challenge: base64url(await sha256(codeVerifier)),
      code_challenge_method: "S256",
    };
    if (this.s.acrValues) params.acr_values = this.s.acrValues;
    for (const [k, v] of Object.entries(params)) url.searchParams.set(k, v);
    const redirect = new Response(null, { status: 302, headers: { location: url.href, "cache-control": "no-store", "referrer-policy": "no-referrer" } });
    return { redirect, pending: { nonce, codeVerifier } };
  }

  relayOf(request: Request): string | undefined {
    return relayParameter(request, "state");
  }

  async complete(request: Request, pending: AuthnPending, ctx: AuthnContext): Promise<AuthnOutcome> {
    try {
      return await this.completeOrThrow(request, pending, ctx);
    } catch (e) {
      if (e instanceof Unavailable) return { ok: false, kind: "unavailable", reason: e.message };
      throw e;
    }
  }

  private async completeOrThrow(request: Request, pending: AuthnPending, ctx: AuthnContext): Promise<AuthnOutcome> {
    const refused = (reason: string): AuthnOutcome => ({ ok: false, kind: "refused", reason });
    const { nonce, codeVerifier } = pending;
    if (!nonce || !codeVerifier) return refused("the session holds no OIDC request");
    const meta = await providerMetadata(this.s);
    const url = new URL(request.url);
    // RFC 9207 §2.4: the answer must come from the broker we sent the Person to (mix-up defence).
    const iss = single(url, "iss");
    if (iss !== undefined ? iss !== meta.issuer : meta.issParameterSupported) return refused("the authorization response's iss is not the configured broker");
    const error = single(url, "error");
    if (error !== undefined) return { ok: false, kind: "idp-status", reason: `broker error ${error.replace(/[^\x20-\x7e]/g, "?").slice(0, 60)}` };
    const code = single(url, "code");
    if (!code) return refused("no authorization code in the broker's answer");

    const auth = await clientAuthentication(this.s, meta.tokenEndpoint);
    const { status, body } = await getJson(
      meta.tokenEndpoint,
      {
        method: "POST",
        headers: { "content-type": "application/x-www-form-urlencoded", accept: "application/json", ...auth.headers },
        body: new URLSearchParams({ grant_type: "authorization_code", code, redirect_uri: ctx.returnUrl, code_verifier: codeVerifier, ...auth.params }).toString(),
      },
      this.s.timeoutMs,
    );
    if (status !== 200 || !body) return refused(`the token request was refused (HTTP ${status}${typeof body?.error === "string" ? ` ${body.error.slice(0, 40)}` : ""})`);
    if (typeof body.id_token !== "string") return refused("the token response holds no id_token");

    let jws = body.id_token;
    const encrypted = jws.split(".").length === 5;
    if (this.s.decryptionKey) {
      if (!encrypted) return refused("the ID token is not encrypted, though this deployment requires it");
      try {
        jws = new TextDecoder().decode((await compactDecrypt(jws, this.s.decryptionKey)).plaintext);
      } catch (e) {
        return refused(`the ID token cannot be decrypted (${(e as Error).name})`);
      }
    } else if (encrypted) {
      return refused("the ID token is encrypted but no decryption key is configured");
    }

    let claims: JWTPayload;
    try {
      // jose refuses alg "none" and symmetric algorithms against a JWKS; iss, aud, exp, iat checked here.
      ({ payload: claims } = await jwtVerify(jws, meta.jwks, {
        issuer: meta.issuer,
        audience: this.s.clientId,
        clockTolerance: CLOCK_TOLERANCE_S,
        maxTokenAge: "10m",
        requiredClaims: ["iss", "aud", "exp", "iat", "sub", "nonce"],
        algorithms: ["RS256", "PS256", "ES256", "RS384", "PS384", "ES384", "RS512", "PS512", "ES512", "EdDSA"],
      }));
    } catch (e) {
      if (e instanceof joseErrors.JWKSTimeout) throw new Unavailable("the broker's JWKS did not answer in time");
      return refused(`the ID token does not verify (${(e as { code?: string }).code ?? (e as Error).name})`);
    }
    if (claims.nonce !== nonce) return refused("the ID token's nonce is not this session's");
    // OIDC Core §3.1.3.7: several audiences need an azp naming us.
    if (Array.isArray(claims.aud) && claims.aud.length > 1 && claims.azp !== this.s.clientId) return refused("the ID token has several audiences and no matching azp");
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
