/**
 * The authorization endpoint (front channel; RFC 6749 §4.1.1, §4.1.2.1).
 *
 * Order matters (AS-16): first establish the client and its redirect_uri; until both are valid every
 * error is a page for the Person and nothing is sent anywhere. After that, errors go back to the
 * redirect_uri with `error` and `state`. Then the Person is sent to authenticate.
 */
import type { Context } from "hono";
import type { AuthorizationRequest } from "../../durable-objects/authorization-sessions.ts";
import { gegevensdienstSpec } from "../shared/catalogue.ts";
import { errorPage } from "../shared/html/page.ts";
import { readParams, type Params } from "../shared/http/params.ts";
import type { OAuthclientIndex } from "../shared/lists/oauthclientlist.ts";
import { listIndex } from "../shared/lists/store.ts";
import { log } from "../shared/log.ts";
import { AuthorizeError, authorizeErrorRedirect, type AuthorizationReturn } from "../shared/oauth/errors.ts";
import { parseScope } from "../shared/scope.ts";
import { authenticatorFor } from "./authn/index.ts";
import type { Env } from "./env.ts";
import { newRelay, startSession } from "./front-session.ts";
import { rateLimit } from "./rate-limit.ts";
import { sourceAddress } from "../shared/rate-limit.ts";
import { redirectUriProblem } from "./redirect-uri.ts";
import { returnPage } from "./return-page.ts";
import { endpointId, loadTenancy, sameEndpoint } from "./tenants.ts";

const NOT_VALID = "Deze aanvraag kan niet worden verwerkt";
const UNAVAILABLE = "Inloggen is op dit moment niet mogelijk";
/** RFC 7636 §4.2: S256 challenges are the base64url SHA-256 of the verifier, 43 characters. */
const S256_CHALLENGE = /^[A-Za-z0-9_-]{43}$/;

/** X-2 (RFC 9207): the issuer identifier of the AS at this host, as every authorization response names it. */
export function issuerOf(url: URL): string {
  return `https://${url.host}`;
}

/** X-1 (RFC 7636, RFC 9700 §2.1.1): an optional S256 challenge; `plain` (also the default method) is refused. */
function codeChallenge(params: Params): string | undefined {
  const challenge = params.get("code_challenge");
  const method = params.get("code_challenge_method");
  if (challenge === undefined) {
    if (method !== undefined) throw new AuthorizeError("invalid_request", "code_challenge_method without code_challenge");
    return undefined;
  }
  if (method !== "S256") throw new AuthorizeError("invalid_request", "only code_challenge_method=S256 is supported");
  if (!S256_CHALLENGE.test(challenge)) throw new AuthorizeError("invalid_request", "code_challenge is not a base64url SHA-256 value");
  return challenge;
}

/** Validated client and redirect_uri: the point after which errors may be redirected (AS-16). */
interface TrustedReturn {
  /** The OAuthclientlist the client was found on, reused for the AS-13 check. */
  readonly clients: OAuthclientIndex;
  readonly clientId: string;
  readonly organisatienaam: string;
  readonly redirectUri: string;
}

type Step<T> = { ok: true; value: T } | { ok: false; response: Response };

async function trustedReturn(env: Env, params: Params): Promise<Step<TrustedReturn>> {
  const page = (why: string, status = 400): Step<TrustedReturn> => {
    log("warn", "authorize.refused", { step: "client", reason: why });
    return { ok: false, response: errorPage(status, NOT_VALID, `De aanvraag van uw persoonlijke gezondheidsomgeving is ongeldig: ${why}.`) };
  };
  for (const name of ["client_id", "redirect_uri"]) if (params.repeated.has(name)) return page(`${name} is repeated`);
  const clientId = params.get("client_id");
  if (clientId === undefined) return page("client_id is missing");
  const clients = await listIndex(env.LISTS, "OAuthclientlist");
  if (!clients) return page("the OAuthclientlist is not available", 503);
  const client = clients.client(clientId);
  if (!client) return page("unknown client_id");
  const redirectUri = params.get("redirect_uri");
  if (redirectUri === undefined) return page("redirect_uri is missing");
  const problem = redirectUriProblem(redirectUri, clientId);
  if (problem) return page(problem);
  return { ok: true, value: { clients, clientId, organisatienaam: client.organisatienaam, redirectUri } };
}

