/**
 * The Person's session at the PGO: a random id in a `__Host-` cookie, its hash in DvpSessions.
 * Sharded by the id's hash; a flow (OAuth state) lives in its session's shard.
 */
import type { DvpSessions, Flow, FlowRefusal } from "../../durable-objects/dvp-sessions.ts";
import { PERSON_SESSION_TTL_MS } from "../../durable-objects/dvp-sessions.ts";
import { base64url, randomHandle, sha256, sha256Hex } from "../shared/crypto.ts";
import { clearHostCookie, hostCookie, readCookie } from "../shared/http/cookies.ts";
import { hashHandle, shardCountOf } from "../shared/shard.ts";
import { placed } from "../shared/durable/placement.ts";
import type { Env } from "./env.ts";
import type { ObjectStub } from "../shared/ports.ts";

export const COOKIE = "__Host-pgo-session";

export interface PersonSession {
  readonly id: string;
  readonly idHash: string;
  readonly personId: string;
  readonly stub: ObjectStub<DvpSessions>;
}

type SessionEnv = Pick<Env, "SESSIONS" | "SESSION_SHARDS" | "DO_JURISDICTION" | "DEPLOYMENT_ENV">;

async function locate(env: SessionEnv, id: string): Promise<{ idHash: string; stub: ObjectStub<DvpSessions> }> {
  const h = await hashHandle(id, shardCountOf(env.SESSION_SHARDS));
  const ns = placed(env, env.SESSIONS);
  return { idHash: h.hash, stub: ns.get(ns.idFromName(`sessions-${h.shard}`)) };
}

export async function login(env: SessionEnv, personId: string): Promise<string> {
  for (;;) {
    const id = randomHandle();
    const { idHash, stub } = await locate(env, id);
    if (await stub.createSession(idHash, personId)) return hostCookie(COOKIE, id, Math.floor(PERSON_SESSION_TTL_MS / 1000));
  }
}

export async function currentSession(env: SessionEnv, request: Request): Promise<PersonSession | null> {
  const id = readCookie(request, COOKIE);
  if (!id || !/^[A-Za-z0-9_-]{43}$/.test(id)) return null;
  const { idHash, stub } = await locate(env, id);
  const personId = await stub.person(idHash);
  return personId ? { id, idHash, personId, stub } : null;
}

/** P-2: every session of this Person, in every shard, ends (with the flows they started). */
export async function endSessionsOf(env: SessionEnv, personId: string): Promise<void> {
  const ns = placed(env, env.SESSIONS);
  const shards = shardCountOf(env.SESSION_SHARDS);
  await Promise.all(Array.from({ length: shards }, (_, shard) => ns.get(ns.idFromName(`sessions-${shard}`)).endSessionsOf(personId)));
}

export async function logout(session: PersonSession): Promise<string> {
  await session.stub.endSession(session.idHash);
  return clearHostCookie(COOKIE);
}

/** CSRF token for the PGO's own forms, derived from the HttpOnly session id. */
export async function csrfFor(session: PersonSession): Promise<string> {
  return base64url(await sha256(`pgo-csrf:${session.id}`));
}

/**
 * AS-15: a fresh random state (256 bits) that carries nothing, not a URI, not a name; the flow it
 * names is stored server-side, bound to this session.
 */
export async function startFlow(session: PersonSession, flow: Flow): Promise<string> {
  for (;;) {
    const state = randomHandle();
    if (await session.stub.startFlow(await sha256Hex(state), session.idHash, flow)) return state;
  }
}

export async function takeFlow(session: PersonSession, state: string): Promise<{ ok: true; flow: Flow } | { ok: false; refusal: FlowRefusal }> {
  return session.stub.takeFlow(await sha256Hex(state), session.idHash);
}
