import { SELF, env } from "cloudflare:test";
import type { Grant } from "../../../durable-objects/grant-store.ts";
import type { Env } from "../../../workers/dvza/env.ts";
import { issueCode } from "../../../workers/dvza/grants.ts";
import { DVP_KLUIS, UMC_HOST, mtlsFrom } from "../../helpers/network.ts";

export const dvzaEnv = env as unknown as Env;
export const TOKEN_URL = `https://${UMC_HOST}/oauth/token`;
export const REDIRECT = `https://${DVP_KLUIS}/oauth/callback`;

export function grantFor(overrides: Partial<Grant> = {}): Grant {
  return {
    clientId: DVP_KLUIS,
    redirectUri: REDIRECT,
    scope: "umcharderwijk~48",
    zorgaanbieder: "umcharderwijk@medmij",
    gegevensdienstId: "48",
    subject: "999990019",
    tokenEndpoint: TOKEN_URL,
    ...overrides,
  };
}

export async function newCode(overrides: Partial<Grant> = {}): Promise<string> {
  return (await issueCode(dvzaEnv, grantFor(overrides))).code;
}

export function tokenRequest(
  params: Record<string, string>,
  opts: { from?: string; url?: string; cf?: unknown; headers?: Record<string, string> } = {},
): Promise<Response> {
  return SELF.fetch(opts.url ?? TOKEN_URL, {
    method: "POST",
    headers: { "content-type": "application/x-www-form-urlencoded", ...(opts.headers ?? {}) },
    body: new URLSearchParams(params).toString(),
    cf: (opts.cf ?? mtlsFrom(opts.from ?? DVP_KLUIS)) as IncomingRequestCfProperties,
  });
}

export function redeem(code: string, extra: Record<string, string> = {}, opts: Parameters<typeof tokenRequest>[1] = {}): Promise<Response> {
  return tokenRequest({ grant_type: "authorization_code", code, redirect_uri: REDIRECT, ...extra }, opts);
}
