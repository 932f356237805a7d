/**
 * An OpenID Connect provider as a relying party sees it: its discovery document (OpenID Connect Discovery
 * 1.0 §4, cached per isolate, the document's issuer must be the configured one exactly, §4.3) and its JWKS
 * (jose `createRemoteJWKSet`: cached, refetched on an unknown key id, so key rotation needs nothing).
 * Every call is bounded in time and size; an unreachable or failing provider is `OidcUnavailable`.
 */
import { createRemoteJWKSet } from "jose";
import { BodyTooLargeError, readTextCapped } from "../http/body.ts";
import type { OidcClientSettings } from "./settings.ts";

const DISCOVERY_TTL_MS = 3_600_000;
const MAX_RESPONSE_BYTES = 64 * 1024;

export interface ProviderMetadata {
  readonly issuer: string;
  readonly authorizationEndpoint: string;
  readonly tokenEndpoint: string;
  readonly jwks: ReturnType<typeof createRemoteJWKSet>;
  /** RFC 9207 §3: the provider announced it always sends `iss`, so an answer without it is refused. */
  readonly issParameterSupported: boolean;
  readonly loadedAt: number;
}

/** The provider could not be reached in time, or answered with a server error. */
export class OidcUnavailable extends Error {
  override readonly name = "OidcUnavailable";
}

const discovered = new Map<string, ProviderMetadata>();

export async function getJson(url: string, init: RequestInit, timeoutMs: number): Promise<{ status: number; body: Record<string, unknown> | undefined }> {
  let response: Response;
  try {
    response = await fetch(url, { ...init, redirect: "manual", signal: AbortSignal.timeout(timeoutMs) });
  } catch (e) {
    const name = (e as Error).name;
    throw new OidcUnavailable(name === "TimeoutError" ? `no answer from ${new URL(url).host} within ${timeoutMs} ms` : `${new URL(url).host} unreachable (${name})`);
  }
  if (response.status >= 500) {
    await response.body?.cancel();
    throw new OidcUnavailable(`${new URL(url).host} answered HTTP ${response.status}`);
  }
  try {
    const parsed: unknown = JSON.parse(await readTextCapped(response, MAX_RESPONSE_BYTES));
    return { status: response.status, body: parsed && typeof parsed === "object" && !Array.isArray(parsed) ? (parsed as Record<string, unknown>) : undefined };
  } catch (e) {
    if (e instanceof BodyTooLargeError) return { status: response.status, body: undefined };
    return { status: response.status, body: undefined };
  }
}

const httpsString = (v: unknown): string | undefined => {
  if (typeof v !== "string") return undefined;
  try {
    return new URL(v).protocol === "https:" ? v : undefined;
  } catch {
    return undefined;
  }
};

export async function providerMetadata(s: OidcClientSettings): Promise<ProviderMetadata> {
  const hit = discovered.get(s.issuer);
  if (hit && Date.now() - hit.loadedAt < DISCOVERY_TTL_MS) return hit;
  const url = `${s.issuer.replace(/\/$/, "")}/.well-known/openid-configuration`;
  const { status, body } = await getJson(url, { headers: { accept: "application/json" } }, s.timeoutMs);
  if (status !== 200 || !body) throw new OidcUnavailable(`discovery answered HTTP ${status}`);
  const authorizationEndpoint = httpsString(body.authorization_endpoint);
  const tokenEndpoint = httpsString(body.token_endpoint);
  const jwksUri = httpsString(body.jwks_uri);
  if (body.issuer !== s.issuer || !authorizationEndpoint || !tokenEndpoint || !jwksUri) throw new OidcUnavailable("the discovery document is not this issuer's, or lacks https endpoints");
  const meta: ProviderMetadata = {
    issuer: s.issuer,
    authorizationEndpoint,
    tokenEndpoint,
    jwks: createRemoteJWKSet(new URL(jwksUri), { cooldownDuration: s.jwksCooldownMs, cacheMaxAge: 600_000, timeoutDuration: s.timeoutMs }),
    issParameterSupported: body.authorization_response_iss_parameter_supported === true,
    loadedAt: Date.now(),
  };
  discovered.set(s.issuer, meta);
  return meta;
}
