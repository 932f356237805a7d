/**
 * The Resource Server (back channel; SPEC G-3, G-5, G-6, S-4, LOG-4, X-4, X-8, RFC 6750). Runs after the
 * whitelist gate, so the caller's certificate CN is known. Steps, in order:
 *   1. the URL is one of this deployment's resource endpoints (tenants.ts);
 *   2. rate limit per client; 3. MedMij-Request-ID (a UUID) is present;
 *   4. a Bearer token in the Authorization header only (S-4), valid, issued to this very client;
 *   5. the token's scope is this endpoint's Zorgaanbieder and Gegevensdienst;
 *   6. the path is `Type`, `Type/id` or `Observation/$lastn`; the interaction fits the system role (GET for
 *      Verzamelen, POST for Delen) and its resources; the formats asked for and sent are FHIR JSON or FHIR XML;
 *   7. serve the Person's own data from where the deployment keeps it (fhir/upstream/config.ts): the
 *      Zorgaanbieder's FhirStore (the default) or its own FHIR server, never anyone else's;
 *   8. the answer in the format asked for (the document itself for a Binary read that names no FHIR format).
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
import type { FhirBackend, FhirCall, GegevensdienstView, Prefer } from "./fhir/backend.ts";
import { inFormat, rawBinary, readBody } from "./fhir/formats.ts";
import { outcome } from "./fhir/outcome.ts";
import { StoreBackend } from "./fhir/store-backend.ts";
import { sourceFor } from "./fhir/upstream/config.ts";
import { UpstreamBackend } from "./fhir/upstream/index.ts";
import { shapeSubmission } from "./fhir/validate.ts";
import { introspectToken } from "./grants.ts";
import { rateLimit } from "./rate-limit.ts";
import { medmijRequestId } from "./request-id.ts";
import { endpointId, loadTenancy, type ResourceMatch } from "./tenants.ts";
import { responseFormat, requestFormat, type FhirFormat } from "../fhir/formats/negotiate.ts";
import { isFhirId } from "../fhir/references.ts";

const MAX_BODY_BYTES = 8 * 1024 * 1024;
const B64TOKEN = /^Bearer +([A-Za-z0-9\-._~+/]+=*)$/i;
const TYPE = /^[A-Z][A-Za-z]{1,63}$/;

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

/** RFC 7240 as FHIR uses it. */
function preferOf(header: string | null): Prefer {
  const tokens = (header ?? "").split(/[,;]/).map((s) => s.trim().toLowerCase());
  const ret = tokens.find((t) => t.startsWith("return="))?.slice(7);
  return {
    return: ret === "minimal" ? "minimal" : ret === "representation" ? "representation" : ret === "operationoutcome" ? "OperationOutcome" : undefined,
    strict: tokens.includes("handling=strict"),
  };
}

/** The path below the endpoint: `Type`, `Type/id`, `Type/$operation`, or the base (''). Issue 15 #6: the rest is a 400. */
type Path = { type: string | undefined; id: string | undefined; operation: string | undefined } | { error: string };

