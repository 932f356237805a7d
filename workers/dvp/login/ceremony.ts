/**
 * The browser a login ceremony belongs to (SPEC X-9, S-3). Before login that is a random id in a `__Host-`
 * cookie (HttpOnly, SameSite=Lax: sent on the top-level return from the identity provider, not on another
 * site's POST); after login, when a passkey is added, the Person session itself. Only hashes reach storage,
 * and the ceremony lives in the LoginCeremonies shard its browser's hash selects.
 */
import type { CeremonyPurpose, CeremonyTaken, LoginCeremonies } from "../../../durable-objects/login-ceremonies.ts";
import { randomHandle, sha256Hex } from "../../shared/crypto.ts";
import { placed } from "../../shared/durable/placement.ts";
import { clearHostCookie, hostCookie, readCookie } from "../../shared/http/cookies.ts";
import { hashHandleSync, shardCountOf } from "../../shared/shard.ts";
import type { Env } from "../env.ts";
import type { ObjectStub } from "../../shared/ports.ts";

export const LOGIN_COOKIE = "__Host-pgo-login";
const LOGIN_COOKIE_MAX_AGE_S = 15 * 60;

/** A WebAuthn ceremony is answered within 5 minutes (its timeout), an OIDC login within 10. */
export const CEREMONY_TTL_MS: Readonly<Record<CeremonyPurpose, number>> = {
  "passkey-register": 300_000,
  "passkey-login": 300_000,
  "passkey-add": 300_000,
  "oidc-login": 600_000,
};

export interface CeremonyBinding {
  /** The hash the ceremony is bound to. */
  readonly hash: string;
  /** Set when the binding was just created: the cookie the response must set. */
  readonly setCookie?: string;
}

type CeremonyEnv = Pick<Env, "CEREMONIES" | "SESSION_SHARDS" | "DO_JURISDICTION" | "DEPLOYMENT_ENV">;

const HANDLE = /^[A-Za-z0-9_-]{43}$/;

/** The browser's pre-login binding; with `create`, a new one when it has none. */
export async function browserBinding(request: Request, create: true): Promise<CeremonyBinding>;
export async function browserBinding(request: Request, create: false): Promise<CeremonyBinding | undefined>;
export async function browserBinding(request: Request, create: boolean): Promise<CeremonyBinding | undefined> {
  const id = readCookie(request, LOGIN_COOKIE);
  if (id && HANDLE.test(id)) return { hash: await sha256Hex(`pgo-login:${id}`) };
  if (!create) return undefined;
  const fresh = randomHandle();
  return { hash: await sha256Hex(`pgo-login:${fresh}`), setCookie: hostCookie(LOGIN_COOKIE, fresh, LOGIN_COOKIE_MAX_AGE_S) };
}

export const clearBrowserBinding = (): string => clearHostCookie(LOGIN_COOKIE);

function shardOf(env: CeremonyEnv, bindingHash: string): ObjectStub<LoginCeremonies> {
  const ns = placed(env, env.CEREMONIES);
  return ns.get(ns.idFromName(`ceremonies-${hashHandleSync(bindingHash, shardCountOf(env.SESSION_SHARDS)).shard}`));
}

/** `key`: the challenge or state the answer will carry; stored as its hash. */
export async function startCeremony(env: CeremonyEnv, bindingHash: string, key: string, purpose: CeremonyPurpose, data: Record<string, string>): Promise<boolean> {
  return shardOf(env, bindingHash).start(await sha256Hex(key), bindingHash, purpose, data, CEREMONY_TTL_MS[purpose]);
}

export async function takeCeremony(env: CeremonyEnv, bindingHash: string, key: string, purpose: CeremonyPurpose): Promise<CeremonyTaken> {
  return shardOf(env, bindingHash).take(await sha256Hex(key), bindingHash, purpose);
}
