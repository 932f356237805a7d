/**
 * The Resource Server (back channel; SPEC G-3, G-5, S-4, LOG-4, RFC 6750). Runs after the whitelist
 * gate, so the caller's certificate CN is known. Steps, in order:
 *   1. the URL is one of this deployment's resource endpoints (tenants.ts);
 *   2. rate limit per client; 3. MedMij-Request-ID (a UUID) is present;
 *   4. a Bearer token in the Authorization header only (S-4), valid, issued to this very client;
 *   5. the token's scope is this endpoint's Zorgaanbieder and Gegevensdienst;
 *   6. the interaction fits the system role (GET for Verzamelen, POST for Delen) and its resources;
 *   7. serve the Person's own data from where the deployment keeps it (fhir/upstream/config.ts): the
 *      Zorgaanbieder's FhirStore (the default) or its own FHIR server, never anyone else's.
 * One log line per request with the MedMij-Request-ID and the outcome, never the token (LOG-4).
 */
import type { Context } from "hono";
import type { TokenGrant } from "../../durable-objects/grant-store.ts";
import { gegevensdienstSpec, type SysteemrolSpec } from "../shared/catalogue.ts";
import { BodyTooLargeError, readTextCapped } from "../shared/http/body.ts";
import { log } from "../shared/log.ts";
import { BearerError, bearerErrorResponse } from "../shared/oauth/errors.ts";
import type { BackchannelVariables } from "./backchannel.ts";
import { placed } from "../shared/durable/placement.ts";
import type { Env } from "./env.ts";
import type { FhirBackend, FhirCall } from "./fhir/backend.ts";
import { outcome } from "./fhir/outcome.ts";
import { StoreBackend } from "./fhir/store-backend.ts";
import { sourceFor } from "./fhir/upstream/config.ts";
import { UpstreamBackend } from "./fhir/upstream/index.ts";
import { checkCreate } from "./fhir/validate.ts";
import { introspectToken } from "./grants.ts";
import { rateLimit } from "./rate-limit.ts";
import { medmijRequestId } from "./request-id.ts";
import { endpointId, loadTenancy, type ResourceMatch } from "./tenants.ts";

const MAX_BODY_BYTES = 1024 * 1024;
const B64TOKEN = /^Bearer +([A-Za-z0-9\-._~+/]+=*)$/i;

type Ctx = Context<{ Bindings: Env; Variables: BackchannelVariables }>;

/** RFC 6750 §2: exactly one method, and this server accepts only the header (S-4). */
function bearerToken(request: Request, url: URL): string {
  if (url.searchParams.has("access_token")) throw new BearerError("invalid_request", "access tokens are accepted in the Authorization header only");
  if ((request.headers.get("content-type") ?? "").toLowerCase().startsWith("application/x-www-form-urlencoded")) {
    throw new BearerError("invalid_request", "access tokens are accepted in the Authorization header only");
  }
  const header = request.headers.get("authorization");
  if (header === null) throw new BearerError(null, "an access token is required");
  const m = B64TOKEN.exec(header.trim());
  if (!m) throw new BearerError("invalid_request", "the Authorization header is not a Bearer token");
  return m[1]!;
}

function rolesFor(matches: readonly ResourceMatch[]): SysteemrolSpec[] {
  return matches.flatMap((m) => {
    const role = gegevensdienstSpec(m.offering.gegevensdienst.id)?.systeemrollen[m.systeemrol.code];
    return role ? [role] : [];
  });
}

/** Where this grant's data is served from; undefined when that source is misconfigured (503). */
function backendFor(c: Ctx, grant: TokenGrant): FhirBackend | undefined {
  const source = sourceFor(c.env as unknown as Record<string, unknown> & { FHIR_UPSTREAMS?: string }, grant.zorgaanbieder, grant.gegevensdienstId);
  if (source.mode === "store") return new StoreBackend(placed(c.env, c.env.FHIR));
  if (source.mode === "upstream") return new UpstreamBackend(source.upstream);
  return undefined;
}

async function create(c: Ctx, backend: FhirBackend, call: FhirCall, type: string | undefined, allowed: ReadonlySet<string>): Promise<Response> {
  const contentType = (c.req.header("content-type") ?? "").split(";")[0]!.trim().toLowerCase();
  if (contentType !== "application/fhir+json" && contentType !== "application/json") return outcome(415, "not-supported", "send application/fhir+json");
  let body: unknown;
  try {
    body = JSON.parse(await readTextCapped(c.req.raw, MAX_BODY_BYTES));
  } catch (e) {
    return e instanceof BodyTooLargeError ? outcome(413, "too-costly", e.message) : outcome(400, "structure", "the body is not valid JSON");
  }
  const checked = checkCreate(body, type, allowed);
  if (!checked.ok) return outcome(400, "invariant", checked.problem);
  return backend.create(call, type, checked.resources, checked.transaction);
}

