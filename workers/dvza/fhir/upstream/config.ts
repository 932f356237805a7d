/**
 * Where each Zorgaanbieder's (and Gegevensdienst's) data comes from (SPEC X-4): the embedded FhirStore
 * (`store`, the default) or the provider's own FHIR STU3 server (`upstream`). FHIR_UPSTREAMS is JSON keyed
 * like a MedMij scope: `naam~GegevensdienstId` for one Gegevensdienst, `naam` for all of a provider's:
 *
 *   {
 *     "umcharderwijk": { "mode": "upstream", "baseUrl": "https://fhir.umcharderwijk.nl/stu3",
 *                         "auth": { "type": "client_credentials", "tokenUrl": "https://...", "clientId": "medmij-rs",
 *                                   "secretBinding": "UPSTREAM_SECRET_UMC", "scope": "system/*.read" } },
 *     "umcharderwijk~51": { "mode": "store" },
 *     "delinde": { "mode": "upstream", "baseUrl": "https://...", "auth": { "type": "mtls", "binding": "UPSTREAM_MTLS_DELINDE" } },
 *     "oost": { "mode": "upstream", "baseUrl": "https://...", "auth": { "type": "bearer", "secretBinding": "UPSTREAM_TOKEN_OOST" } }
 *   }
 *
 * Optional per upstream: `patientIdentifierSystem` (default the BSN system), `timeoutMs` (10000), `maxBytes`
 * (5 MiB), `pagingParams` (the server's own paging parameters, passed through opaquely), and `restrict`:
 * search parameters the RS adds to every search of a type, so that one FHIR server holding several
 * Gegevensdiensten keeps each token within its own (AS-6), e.g. `"umcharderwijk~24": {..., "restrict":
 * {"Observation": "category=laboratory"}}`; reads of a restricted type are made as a search by _id.
 * Checked once per isolate: a bad entry is one log line and a 503 OperationOutcome for its provider only.
 */
import { log } from "../../../shared/log.ts";
import { searchParameter } from "../../../fhir/parameters.ts";
import { BSN_SYSTEM } from "./compartment.ts";
import type { ServiceBinding } from "../../../shared/ports.ts";

export type UpstreamAuth =
  | { readonly type: "none" }
  | { readonly type: "bearer"; readonly token: string }
  | { readonly type: "mtls"; readonly fetcher: ServiceBinding }
  | { readonly type: "client_credentials"; readonly tokenUrl: string; readonly clientId: string; readonly secret: string; readonly scope: string | undefined };

export interface UpstreamSettings {
  /** The key it was configured under, for logs and caches. */
  readonly key: string;
  readonly baseUrl: string;
  readonly auth: UpstreamAuth;
  readonly patientIdentifierSystem: string;
  readonly timeoutMs: number;
  readonly maxBytes: number;
  readonly pagingParams: ReadonlySet<string>;
  /** Per resource type, parameters added to every search of it (AS-6 at a shared FHIR server). */
  readonly restrict: ReadonlyMap<string, readonly [string, string][]>;
}

export type SourceChoice = { readonly mode: "store" } | { readonly mode: "upstream"; readonly upstream: UpstreamSettings } | { readonly mode: "misconfigured"; readonly reason: string };

const DEFAULT_PAGING = ["_getpages", "_getpagesoffset", "_bundletype", "_pretty", "_page_token", "_offset", "page", "_cursor", "ct"];

type Raw = Record<string, unknown>;

function httpsUrl(v: unknown): string | undefined {
  if (typeof v !== "string") return undefined;
  try {
    const u = new URL(v);
    return u.protocol === "https:" && u.search === "" && u.hash === "" && u.username === "" ? u.href.replace(/\/$/, "") : undefined;
  } catch {
    return undefined;
  }
}

function secretFrom(env: Record<string, unknown>, name: unknown): string | undefined {
  const v = typeof name === "string" ? env[name] : undefined;
  return typeof v === "string" && v !== "" ? v : undefined;
}

function auth(raw: unknown, env: Record<string, unknown>): UpstreamAuth | string {
  const a = (raw ?? {}) as Raw;
  switch (a.type) {
    case "none":
      return { type: "none" };
    case "bearer": {
      const token = secretFrom(env, a.secretBinding);
      return token ? { type: "bearer", token } : `bearer: secretBinding '${String(a.secretBinding)}' names no secret`;
    }
    case "mtls": {
      const f = typeof a.binding === "string" ? (env[a.binding] as ServiceBinding | undefined) : undefined;
      return f && typeof f.fetch === "function" ? { type: "mtls", fetcher: f } : `mtls: binding '${String(a.binding)}' is not an mtls_certificates binding`;
    }
    case "client_credentials": {
      const tokenUrl = httpsUrl(a.tokenUrl);
      const secret = secretFrom(env, a.secretBinding);
      if (!tokenUrl) return "client_credentials: tokenUrl must be https";
      if (typeof a.clientId !== "string" || a.clientId === "") return "client_credentials: clientId is missing";
      if (!secret) return `client_credentials: secretBinding '${String(a.secretBinding)}' names no secret`;
      return { type: "client_credentials", tokenUrl, clientId: a.clientId, secret, scope: typeof a.scope === "string" ? a.scope : undefined };
    }
    default:
      return `auth.type must be mtls, bearer, client_credentials or none`;
  }
}

