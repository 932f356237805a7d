/**
 * The DVP's token request (RFC 6749 §4.1.3; SPEC AS-5, AS-6, AS-11, AS-14): the code goes to the
 * provider's token endpoint in the body, over mutual TLS, with client_id. The response is checked
 * before the token is used; the token lives only in memory for this one run and is never logged.
 */
import { peerFetch, type PeerResponse } from "./peer.ts";
import type { Env } from "./env.ts";

export interface TokenResult {
  readonly accessToken: string;
  readonly scope: string;
  readonly requestId: string;
}

export class TokenExchangeFailed extends Error {
  override readonly name = "TokenExchangeFailed";
  constructor(
    message: string,
    readonly requestId: string | null,
  ) {
    super(message);
  }
}

export async function exchangeCode(env: Env, tokenEndpoint: string, code: string, redirectUri: string, expectedScope: string, codeVerifier?: string): Promise<TokenResult> {
  let peer: PeerResponse;
  try {
    peer = await peerFetch(
      env,
      tokenEndpoint,
      {
        method: "POST",
        headers: { "content-type": "application/x-www-form-urlencoded", accept: "application/json" },
        body: new URLSearchParams({ grant_type: "authorization_code", code, redirect_uri: redirectUri, client_id: env.DVP_HOSTNAME, ...(codeVerifier ? { code_verifier: codeVerifier } : {}) }).toString(),
      },
      "token",
    );
  } catch (e) {
    throw new TokenExchangeFailed((e as Error).message, null);
  }
  const { response, requestId } = peer;
  if (response.status !== 200) {
    await response.body?.cancel();
    throw new TokenExchangeFailed(`token endpoint answered HTTP ${response.status}`, requestId);
  }
  let body: Record<string, unknown>;
  try {
    body = (await response.json()) as Record<string, unknown>;
  } catch {
    throw new TokenExchangeFailed("token response is not JSON", requestId);
  }
  // AS-5: bearer only; AS-6: the one scope asked for, nothing wider.
  if (typeof body.access_token !== "string" || body.access_token === "") throw new TokenExchangeFailed("no access_token", requestId);
  if (typeof body.token_type !== "string" || body.token_type.toLowerCase() !== "bearer") throw new TokenExchangeFailed("token_type is not bearer", requestId);
  if (body.scope !== undefined && body.scope !== expectedScope) throw new TokenExchangeFailed("scope differs from the one requested", requestId);
  if (typeof body.expires_in !== "number" || body.expires_in <= 0) throw new TokenExchangeFailed("expires_in missing", requestId);
  return { accessToken: body.access_token, scope: expectedScope, requestId };
}