async function serve(c: Ctx, url: URL, matches: ResourceMatch[], clientId: string, note: (f: Record<string, unknown>) => void): Promise<Response> {
  const limited = await rateLimit(c.env, "resource", clientId);
  if (limited) return limited;
  if (!medmijRequestId(c.req.raw)) return outcome(400, "required", "the MedMij-Request-ID header (a UUID) is required");

  let grant: TokenGrant | null;
  try {
    grant = await introspectToken(c.env, bearerToken(c.req.raw, url));
  } catch (e) {
    if (e instanceof BearerError) return bearerErrorResponse(e);
    throw e;
  }
  if (!grant) return bearerErrorResponse(new BearerError("invalid_token", "the access token is invalid, expired or revoked"));
  // A token is bound to the client it was issued to (AS-11): another whitelisted node cannot use it.
  if (grant.clientId !== clientId) return bearerErrorResponse(new BearerError("invalid_token", "the access token was not issued to this client"));
  note({ zorgaanbieder: grant.zorgaanbieder, gegevensdienst: grant.gegevensdienstId });

  const mine = matches.filter((m) => m.offering.zorgaanbieder.naam === grant.zorgaanbieder && m.offering.gegevensdienst.id === grant.gegevensdienstId);
  if (mine.length === 0) return bearerErrorResponse(new BearerError("insufficient_scope", "the token's scope is another Zorgaanbieder or Gegevensdienst"));

  const base = endpointId(mine[0]!.systeemrol.resourceEndpoint)!.replace(/\/$/, "");
  // A path is `Type` or `Type/id`, with at most a trailing slash; anything else is the client's error (issue 15 #6).
  const segments = mine[0]!.rest.replace(/^\//, "").replace(/\/$/, "").split("/");
  if (segments.some((s) => s === "") && mine[0]!.rest.replace(/^\//, "").replace(/\/$/, "") !== "") return outcome(400, "invalid", "the resource path has an empty segment");
  const [type, id, ...more] = segments.filter((s) => s !== "");
  note({ type: type ?? "(base)" });
  const roles = rolesFor(mine);
  const method = c.req.method;
  const backend = backendFor(c, grant);
  if (!backend) return outcome(503, "transient", "this provider's data source is not configured correctly", { "retry-after": "60" });
  const call: FhirCall = { grant, base, url, requestId: medmijRequestId(c.req.raw), note };
  if (method === "GET" || method === "HEAD") {
    const readable = new Set(roles.filter((r) => r.useCase === "verzamelen").flatMap((r) => r.resources));
    if (readable.size === 0) return outcome(405, "not-supported", "this Gegevensdienst is for Delen: use POST", { allow: "POST" });
    const format = url.searchParams.get("_format");
    if (format !== null && !/json/.test(format)) return outcome(406, "not-supported", "only JSON is supported");
    if (!type || !readable.has(type) || more.length > 0) return outcome(404, "not-found", "no such resource type for this Gegevensdienst");
    return id === undefined ? backend.search(call, type) : backend.read(call, type, id);
  }
  if (method === "POST") {
    const writable = new Set(roles.filter((r) => r.useCase === "delen").flatMap((r) => r.resources));
    if (writable.size === 0) return outcome(405, "not-supported", "this Gegevensdienst is for Verzamelen: use GET", { allow: "GET" });
    if (id !== undefined || (type !== undefined && !writable.has(type))) return outcome(404, "not-found", "no such resource type for this Gegevensdienst");
    return create(c, backend, call, type, writable);
  }
  return outcome(405, "not-supported", `${method} is not supported`, { allow: roles.some((r) => r.useCase === "delen") ? "POST" : "GET" });
}

export async function resourceEndpoint(c: Ctx): Promise<Response> {
  const url = new URL(c.req.url);
  const tenancy = await loadTenancy(c.env);
  const matches = tenancy?.resourceMatches(url) ?? [];
  if (matches.length === 0) return outcome(404, "not-found", "no resource endpoint here");
  const clientId = c.get("peer").commonName;
  const fields: Record<string, unknown> = { requestId: medmijRequestId(c.req.raw) ?? null, client: clientId, method: c.req.method };
  const response = await serve(c, url, matches, clientId, (f) => Object.assign(fields, f));
  // LOG-4: every resource request with its MedMij-Request-ID and outcome; never the token or content.
  log(response.status < 400 ? "info" : "warn", "resource.request", { ...fields, status: response.status });
  return response;
}