function entry(key: string, raw: unknown, env: Record<string, unknown>): SourceChoice {
  const bad = (why: string): SourceChoice => ({ mode: "misconfigured", reason: `FHIR_UPSTREAMS['${key}']: ${why}` });
  if (!raw || typeof raw !== "object") return bad("not an object");
  const r = raw as Raw;
  if (r.mode === "store") return { mode: "store" };
  if (r.mode !== "upstream") return bad("mode must be store or upstream");
  const baseUrl = httpsUrl(r.baseUrl);
  if (!baseUrl) return bad("baseUrl must be an https URL without query");
  const a = auth(r.auth, env);
  if (typeof a === "string") return bad(a);
  const timeoutMs = Number(r.timeoutMs ?? 10_000);
  const maxBytes = Number(r.maxBytes ?? 5 * 1024 * 1024);
  if (!Number.isInteger(timeoutMs) || timeoutMs < 100 || timeoutMs > 60_000) return bad("timeoutMs must be 100..60000");
  if (!Number.isInteger(maxBytes) || maxBytes < 1024 || maxBytes > 64 * 1024 * 1024) return bad("maxBytes must be 1 KiB..64 MiB");
  const paging = r.pagingParams ?? DEFAULT_PAGING;
  if (!Array.isArray(paging) || !paging.every((p) => typeof p === "string" && /^[A-Za-z_][A-Za-z0-9_-]{0,40}$/.test(p))) return bad("pagingParams must be parameter names");
  const system = r.patientIdentifierSystem ?? BSN_SYSTEM;
  if (typeof system !== "string" || system === "") return bad("patientIdentifierSystem must be a URI");
  const restrictRaw = r.restrict ?? {};
  if (typeof restrictRaw !== "object" || Array.isArray(restrictRaw) || !Object.entries(restrictRaw).every(([t, q]) => /^[A-Z][A-Za-z]{1,63}$/.test(t) && typeof q === "string")) {
    return bad("restrict must map resource types to query strings");
  }
  const restrict = new Map(Object.entries(restrictRaw as Record<string, string>).map(([t, q]) => [t, [...new URLSearchParams(q)]]));
  // AS-6: every answer is checked against the restriction, so it must be something the RS can evaluate itself.
  for (const [type, pairs] of restrict) {
    const unusable = pairs.find(([name]) => searchParameter(type, name)?.type !== "token");
    if (unusable) return bad(`restrict: ${type} ${unusable[0]} is not a token search parameter of ${type}`);
  }
  return { mode: "upstream", upstream: { key, baseUrl, auth: a, patientIdentifierSystem: system, timeoutMs, maxBytes, pagingParams: new Set(paging as string[]), restrict } };
}

interface Parsed {
  readonly text: string | undefined;
  readonly entries: ReadonlyMap<string, SourceChoice>;
  readonly broken: string | undefined;
}

/** Per env object (stable per isolate on the edge), so secrets and bindings are read with the text they go with. */
const parsedFor = new WeakMap<object, Parsed>();

function load(text: string | undefined, env: Record<string, unknown>): Parsed {
  const hit = parsedFor.get(env);
  if (hit && hit.text === text) return hit;
  let entries = new Map<string, SourceChoice>();
  let broken: string | undefined;
  if (text !== undefined && text.trim() !== "") {
    try {
      const json: unknown = JSON.parse(text);
      if (!json || typeof json !== "object" || Array.isArray(json)) throw new Error("not an object");
      entries = new Map(Object.entries(json).map(([k, v]) => [k, entry(k, v, env)]));
    } catch (e) {
      broken = `FHIR_UPSTREAMS is not valid JSON (${(e as Error).message})`;
    }
  }
  for (const c of entries.values()) if (c.mode === "misconfigured") log("error", "fhir.config", { reason: c.reason });
  if (broken) log("error", "fhir.config", { reason: broken });
  const result = { text, entries, broken };
  parsedFor.set(env, result);
  return result;
}

/** Where this provider's Gegevensdienst is served from; `naam` is the full `x@medmij` name. */
export function sourceFor(env: { FHIR_UPSTREAMS?: string } & Record<string, unknown>, zorgaanbieder: string, gegevensdienstId: string): SourceChoice {
  const p = load(env.FHIR_UPSTREAMS, env);
  if (p.broken) return { mode: "misconfigured", reason: p.broken };
  const naam = zorgaanbieder.replace(/@medmij$/, "");
  return p.entries.get(`${naam}~${gegevensdienstId}`) ?? p.entries.get(naam) ?? { mode: "store" };
}
