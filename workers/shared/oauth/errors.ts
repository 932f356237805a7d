/**
 * Typed OAuth errors and their one mapping to HTTP (RFC 6749 §4.1.2.1 and §5.2, RFC 6750 §3).
 * Handlers throw or return these; only this module turns them into responses.
 */

/** RFC 6749 §4.1.2.1: errors the AS sends back to a *validated* redirect_uri. */
export type AuthorizeErrorCode =
  | "invalid_request"
  | "unauthorized_client"
  | "access_denied"
  | "unsupported_response_type"
  | "invalid_scope"
  | "server_error"
  | "temporarily_unavailable";

/** RFC 6749 §5.2: token endpoint errors. */
export type TokenErrorCode = "invalid_request" | "invalid_client" | "invalid_grant" | "unauthorized_client" | "unsupported_grant_type" | "invalid_scope";

/** RFC 6750 §3.1: resource server errors. */
export type BearerErrorCode = "invalid_request" | "invalid_token" | "insufficient_scope";

/** Descriptions are ASCII only (RFC 6749 §4.1.2.1: %x20-21 / %x23-5B / %x5D-7E) and never contain secrets. */
function safeDescription(s: string): string {
  return s.replace(/[^\x20\x21\x23-\x5b\x5d-\x7e]/g, "?");
}

/** An OAuth error: a registered code and a description safe to show the other party. */
abstract class OAuthError<C extends string | null> extends Error {
  constructor(
    readonly code: C,
    readonly description: string,
  ) {
    super(`${code ?? "no_token"}: ${description}`);
  }
}

export class AuthorizeError extends OAuthError<AuthorizeErrorCode> {
  override readonly name = "AuthorizeError";
}

export class TokenError extends OAuthError<TokenErrorCode> {
  override readonly name = "TokenError";
}

/** A null code: no token was presented, so the challenge carries no error (RFC 6750 §3.1). */
export class BearerError extends OAuthError<BearerErrorCode | null> {
  override readonly name = "BearerError";
}

/** Token responses and token errors are never cached (RFC 6749 §5.1, §5.2). */
export const NO_STORE: Readonly<Record<string, string>> = { "cache-control": "no-store", pragma: "no-cache" };

/**
 * Adds parameters to a redirect_uri without re-serialising what is already there: the client
 * compares its redirect_uri exactly (AS-17), so its own query must come back byte for byte.
 */
export function withQuery(uri: string, params: Record<string, string>): string {
  const q = new URLSearchParams(params).toString();
  if (!uri.includes("?")) return `${uri}?${q}`;
  return uri.endsWith("?") || uri.endsWith("&") ? `${uri}${q}` : `${uri}&${q}`;
}

export function redirectTo(location: string, extra: Record<string, string> = {}): Response {
  return new Response(null, { status: 302, headers: { location, ...NO_STORE, "referrer-policy": "no-referrer", ...extra } });
}

/** Where an authorization response goes: a redirect_uri that passed validation (AS-16), with its state and our issuer. */
export interface AuthorizationReturn {
  readonly redirectUri: string;
  readonly state: string | undefined;
  /** RFC 9207: this AS's issuer identifier, on every authorization response. */
  readonly issuer: string;
}

/** The URI of an authorization response: the parameters, state and `iss` added to the redirect_uri. */
export function authorizationResponseUri(to: AuthorizationReturn, params: Record<string, string>): string {
  const all: Record<string, string> = { ...params };
  if (to.state !== undefined) all.state = to.state;
  all.iss = to.issuer;
  return withQuery(to.redirectUri, all);
}

/** RFC 6749 §4.1.2.1: the error, as the URI it goes to (AS-16: only a validated redirect_uri). */
export function authorizeErrorUri(to: AuthorizationReturn, e: AuthorizeError): string {
  return authorizationResponseUri(to, { error: e.code, error_description: safeDescription(e.description) });
}

export function authorizeErrorRedirect(to: AuthorizationReturn, e: AuthorizeError, extra: Record<string, string> = {}): Response {
  return redirectTo(authorizeErrorUri(to, e), extra);
}

/** RFC 6749 §5.2: 400, or 401 with WWW-Authenticate for invalid_client. */
export function tokenErrorResponse(e: TokenError): Response {
  const headers: Record<string, string> = { "content-type": "application/json;charset=UTF-8", ...NO_STORE };
  if (e.code === "invalid_client") headers["www-authenticate"] = 'Basic realm="medmij"';
  return new Response(JSON.stringify({ error: e.code, error_description: safeDescription(e.description) }), {
    status: e.code === "invalid_client" ? 401 : 400,
    headers,
  });
}

const BEARER_STATUS: Readonly<Record<BearerErrorCode, number>> = { invalid_request: 400, invalid_token: 401, insufficient_scope: 403 };

/**
 * RFC 6750 §3: a WWW-Authenticate challenge. With no token at all the challenge carries no error code
 * (§3.1: "SHOULD NOT include an error code"). The body is a FHIR OperationOutcome so FHIR clients can read it.
 */
export function bearerErrorResponse(e: BearerError, realm = "medmij"): Response {
  let challenge = `Bearer realm="${realm}"`;
  if (e.code) challenge += `, error="${e.code}", error_description="${safeDescription(e.description).replace(/"/g, "'")}"`;
  const status = e.code ? BEARER_STATUS[e.code] : 401;
  const outcome = {
    resourceType: "OperationOutcome",
    issue: [{ severity: "error", code: e.code === "insufficient_scope" ? "forbidden" : "login", diagnostics: safeDescription(e.description) }],
  };
  return new Response(JSON.stringify(outcome), {
    status,
    headers: { "www-authenticate": challenge, "content-type": "application/fhir+json; charset=utf-8", ...NO_STORE },
  });
}
