/**
 * The token endpoint (back channel, RFC 6749 §4.1.3 and §5). Runs after the whitelist gate
 * (backchannel.ts), so the peer's verified certificate CN is known.
 *
 * AS-4 authorization_code only; AS-11 the certificate CN is the client (= client_id) and the code was
 * issued to it; AS-12 the client is confidential: mutual TLS is its authentication; AS-14 client_id
 * may be sent and is then checked; AS-7/AS-10 single use, 900 s; S-3 parameters in the body only;
 * X-1 a code bound to a PKCE challenge needs its code_verifier.
 */
import type { Context } from "hono";
import { LIFETIME_MS } from "../../durable-objects/grant-store.ts";
import { BodyTooLargeError, readTextCapped } from "../shared/http/body.ts";
import { isFormEncoded, readParams } from "../shared/http/params.ts";
import { listIndex } from "../shared/lists/store.ts";
import { log } from "../shared/log.ts";
import { NO_STORE, TokenError, tokenErrorResponse } from "../shared/oauth/errors.ts";
import type { BackchannelVariables } from "./backchannel.ts";
import type { Env } from "./env.ts";
import { redeemCode } from "./grants.ts";
import { isCodeVerifier, s256 } from "./pkce.ts";
import { medmijRequestId } from "./request-id.ts";
import { endpointId } from "./tenants.ts";
import { rateLimit } from "./rate-limit.ts";

const MAX_TOKEN_REQUEST_BYTES = 8 * 1024;

/** AS-14: client_id in the token request is optional in release 1.1.2; the later release makes it mandatory. */
export function clientIdRequired(env: Pick<Env, "REQUIRE_CLIENT_ID_IN_TOKEN_REQUEST">): boolean {
  return env.REQUIRE_CLIENT_ID_IN_TOKEN_REQUEST === "true";
}

export interface TokenResponse {
  readonly access_token: string;
  readonly token_type: "bearer";
  readonly expires_in: number;
  readonly scope: string;
}

async function handle(c: Context<{ Bindings: Env; Variables: BackchannelVariables }>, clientId: string): Promise<Response> {
  const url = new URL(c.req.url);
  // S-3, FACTS.md: token parameters in the query string (a known peer quirk) are refused, not merged.
  if (url.search !== "") throw new TokenError("invalid_request", "parameters must be sent in the request body, not the URI");
  if (!isFormEncoded(c.req.header("content-type") ?? null)) {
    throw new TokenError("invalid_request", "content type must be application/x-www-form-urlencoded");
  }
  let body: string;
  try {
    body = await readTextCapped(c.req.raw, MAX_TOKEN_REQUEST_BYTES);
  } catch (e) {
    throw new TokenError("invalid_request", e instanceof BodyTooLargeError ? "request body too large" : "request body is not UTF-8");
  }
  const params = readParams(new URLSearchParams(body));
  const repeated = [...params.repeated][0];
  if (repeated !== undefined) throw new TokenError("invalid_request", `parameter '${repeated}' is repeated`);

  const grantType = params.get("grant_type");
  if (grantType === undefined) throw new TokenError("invalid_request", "grant_type is missing");
  if (grantType !== "authorization_code") throw new TokenError("unsupported_grant_type", "only authorization_code is supported");
  const code = params.get("code");
  if (code === undefined) throw new TokenError("invalid_request", "code is missing");
  const redirectUri = params.get("redirect_uri");
  if (redirectUri === undefined) throw new TokenError("invalid_request", "redirect_uri is missing");
  const sentClientId = params.get("client_id");
  if (sentClientId === undefined && clientIdRequired(c.env)) throw new TokenError("invalid_request", "client_id is missing");
  // AS-11/AS-14: a client_id that is sent must be the certificate's CN.
  if (sentClientId !== undefined && sentClientId !== clientId) throw new TokenError("invalid_client", "client_id does not match the client certificate");

  // the verifier's shape here; whether it matches the code's challenge, in the GrantStore transaction.
  const codeVerifier = params.get("code_verifier");
  if (codeVerifier !== undefined && !isCodeVerifier(codeVerifier)) throw new TokenError("invalid_request", "code_verifier must be 43 to 128 unreserved characters");

  // AS-12/AS-13: the authenticated client must be an OAuth client on the list.
  const clients = await listIndex(c.env.LISTS, "OAuthclientlist");
  if (!clients?.client(clientId)) throw new TokenError("invalid_client", "client is not on the OAuthclientlist");

  const tokenEndpoint = endpointId(url)!;
  const result = await redeemCode(c.env, code, { clientId, redirectUri, tokenEndpoint, ...(codeVerifier === undefined ? {} : { pkceChallenge: s256(codeVerifier) }) });
  if (!result.ok) {
    log("warn", "token.refused", { requestId: medmijRequestId(c.req.raw), client: clientId, refusal: result.refusal, revokedTokens: result.revokedTokens });
    // One description for every refusal: the client learns nothing about which check failed.
    throw new TokenError("invalid_grant", "the authorization code is invalid, expired, already used, or was issued to another client, redirect_uri or code_verifier");
  }
  log("info", "token.issued", {
    requestId: medmijRequestId(c.req.raw),
    client: clientId,
    zorgaanbieder: result.grant.zorgaanbieder,
    gegevensdienst: result.grant.gegevensdienstId,
  });
  const response: TokenResponse = {
    access_token: result.token,
    token_type: "bearer",
    expires_in: Math.round(LIFETIME_MS / 1000),
    scope: result.grant.scope,
  };
  return new Response(JSON.stringify(response), { status: 200, headers: { "content-type": "application/json;charset=UTF-8", ...NO_STORE } });
}

export async function tokenEndpoint(c: Context<{ Bindings: Env; Variables: BackchannelVariables }>): Promise<Response> {
  const clientId = c.get("peer").commonName;
  const limited = await rateLimit(c.env, "token", clientId);
  if (limited) return limited;
  try {
    return await handle(c, clientId);
  } catch (e) {
    if (e instanceof TokenError) return tokenErrorResponse(e);
    throw e;
  }
}
