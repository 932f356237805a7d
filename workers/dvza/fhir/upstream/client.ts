/**
 * Requests from the Resource Server to a provider's own FHIR server (SPEC X-4, AS-18, LOG-4):
 * authenticated as configured (client certificate, bearer secret, or OAuth 2.0 client_credentials with the
 * token cached until shortly before it expires and renewed once on a 401), bounded in time and size, the
 * MedMij-Request-ID sent on as X-Request-ID, one log line per request without personal data. A GET that
 * fails at the network or with a 5xx is repeated once (AS-18: resource requests may be repeated). Anything
 * that is not a well-formed FHIR JSON answer becomes an UpstreamFailure: 502, or 504 for a time-out.
 */
import { BodyTooLargeError, readTextCapped } from "../../../shared/http/body.ts";
import { log } from "../../../shared/log.ts";
import type { UpstreamSettings } from "./config.ts";

export class UpstreamFailure extends Error {
  override readonly name = "UpstreamFailure";
  constructor(
    readonly status: 502 | 504,
    readonly reason: string,
  ) {
    super(reason);
  }
}

export interface UpstreamAnswer {
  readonly status: number;
  readonly json: unknown;
  readonly headers: Headers;
}

export interface UpstreamCall {
  readonly method: "GET" | "POST";
  /** Relative to the base URL, e.g. `Observation?patient=Patient/1` or `Binary/7`. */
  readonly path: string;
  readonly body?: string;
  /** RFC 7240 Prefer for writes (return=representation). */
  readonly prefer?: string;
  readonly requestId: string | undefined;
  /** For the log line. */
  readonly purpose: string;
}

const FHIR_JSON = /^application\/(fhir\+)?json(\s*;.*)?$/i;
const TOKEN_MARGIN_MS = 30_000;

interface CachedToken {
  readonly token: string;
  readonly renewAt: number;
}

const tokens = new Map<string, Promise<CachedToken>>();

async function fetchToken(s: UpstreamSettings): Promise<CachedToken> {
  if (s.auth.type !== "client_credentials") throw new Error("not client_credentials");
  const a = s.auth;
  const form = new URLSearchParams({ grant_type: "client_credentials", ...(a.scope ? { scope: a.scope } : {}) });
  const enc = (v: string) => encodeURIComponent(v).replace(/%20/g, "+");
  let response: Response;
  try {
    response = await fetch(a.tokenUrl, {
      method: "POST",
      headers: { "content-type": "application/x-www-form-urlencoded", accept: "application/json", authorization: `Basic ${btoa(`${enc(a.clientId)}:${enc(a.secret)}`)}` },
      body: form.toString(),
      redirect: "manual",
      signal: AbortSignal.timeout(s.timeoutMs),
    });
  } catch (e) {
    throw new UpstreamFailure((e as Error).name === "TimeoutError" ? 504 : 502, `the upstream token endpoint did not answer (${(e as Error).name})`);
  }
  let body: { access_token?: unknown; expires_in?: unknown; token_type?: unknown };
  try {
    body = JSON.parse(await readTextCapped(response, 64 * 1024)) as typeof body;
  } catch {
    throw new UpstreamFailure(502, `the upstream token endpoint answered HTTP ${response.status} without JSON`);
  }
  if (response.status !== 200 || typeof body.access_token !== "string" || String(body.token_type).toLowerCase() !== "bearer") {
    throw new UpstreamFailure(502, `the upstream token endpoint refused (HTTP ${response.status})`);
  }
  const lifetimeMs = typeof body.expires_in === "number" && body.expires_in > 0 ? body.expires_in * 1000 : 300_000;
  // Renewed shortly before it expires; for very short lifetimes, halfway.
  return { token: body.access_token, renewAt: Date.now() + Math.max(lifetimeMs / 2, lifetimeMs - TOKEN_MARGIN_MS) };
}

async function bearerFor(s: UpstreamSettings, fresh: boolean): Promise<string | undefined> {
  if (s.auth.type === "bearer") return s.auth.token;
  if (s.auth.type !== "client_credentials") return undefined;
  const key = `${s.auth.tokenUrl}\u0000${s.auth.clientId}`;
  let cached = fresh ? undefined : tokens.get(key);
  if (cached) {
    const t = await cached.catch(() => undefined);
    if (t && Date.now() < t.renewAt) return t.token;
  }
  cached = fetchToken(s);
  tokens.set(key, cached);
  cached.catch(() => tokens.delete(key));
  return (await cached).token;
}

