/**
 * The Person's authorization session on the front channel: a random id in a `__Host-` cookie, the
 * session itself in the AuthorizationSessions Durable Object under the id's hash (S-3: no session
 * state in URLs; AS-1/AS-2: one consent decision per session).
 */
import type { AuthorizationRequest, AuthorizationSession, AuthorizationSessions } from "../../durable-objects/authorization-sessions.ts";
import { SESSION_TTL_MS } from "../../durable-objects/authorization-sessions.ts";
import { base64url, randomHandle, sha256, sha256Hex } from "../shared/crypto.ts";
import { clearHostCookie, hostCookie, readCookie } from "../shared/http/cookies.ts";
import { placed } from "../shared/durable/placement.ts";
import type { Env } from "./env.ts";
import { hashHandle, shardCount } from "./grants.ts";
import type { ObjectStub } from "../shared/ports.ts";

export const SESSION_COOKIE = "__Host-medmij-as";

type SessionEnv = Pick<Env, "SESSIONS" | "GRANT_SHARDS" | "DO_JURISDICTION" | "DEPLOYMENT_ENV">;

async function stubFor(env: SessionEnv, id: string): Promise<{ stub: ObjectStub<AuthorizationSessions>; idHash: string }> {
  const h = await hashHandle(id, shardCount(env));
  const ns = placed(env, env.SESSIONS);
  return { stub: ns.get(ns.idFromName(`sessions-${h.shard}`)), idHash: h.hash };
}

/**
 * The CSRF token of the consent form, derived from the session id the browser holds in an HttpOnly
 * cookie: unguessable without that cookie and nothing extra to store.
 */
export async function csrfTokenFor(sessionId: string): Promise<string> {
  return base64url(await sha256(`medmij-consent-csrf:${sessionId}`));
}

/** A fresh relay value: the one-time token that ties the identity provider's answer to a session. */
export function newRelay(): string {
  return randomHandle();
}

export async function startSession(
  env: SessionEnv,
  request: AuthorizationRequest,
  relay: string,
  authn: Readonly<Record<string, string>>,
): Promise<string> {
  for (;;) {
    const id = randomHandle();
    const { stub, idHash } = await stubFor(env, id);
    if (await stub.create(idHash, request, await sha256Hex(relay), authn)) return hostCookie(SESSION_COOKIE, id, Math.floor(SESSION_TTL_MS / 1000));
  }
}

export function sessionIdFrom(request: Request): string | undefined {
  const id = readCookie(request, SESSION_COOKIE);
  return id && /^[A-Za-z0-9_-]{43}$/.test(id) ? id : undefined;
}

export async function readSession(env: SessionEnv, id: string): Promise<AuthorizationSession | null> {
  const { stub, idHash } = await stubFor(env, id);
  return stub.get(idHash);
}

/** the session's pending authentication, handed out once for the relay the Person brought back. */
export async function beginVerification(env: SessionEnv, id: string, relay: string): Promise<AuthorizationSession | null> {
  const { stub, idHash } = await stubFor(env, id);
  return stub.beginVerification(idHash, await sha256Hex(relay));
}

export async function markAuthenticated(env: SessionEnv, id: string, subject: string): Promise<AuthorizationSession | null> {
  const { stub, idHash } = await stubFor(env, id);
  return stub.authenticated(idHash, subject);
}

export async function abandonSession(env: SessionEnv, id: string): Promise<AuthorizationSession | null> {
  const { stub, idHash } = await stubFor(env, id);
  return stub.abandon(idHash);
}

export async function finishSession(env: SessionEnv, id: string): Promise<AuthorizationSession | null> {
  const { stub, idHash } = await stubFor(env, id);
  return stub.finish(idHash);
}

export const CLEAR_SESSION_COOKIE = clearHostCookie(SESSION_COOKIE);

/**
 * SAML Profiles §4.1.4.5 (issue 15 #5): true the first time an assertion ID is seen, false for a replay.
 * Kept (hashed) until the assertion's NotOnOrAfter, in the shard its hash selects, so every session sees it.
 */
export async function useAssertionOnce(env: SessionEnv, assertionId: string, notOnOrAfter: number): Promise<boolean> {
  const h = await hashHandle(`saml-assertion:${assertionId}`, shardCount(env));
  const ns = placed(env, env.SESSIONS);
  return ns.get(ns.idFromName(`sessions-${h.shard}`)).useAssertion(h.hash, notOnOrAfter);
}