/** Everything after the redirect_uri is trusted; throws AuthorizeError for the client to receive. */
async function authorizationRequest(env: Env, url: URL, params: Params, ret: TrustedReturn): Promise<AuthorizationRequest> {
  const repeated = [...params.repeated][0];
  if (repeated !== undefined) throw new AuthorizeError("invalid_request", `parameter '${repeated}' is repeated`);
  const responseType = params.get("response_type");
  if (responseType === undefined) throw new AuthorizeError("invalid_request", "response_type is missing");
  // AS-4: the authorization code grant only.
  if (responseType !== "code") throw new AuthorizeError("unsupported_response_type", "only response_type=code is supported");
  // AS-15: state is mandatory.
  const state = params.get("state");
  if (state === undefined) throw new AuthorizeError("invalid_request", "state is missing");
  const rawScope = params.get("scope");
  if (rawScope === undefined) throw new AuthorizeError("invalid_scope", "scope is missing");
  // AS-6: exactly one scope naam~id.
  const scope = parseScope(rawScope);
  if (!scope) throw new AuthorizeError("invalid_scope", "scope must be exactly one zorgaanbiedernaam~gegevensdienstid");
  const tenancy = await loadTenancy(env);
  const offering = tenancy?.offering(scope.zorgaanbiedernaam, scope.gegevensdienstId);
  if (!offering || !sameEndpoint(offering.gegevensdienst.authorizationEndpoint, url)) {
    throw new AuthorizeError("invalid_scope", "this authorization endpoint does not offer that Gegevensdienst");
  }
  const challenge = codeChallenge(params);
  const spec = gegevensdienstSpec(scope.gegevensdienstId);
  const naam = (await listIndex(env.LISTS, "Gegevensdienstnamenlijst"))?.get(scope.gegevensdienstId)?.weergavenaam;
  const tokenEndpoint = endpointId(offering.gegevensdienst.tokenEndpoint);
  if (!spec || !naam || !tokenEndpoint) throw new AuthorizeError("invalid_scope", "the Gegevensdienst is not supported");
  // AS-13: the client must be recognised for this Gegevensdienst (OAuthclientlist release 3).
  if (!ret.clients.isRecognisedFor(ret.clientId, scope.gegevensdienstId)) {
    throw new AuthorizeError("unauthorized_client", "the client is not recognised for this Gegevensdienst");
  }
  return {
    clientId: ret.clientId,
    redirectUri: ret.redirectUri,
    state,
    scope: rawScope,
    zorgaanbieder: scope.zorgaanbiedernaam,
    gegevensdienstId: scope.gegevensdienstId,
    useCase: spec.useCase,
    gegevensdienstNaam: naam,
    clientOrganisatienaam: ret.organisatienaam,
    tokenEndpoint,
    issuer: issuerOf(url),
    ...(challenge === undefined ? {} : { codeChallenge: challenge }),
  };
}

export async function authorizeEndpoint(c: Context<{ Bindings: Env }>): Promise<Response> {
  const limited = await rateLimit(c.env, "authorize", sourceAddress(c.req.raw));
  if (limited) return limited;
  const url = new URL(c.req.url);
  const params = readParams(url.searchParams);
  const trusted = await trustedReturn(c.env, params);
  if (!trusted.ok) return trusted.response;
  const ret = trusted.value;
  const to: AuthorizationReturn = { redirectUri: ret.redirectUri, state: params.get("state"), issuer: issuerOf(url) };

  let request: AuthorizationRequest;
  try {
    request = await authorizationRequest(c.env, url, params, ret);
  } catch (e) {
    if (!(e instanceof AuthorizeError)) throw e;
    log("warn", "authorize.refused", { step: "request", client: ret.clientId, error: e.code, reason: e.description });
    return authorizeErrorRedirect(to, e);
  }
  // S-6, X-3: a misconfigured or unreachable identity provider is a page with the way back, never a fallback.
  const unavailable = (reason: string) => {
    log("error", "authorize.refused", { step: "authenticator", client: ret.clientId, reason });
    return returnPage(503, UNAVAILABLE, "Inloggen is op dit moment niet mogelijk. Probeer het later opnieuw.", to, new AuthorizeError("temporarily_unavailable", "Person authentication is not available"));
  };
  const choice = await authenticatorFor(c.env);
  if (!choice.ok) return unavailable(choice.reason);
  const relay = newRelay();
  let started;
  try {
    started = await choice.authenticator.start({ relay, returnUrl: `https://${url.host}/oauth/authn/return` });
  } catch (e) {
    return unavailable(`the identity provider cannot be reached (${(e as Error).message})`);
  }
  const setCookie = await startSession(c.env, request, relay, started.pending);
  log("info", "authorize.started", { client: request.clientId, zorgaanbieder: request.zorgaanbieder, gegevensdienst: request.gegevensdienstId, pkce: request.codeChallenge !== undefined });
  const out = new Response(null, started.redirect);
  out.headers.append("set-cookie", setCookie);
  return out;
}