async function once(s: UpstreamSettings, call: UpstreamCall, freshToken: boolean): Promise<Response> {
  const headers = new Headers({ accept: "application/fhir+json" });
  if (call.requestId) headers.set("x-request-id", call.requestId);
  if (call.body !== undefined) headers.set("content-type", "application/fhir+json; charset=utf-8");
  if (call.prefer) headers.set("prefer", call.prefer);
  const bearer = await bearerFor(s, freshToken);
  if (bearer) headers.set("authorization", `Bearer ${bearer}`);
  const request = new Request(`${s.baseUrl}/${call.path}`, { method: call.method, headers, body: call.body, redirect: "manual", signal: AbortSignal.timeout(s.timeoutMs) });
  return s.auth.type === "mtls" ? s.auth.fetcher.fetch(request) : fetch(request);
}

async function read(s: UpstreamSettings, response: Response): Promise<UpstreamAnswer> {
  if (response.status === 204 || response.headers.get("content-length") === "0") {
    await response.body?.cancel();
    return { status: response.status, json: undefined, headers: response.headers };
  }
  const type = response.headers.get("content-type");
  // A refusal's status says enough (a 404 page, a 400 in HTML): its body is not read (issue 15 #6: the client's
  // error stays the client's error, whatever the upstream's error pages look like).
  if (response.status >= 400 && response.status < 500 && (type === null || !FHIR_JSON.test(type))) {
    await response.body?.cancel();
    return { status: response.status, json: undefined, headers: response.headers };
  }
  // A body must be FHIR JSON; an empty one (a 201 with only a Location) needs no content type.
  if (type !== null && !FHIR_JSON.test(type)) {
    await response.body?.cancel();
    throw new UpstreamFailure(502, `the upstream answered HTTP ${response.status} with content type '${type.slice(0, 60)}', not FHIR JSON`);
  }
  let text: string;
  try {
    text = await readTextCapped(response, s.maxBytes);
  } catch (e) {
    if (e instanceof BodyTooLargeError) throw new UpstreamFailure(502, `the upstream answer exceeds ${s.maxBytes} bytes`);
    if ((e as Error).name === "TimeoutError") throw new UpstreamFailure(504, "the upstream answer did not arrive in time");
    throw new UpstreamFailure(502, "the upstream answer could not be read as UTF-8");
  }
  if (text.trim() === "") return { status: response.status, json: undefined, headers: response.headers };
  if (type === null) throw new UpstreamFailure(502, `the upstream answered HTTP ${response.status} with a body but no content type`);
  try {
    return { status: response.status, json: JSON.parse(text) as unknown, headers: response.headers };
  } catch {
    throw new UpstreamFailure(502, "the upstream answer is not valid JSON");
  }
}

/** One upstream interaction, with the retries described above; 4xx answers are returned for the caller to map. */
export async function upstreamRequest(s: UpstreamSettings, call: UpstreamCall): Promise<UpstreamAnswer> {
  const attempts = call.method === "GET" ? 2 : 1;
  let renewed = false;
  for (let attempt = 1; ; attempt++) {
    const started = Date.now();
    let response: Response;
    try {
      response = await once(s, call, renewed);
    } catch (e) {
      if (e instanceof UpstreamFailure) throw e;
      const timedOut = (e as Error).name === "TimeoutError";
      log("warn", "upstream.request", { requestId: call.requestId ?? null, upstream: s.key, purpose: call.purpose, method: call.method, attempt, outcome: timedOut ? "timeout" : "unreachable", ms: Date.now() - started });
      // A time-out has already cost the whole budget: it is not repeated.
      if (!timedOut && attempt < attempts) continue;
      throw new UpstreamFailure(timedOut ? 504 : 502, timedOut ? `the upstream did not answer within ${s.timeoutMs} ms` : `the upstream could not be reached (${(e as Error).name})`);
    }
    log(response.status < 400 ? "info" : "warn", "upstream.request", { requestId: call.requestId ?? null, upstream: s.key, purpose: call.purpose, method: call.method, attempt, status: response.status, ms: Date.now() - started });
    if (response.status === 401 && s.auth.type === "client_credentials" && !renewed) {
      // The credential expired mid-run: renewed once.
      await response.body?.cancel();
      renewed = true;
      attempt--;
      continue;
    }
    if (response.status >= 500) {
      await response.body?.cancel();
      if (attempt < attempts) continue;
      throw new UpstreamFailure(502, `the upstream answered HTTP ${response.status}`);
    }
    if (response.status === 401 || response.status === 403) {
      await response.body?.cancel();
      throw new UpstreamFailure(502, `the upstream refused the Resource Server's credentials (HTTP ${response.status})`);
    }
    return read(s, response);
  }
}
