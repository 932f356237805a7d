/**
 * The authorization code flow of an OpenID Connect relying party (SPEC X-3, X-9): the request carries state
 * (the caller's one-time relay value), nonce and PKCE S256; the answer's RFC 9207 `iss` must name the provider
 * (mix-up defence); the code is exchanged with the PKCE verifier and client authentication; the ID token is
 * verified (id-token.ts). What the caller then makes of the claims (a BSN, an account) is the caller's.
 */
import type { JWTPayload } from "jose";
import type { AuthnFailure } from "../authn.ts";
import { base64url, randomHandle, sha256 } from "../crypto.ts";
import { single } from "../http/params.ts";
import { clientAuthentication } from "./client-auth.ts";
import { verifyIdToken } from "./id-token.ts";
import { getJson, OidcUnavailable, providerMetadata } from "./provider.ts";
import type { OidcClientSettings } from "./settings.ts";

/** What the relying party keeps, bound to the browser, until the Person comes back. */
export interface OidcPending {
  readonly nonce: string;
  readonly codeVerifier: string;
}

/** The verified ID token's claims, or why not (the reason never holds a claim's value). */
export type OidcOutcome = { readonly ok: true; readonly claims: JWTPayload } | AuthnFailure;

/** Throws OidcUnavailable when the provider's discovery cannot be read. */
export async function authorizationRequest(s: OidcClientSettings, o: { redirectUri: string; state: string; extra?: Readonly<Record<string, string>> }): Promise<{ url: string; pending: OidcPending }> {
  const meta = await providerMetadata(s);
  const nonce = randomHandle();
  const codeVerifier = randomHandle();
  const url = new URL(meta.authorizationEndpoint);
  const params: Record<string, string> = {
    response_type: "code",
    client_id: s.clientId,
    redirect_uri: o.redirectUri,
    scope: s.scope,
    state: o.state,
    nonce,
    code_challenge: base64url(await sha256(codeVerifier)),
    code_challenge_method: "S256",
    ...o.extra,
  };
  for (const [k, v] of Object.entries(params)) url.searchParams.set(k, v);
  return { url: url.href, pending: { nonce, codeVerifier } };
}

export interface CompleteOptions {
  /** The redirect_uri the authorization request named. */
  readonly redirectUri: string;
  /** What the log reasons call the provider ("broker" at a DVZA); default "provider". */
  readonly peer?: string;
}

/** The provider's answer at `redirectUri`, for the login that `pending` belongs to. */
export async function completeAuthorization(s: OidcClientSettings, answer: URL, pending: Partial<OidcPending>, o: CompleteOptions): Promise<OidcOutcome> {
  try {
    return await complete(s, answer, pending, o.redirectUri, o.peer ?? "provider");
  } catch (e) {
    if (e instanceof OidcUnavailable) return { ok: false, kind: "unavailable", reason: e.message };
    throw e;
  }
}

async function complete(s: OidcClientSettings, answer: URL, pending: Partial<OidcPending>, redirectUri: string, peer: string): Promise<OidcOutcome> {
  const refused = (reason: string): OidcOutcome => ({ ok: false, kind: "refused", reason });
  const { nonce, codeVerifier } = pending;
  if (!nonce || !codeVerifier) return refused("the session holds no OIDC request");
  const meta = await providerMetadata(s);
  // RFC 9207 §2.4: the answer must come from the provider we sent the Person to (mix-up defence).
  const iss = single(answer, "iss");
  if (iss !== undefined ? iss !== meta.issuer : meta.issParameterSupported) return refused(`the authorization response's iss is not the configured ${peer}`);
  const error = single(answer, "error");
  if (error !== undefined) return { ok: false, kind: "idp-status", reason: `${peer} error ${error.replace(/[^\x20-\x7e]/g, "?").slice(0, 60)}` };
  const code = single(answer, "code");
  if (!code) return refused(`no authorization code in the ${peer}'s answer`);

  const auth = await clientAuthentication(s, meta.tokenEndpoint);
  const { status, body } = await getJson(
    meta.tokenEndpoint,
    {
      method: "POST",
      headers: { "content-type": "application/x-www-form-urlencoded", accept: "application/json", ...auth.headers },
      body: new URLSearchParams({ grant_type: "authorization_code", code, redirect_uri: redirectUri, code_verifier: codeVerifier, ...auth.params }).toString(),
    },
    s.timeoutMs,
  );
  if (status !== 200 || !body) return refused(`the token request was refused (HTTP ${status}${typeof body?.error === "string" ? ` ${body.error.slice(0, 40)}` : ""})`);
  if (typeof body.id_token !== "string") return refused("the token response holds no id_token");
  const checked = await verifyIdToken(s, meta, body.id_token, nonce, peer);
  return checked.ok ? checked : refused(checked.reason);
}
