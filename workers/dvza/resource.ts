/**
 * The Resource Server (back channel; SPEC G-3, G-5, S-4, LOG-4, RFC 6750). Runs after the whitelist
 * gate, so the caller's certificate CN is known. Steps, in order:
 *   1. the URL is one of this deployment's resource endpoints (tenants.ts);
 *   2. rate limit per client; 3. MedMij-Request-ID (a UUID) is present;
 *   4. a Bearer token in the Authorization header only (S-4), valid, issued to this very client;
 *   5. the token's scope is this endpoint's Zorgaanbieder and Gegevensdienst;
 *   6. the interaction fits the system role (GET for Verzamelen, POST for Delen) and its resources;
 *   7. serve the Person's own data from the Zorgaanbieder's FhirStore.
 * One log line per request with the MedMij-Request-ID and the outcome, never the token (LOG-4).
 */
import type { Context } from "hono";
import type { StoredResource } from "../../durable-objects/fhir-store.ts";
import type { TokenGrant } from "../../durable-objects/grant-store.ts";
import { gegevensdienstSpec, type SysteemrolSpec } from "../shared/catalogue.ts";
import { BodyTooLargeError, readTextCapped } from "../shared/http/body.ts";
import { log } from "../shared/log.ts";
import { BearerError, bearerErrorResponse } from "../shared/oauth/errors.ts";
import type { BackchannelVariables } from "./backchannel.ts";
import type { Env } from "./env.ts";
import { searchset, transactionResponse } from "./fhir/bundle.ts";
import { fhirResponse, outcome } from "./fhir/outcome.ts";
import { applyFilters, includedReferences, parseSearch } from "./fhir/search.ts";
import { checkCreate, type Json } from "./fhir/validate.ts";
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

async function search(c: Ctx, grant: TokenGrant, base: string, type: string, url: URL): Promise<Response> {
  const s = parseSearch(url.searchParams);
  if ("error" in s) return outcome(400, "invalid", s.error);
  const store = c.env.FHIR.get(c.env.FHIR.idFromName(grant.zorgaanbieder));
  const all = await store.list(grant.subject, grant.gegevensdienstId, type);
  const matches = applyFilters(all, s).slice(0, s.count ?? Number.POSITIVE_INFINITY);
  const included: StoredResource[] = [];
  for (const ref of includedReferences(matches, s.includes)) {
    const [t, id] = ref.split("/") as [string, string];
    const r = await store.read(grant.subject, grant.gegevensdienstId, t, id);
    if (r) included.push(r);
  }
  return fhirResponse(200, searchset(base, url.href, matches, included));
}

async function read(c: Ctx, grant: TokenGrant, type: string, id: string): Promise<Response> {
  const r = await c.env.FHIR.get(c.env.FHIR.idFromName(grant.zorgaanbieder)).read(grant.subject, grant.gegevensdienstId, type, id);
  return r ? fhirResponse(200, r) : outcome(404, "not-found", `${type}/${id} is not known`);
}

async function create(c: Ctx, grant: TokenGrant, base: string, type: string | undefined, allowed: ReadonlySet<string>): Promise<Response> {
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
  const now = new Date().toISOString();
  // The server assigns identity and binds the data to the token's Person (G-5, S-3).
  const resources: StoredResource[] = checked.resources.map((r: Json) => ({
    ...r,
    resourceType: r.resourceType as string,
    id: crypto.randomUUID(),
    meta: { versionId: "1", lastUpdated: now },
    subject: { identifier: { system: "http://fhir.nl/fhir/NamingSystem/bsn", value: grant.subject } },
  }));
  await c.env.FHIR.get(c.env.FHIR.idFromName(grant.zorgaanbieder)).create(grant.subject, grant.gegevensdienstId, resources);
  if (checked.transaction) return fhirResponse(200, transactionResponse(base, resources));
  const r = resources[0]!;
  return fhirResponse(201, r, { location: `${base}/${r.resourceType}/${r.id}/_history/1` });
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
  const [type, id, ...more] = mine[0]!.rest.split("/").filter((s) => s !== "");
  note({ type: type ?? "(base)" });
  const roles = rolesFor(mine);
  const method = c.req.method;
  if (method === "GET" || method === "HEAD") {
    const readable = new Set(roles.filter((r) => r.useCase === "verzamelen").flatMap((r) => r.resources));
    if (readable.size === 0) return outcome(405, "not-supported", "this Gegevensdienst is for Delen: use POST", { allow: "POST" });
    const format = url.searchParams.get("_format");
    if (format !== null && !/json/.test(format)) return outcome(406, "not-supported", "only JSON is supported");
    if (!type || !readable.has(type) || more.length > 0) return outcome(404, "not-found", "no such resource type for this Gegevensdienst");
    return id === undefined ? search(c, grant, base, type, url) : read(c, grant, type, id);
  }
  if (method === "POST") {
    const writable = new Set(roles.filter((r) => r.useCase === "delen").flatMap((r) => r.resources));
    if (writable.size === 0) return outcome(405, "not-supported", "this Gegevensdienst is for Verzamelen: use GET", { allow: "GET" });
    if (id !== undefined || (type !== undefined && !writable.has(type))) return outcome(404, "not-found", "no such resource type for this Gegevensdienst");
    return create(c, grant, base, type, writable);
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