function parsePath(rest: string): Path {
  const trimmed = rest.replace(/^\//, "").replace(/\/$/, "");
  if (trimmed === "") return { type: undefined, id: undefined, operation: undefined };
  const segments = trimmed.split("/");
  if (segments.some((s) => s === "")) return { error: "the resource path has an empty segment" };
  const [type, second, ...more] = segments;
  if (!TYPE.test(type!)) return { error: "not a resource type" };
  if (more.length > 0) return { error: "only Type, Type/id and Type/$operation are served here" };
  if (second === undefined) return { type, id: undefined, operation: undefined };
  if (second.startsWith("$")) return /^\$[a-z][a-z-]{0,30}$/.test(second) ? { type, id: undefined, operation: second } : { error: "not an operation name" };
  return isFhirId(second) ? { type, id: second, operation: undefined } : { error: "not a FHIR id" };
}

async function serve(c: Ctx, url: URL, matches: ResourceMatch[], clientId: string, note: (f: Record<string, unknown>) => void): Promise<{ response: Response; format: FhirFormat }> {
  const json = (response: Response) => ({ response, format: "json" as FhirFormat });
  const limited = await rateLimit(c.env, "resource", clientId);
  if (limited) return json(limited);
  if (!medmijRequestId(c.req.raw)) return json(outcome(400, "required", "the MedMij-Request-ID header (a UUID) is required"));

  let grant: TokenGrant | null;
  try {
    grant = await introspectToken(c.env, bearerToken(c.req.raw, url));
  } catch (e) {
    if (e instanceof BearerError) return json(bearerErrorResponse(e));
    throw e;
  }
  if (!grant) return json(bearerErrorResponse(new BearerError("invalid_token", "the access token is invalid, expired or revoked")));
  // A token is bound to the client it was issued to (AS-11): another whitelisted node cannot use it.
  if (grant.clientId !== clientId) return json(bearerErrorResponse(new BearerError("invalid_token", "the access token was not issued to this client")));
  note({ zorgaanbieder: grant.zorgaanbieder, gegevensdienst: grant.gegevensdienstId });

  const mine = matches.filter((m) => m.offering.zorgaanbieder.naam === grant.zorgaanbieder && m.offering.gegevensdienst.id === grant.gegevensdienstId);
  if (mine.length === 0) return json(bearerErrorResponse(new BearerError("insufficient_scope", "the token's scope is another Zorgaanbieder or Gegevensdienst")));

  const base = endpointId(mine[0]!.systeemrol.resourceEndpoint)!.replace(/\/$/, "");
  const path = parsePath(mine[0]!.rest);
  const method = c.req.method;
  // G-6: every answer, refusals too, in the format asked for, where that is a FHIR format at all.
  const asked = responseFormat(url, c.req.header("accept") ?? null, method === "GET" && !("error" in path) && path.type === "Binary" && path.id !== undefined ? "*" : undefined);
  if (!asked.ok) return json(outcome(406, "not-supported", asked.reason));
  const answer = (response: Response) => ({ response, format: asked.format });
  if ("error" in path) return answer(outcome(400, "invalid", path.error));
  const { type, id, operation } = path;
  note({ type: type ?? "(base)" });
  const roles = rolesFor(mine);
  const spec = gegevensdienstSpec(grant.gegevensdienstId);
  const backend = backendFor(c, grant);
  if (!backend) return answer(outcome(503, "transient", "this provider's data source is not configured correctly", { "retry-after": "60" }));
  const view = (useCase: "verzamelen" | "delen"): GegevensdienstView => ({ types: [...new Set(roles.filter((r) => r.useCase === useCase).flatMap((r) => r.resources))], restrict: spec?.restrict ?? {} });
  const call = (v: GegevensdienstView): FhirCall => ({ grant: grant!, base, url, requestId: medmijRequestId(c.req.raw), view: v, prefer: preferOf(c.req.header("prefer") ?? null), note });

  if (method === "GET" || method === "HEAD") {
    const readable = view("verzamelen");
    if (readable.types.length === 0) return answer(outcome(405, "not-supported", "this Gegevensdienst is for Delen: use POST", { allow: "POST" }));
    if (!type || !readable.types.includes(type)) return answer(outcome(404, "not-found", "no such resource type for this Gegevensdienst"));
    if (operation !== undefined) {
      if (operation !== "$lastn" || type !== "Observation") return answer(outcome(404, "not-supported", `${type}/${operation} is not an operation of this server`));
      return answer(await backend.search(call(readable), type, "$lastn"));
    }
    if (id === undefined) return answer(await backend.search(call(readable), type));
    const read = await backend.read(call(readable), type, id);
    // A Binary read that names no FHIR format gets the document itself, with its own content type.
    return type === "Binary" && asked.raw && read.status === 200 ? { response: await rawBinary(read), format: "json" } : answer(read);
  }
  if (method === "POST") {
    const writable = view("delen");
    if (writable.types.length === 0) return answer(outcome(405, "not-supported", "this Gegevensdienst is for Verzamelen: use GET", { allow: "GET" }));
    if (id !== undefined || operation !== undefined || (type !== undefined && !writable.types.includes(type))) return answer(outcome(404, "not-found", "no such resource type for this Gegevensdienst"));
    const sent = requestFormat(c.req.header("content-type") ?? null);
    if (!sent) return answer(outcome(415, "not-supported", "send application/fhir+json or application/fhir+xml"));
    const body = await readBody(c.req.raw, sent, MAX_BODY_BYTES);
    if (!body.ok) return answer(outcome(body.status, body.code, body.problem));
    const shaped = shapeSubmission(body.resource, type, new Set(writable.types));
    if (!shaped.ok) return answer(outcome(400, "invalid", shaped.problem));
    return answer(await backend.submit(call(writable), shaped.submission));
  }
  return answer(outcome(405, "not-supported", `${method} is not supported`, { allow: roles.some((r) => r.useCase === "delen") ? "POST" : "GET" }));
}

export async function resourceEndpoint(c: Ctx): Promise<Response> {
  const url = new URL(c.req.url);
  const tenancy = await loadTenancy(c.env);
  const matches = tenancy?.resourceMatches(url) ?? [];
  if (matches.length === 0) return outcome(404, "not-found", "no resource endpoint here");
  const clientId = c.get("peer").commonName;
  const fields: Record<string, unknown> = { requestId: medmijRequestId(c.req.raw) ?? null, client: clientId, method: c.req.method };
  const { response, format } = await serve(c, url, matches, clientId, (f) => Object.assign(fields, f));
  const served = await inFormat(response, format);
  // LOG-4: every resource request with its MedMij-Request-ID and outcome; never the token or content.
  log(served.status < 400 ? "info" : "warn", "resource.request", { ...fields, status: served.status });
  return c.req.method === "HEAD" ? new Response(null, { status: served.status, headers: served.headers }) : served;
}
