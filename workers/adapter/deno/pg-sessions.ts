/**
 * The front-channel and login state in PostgreSQL (GRANTS_BACKEND=postgres), so any instance on any host serves
 * any step of a flow: the DVZA's AuthorizationSessions (SPEC AS-1, AS-2, X-3), the PGO's DvpSessions (sessions
 * and OAuth flows, AS-15) and LoginCeremonies. The RPC surface and the answers of
 * durable-objects/authorization-sessions.ts, dvp-sessions.ts and login-ceremonies.ts.
 *
 * Every step that must happen once is one statement whose WHERE clause is the condition for it (a session in
 * the phase the step leaves, a flow or ceremony not yet used, from the browser that started it): PostgreSQL
 * applies it to the row as it stands, re-checking the condition after waiting for a concurrent writer, so of
 * two racing steps exactly one finds the row in the state it needs. When nothing matched, a second read only
 * tells which refusal to report; it decides nothing. Every write commits with synchronous_commit = on before the
 * answer is returned.
 */
import type { AuthorizationRequest, AuthorizationSession } from "../../../durable-objects/authorization-sessions.ts";
import { SESSION_TTL_MS } from "../../../durable-objects/authorization-sessions.ts";
import type { Flow, FlowRefusal } from "../../../durable-objects/dvp-sessions.ts";
import { FLOW_TTL_MS, PERSON_SESSION_TTL_MS } from "../../../durable-objects/dvp-sessions.ts";
import type { CeremonyPurpose, CeremonyTaken } from "../../../durable-objects/login-ceremonies.ts";
import { PgNamespace, type Pg, type Sql } from "./postgres.ts";

/** Used ceremonies are remembered this long past their expiry (login-ceremonies.ts REMEMBER_MS). */
const CEREMONY_REMEMBER_MS = 15 * 60_000;

export const SESSIONS_SCHEMA = `
CREATE TABLE IF NOT EXISTS medmij_as_sessions (
  object text COLLATE "C" NOT NULL, id_hash text COLLATE "C" NOT NULL, data jsonb NOT NULL, expires_at bigint NOT NULL,
  PRIMARY KEY (object, id_hash)
);
CREATE TABLE IF NOT EXISTS medmij_as_assertions (
  object text COLLATE "C" NOT NULL, id_hash text COLLATE "C" NOT NULL, expires_at bigint NOT NULL,
  PRIMARY KEY (object, id_hash)
);
CREATE TABLE IF NOT EXISTS medmij_dvp_sessions (
  object text COLLATE "C" NOT NULL, id_hash text COLLATE "C" NOT NULL, person text NOT NULL, expires_at bigint NOT NULL,
  PRIMARY KEY (object, id_hash)
);
CREATE INDEX IF NOT EXISTS medmij_dvp_sessions_by_person ON medmij_dvp_sessions (object, person);
CREATE TABLE IF NOT EXISTS medmij_dvp_flows (
  object text COLLATE "C" NOT NULL, state_hash text COLLATE "C" NOT NULL, session_hash text COLLATE "C" NOT NULL, data jsonb NOT NULL,
  expires_at bigint NOT NULL, used_at bigint,
  PRIMARY KEY (object, state_hash)
);
CREATE INDEX IF NOT EXISTS medmij_dvp_flows_by_session ON medmij_dvp_flows (object, session_hash);
CREATE TABLE IF NOT EXISTS medmij_ceremonies (
  object text COLLATE "C" NOT NULL, key_hash text COLLATE "C" NOT NULL, binding_hash text COLLATE "C" NOT NULL, purpose text NOT NULL,
  data jsonb NOT NULL, expires_at bigint NOT NULL, used_at bigint,
  PRIMARY KEY (object, key_hash)
);
`;

/** AuthorizationSessions (durable-objects/authorization-sessions.ts) over medmij_as_sessions. */
export class PgAuthorizationSessions {
  constructor(
    private readonly sql: Sql,
    private readonly object: string,
  ) {}

  async useAssertion(idHash: string, expiresAt: number): Promise<boolean> {
    // An entry past its expiry is what the object's alarm would have deleted: seen afresh.
    const rows = await this.sql`
      INSERT INTO medmij_as_assertions (object, id_hash, expires_at) VALUES (${this.object}, ${idHash}, ${expiresAt}::bigint)
      ON CONFLICT (object, id_hash) DO UPDATE SET expires_at = excluded.expires_at WHERE medmij_as_assertions.expires_at <= ${Date.now()}::bigint
      RETURNING 1`;
    return rows.length === 1;
  }

  async create(idHash: string, request: AuthorizationRequest, relayHash: string, authn: Readonly<Record<string, string>>): Promise<boolean> {
    const expiresAt = Date.now() + SESSION_TTL_MS;
    const session: AuthorizationSession = { request, relayHash, phase: "authenticating", authn, subject: null, expiresAt };
    const rows = await this.sql`
      INSERT INTO medmij_as_sessions (object, id_hash, data, expires_at) VALUES (${this.object}, ${idHash}, ${this.sql.json(session as never)}, ${expiresAt}::bigint)
      ON CONFLICT DO NOTHING RETURNING 1`;
    return rows.length === 1;
  }

  async get(idHash: string): Promise<AuthorizationSession | null> {
    const row = (await this.sql<{ data: AuthorizationSession }[]>`
      SELECT data FROM medmij_as_sessions WHERE object = ${this.object} AND id_hash = ${idHash} AND expires_at > ${Date.now()}::bigint`)[0];
    return row?.data ?? null;
  }

  async beginVerification(idHash: string, relayHash: string): Promise<AuthorizationSession | null> {
    const row = (await this.sql<{ data: AuthorizationSession }[]>`
      UPDATE medmij_as_sessions SET data = data || '{"phase":"verifying"}'::jsonb
      WHERE object = ${this.object} AND id_hash = ${idHash} AND expires_at > ${Date.now()}::bigint
        AND data->>'phase' = 'authenticating' AND data->>'relayHash' = ${relayHash}
      RETURNING data`)[0];
    return row?.data ?? null;
  }

  async authenticated(idHash: string, subject: string): Promise<AuthorizationSession | null> {
    const row = (await this.sql<{ data: AuthorizationSession }[]>`
      UPDATE medmij_as_sessions SET data = data || jsonb_build_object('phase', 'consenting', 'subject', ${subject}::text, 'authn', '{}'::jsonb)
      WHERE object = ${this.object} AND id_hash = ${idHash} AND expires_at > ${Date.now()}::bigint AND data->>'phase' = 'verifying'
      RETURNING data`)[0];
    return row?.data ?? null;
  }

  async abandon(idHash: string): Promise<AuthorizationSession | null> {
    const row = (await this.sql<{ data: AuthorizationSession; expires_at: number }[]>`
      DELETE FROM medmij_as_sessions WHERE object = ${this.object} AND id_hash = ${idHash} RETURNING data, expires_at`)[0];
    return row && Date.now() < row.expires_at ? row.data : null;
  }

  /** The consent decision: the session ends here, once (a second decision finds nothing). */
  async finish(idHash: string): Promise<AuthorizationSession | null> {
    const row = (await this.sql<{ data: AuthorizationSession; expires_at: number }[]>`
      DELETE FROM medmij_as_sessions WHERE object = ${this.object} AND id_hash = ${idHash} RETURNING data, expires_at`)[0];
    if (!row || Date.now() >= row.expires_at) return null;
    return row.data.phase === "consenting" ? row.data : null;
  }
}

/** DvpSessions (durable-objects/dvp-sessions.ts) over medmij_dvp_sessions and medmij_dvp_flows. */
export class PgDvpSessions {
  constructor(
    private readonly sql: Sql,
    private readonly object: string,
  ) {}

  async createSession(idHash: string, personId: string): Promise<boolean> {
    const rows = await this.sql`
      INSERT INTO medmij_dvp_sessions (object, id_hash, person, expires_at) VALUES (${this.object}, ${idHash}, ${personId}, ${Date.now() + PERSON_SESSION_TTL_MS}::bigint)
      ON CONFLICT DO NOTHING RETURNING 1`;
    return rows.length === 1;
  }

  async person(idHash: string): Promise<string | null> {
    const row = (await this.sql<{ person: string }[]>`
      SELECT person FROM medmij_dvp_sessions WHERE object = ${this.object} AND id_hash = ${idHash} AND expires_at > ${Date.now()}::bigint`)[0];
    return row?.person ?? null;
  }

  async endSession(idHash: string): Promise<void> {
    await this.sql`
      WITH s AS (DELETE FROM medmij_dvp_sessions WHERE object = ${this.object} AND id_hash = ${idHash})
      DELETE FROM medmij_dvp_flows WHERE object = ${this.object} AND session_hash = ${idHash}`;
  }

  async endSessionsOf(personId: string): Promise<number> {
    const row = (await this.sql<{ n: number }[]>`
      WITH s AS (DELETE FROM medmij_dvp_sessions WHERE object = ${this.object} AND person = ${personId} RETURNING id_hash),
           f AS (DELETE FROM medmij_dvp_flows WHERE object = ${this.object} AND session_hash IN (SELECT id_hash FROM s))
      SELECT count(*)::int AS n FROM s`)[0];
    return row?.n ?? 0;
  }

  async startFlow(stateHash: string, sessionHash: string, flow: Flow): Promise<boolean> {
    const rows = await this.sql`
      INSERT INTO medmij_dvp_flows (object, state_hash, session_hash, data, expires_at)
      VALUES (${this.object}, ${stateHash}, ${sessionHash}, ${this.sql.json(flow as never)}, ${Date.now() + FLOW_TTL_MS}::bigint)
      ON CONFLICT DO NOTHING RETURNING 1`;
    return rows.length === 1;
  }

  /** Used once, only from the session that started it (marked used even when it turns out expired, as the object does). */
  async takeFlow(stateHash: string, sessionHash: string): Promise<{ ok: true; flow: Flow } | { ok: false; refusal: FlowRefusal }> {
    const now = Date.now();
    const taken = (await this.sql<{ data: Flow; expires_at: number }[]>`
      UPDATE medmij_dvp_flows SET used_at = ${now}::bigint
      WHERE object = ${this.object} AND state_hash = ${stateHash} AND session_hash = ${sessionHash} AND used_at IS NULL
      RETURNING data, expires_at`)[0];
    if (taken) return now >= taken.expires_at ? { ok: false, refusal: "expired" } : { ok: true, flow: taken.data };
    const row = (await this.sql<{ session_hash: string; used_at: number | null }[]>`
      SELECT session_hash, used_at FROM medmij_dvp_flows WHERE object = ${this.object} AND state_hash = ${stateHash}`)[0];
    if (!row) return { ok: false, refusal: "unknown" };
    if (row.session_hash !== sessionHash) return { ok: false, refusal: "foreign" };
    return { ok: false, refusal: "used" };
  }
}

/** LoginCeremonies (durable-objects/login-ceremonies.ts) over medmij_ceremonies. */
export class PgLoginCeremonies {
  constructor(
    private readonly sql: Sql,
    private readonly object: string,
  ) {}

  async start(keyHash: string, bindingHash: string, purpose: CeremonyPurpose, data: Record<string, string>, ttlMs: number): Promise<boolean> {
    const rows = await this.sql`
      INSERT INTO medmij_ceremonies (object, key_hash, binding_hash, purpose, data, expires_at)
      VALUES (${this.object}, ${keyHash}, ${bindingHash}, ${purpose}, ${this.sql.json(data)}, ${Date.now() + ttlMs}::bigint)
      ON CONFLICT DO NOTHING RETURNING 1`;
    return rows.length === 1;
  }

  async take(keyHash: string, bindingHash: string, purpose: CeremonyPurpose): Promise<CeremonyTaken> {
    const now = Date.now();
    const taken = (await this.sql<{ data: Record<string, string>; expires_at: number }[]>`
      UPDATE medmij_ceremonies SET used_at = ${now}::bigint
      WHERE object = ${this.object} AND key_hash = ${keyHash} AND purpose = ${purpose} AND binding_hash = ${bindingHash} AND used_at IS NULL
      RETURNING data, expires_at`)[0];
    if (taken) return now >= taken.expires_at ? { ok: false, refusal: "expired" } : { ok: true, data: taken.data };
    const row = (await this.sql<{ binding_hash: string; purpose: string }[]>`
      SELECT binding_hash, purpose FROM medmij_ceremonies WHERE object = ${this.object} AND key_hash = ${keyHash}`)[0];
    if (!row || row.purpose !== purpose) return { ok: false, refusal: "unknown" };
    if (row.binding_hash !== bindingHash) return { ok: false, refusal: "foreign" };
    return { ok: false, refusal: "used" };
  }
}

export const pgAuthorizationSessions = (pg: Pg) => new PgNamespace(pg, (object) => new PgAuthorizationSessions(pg.sql, object));
export const pgDvpSessions = (pg: Pg) => new PgNamespace(pg, (object) => new PgDvpSessions(pg.sql, object));
export const pgLoginCeremonies = (pg: Pg) => new PgNamespace(pg, (object) => new PgLoginCeremonies(pg.sql, object));

/** The objects' alarms: what expired goes. */
export async function purgeSessions(sql: Sql, now = Date.now()): Promise<void> {
  await sql`DELETE FROM medmij_as_sessions WHERE expires_at <= ${now}::bigint`;
  await sql`DELETE FROM medmij_as_assertions WHERE expires_at <= ${now}::bigint`;
  await sql`DELETE FROM medmij_dvp_sessions WHERE expires_at <= ${now}::bigint`;
  await sql`DELETE FROM medmij_dvp_flows WHERE expires_at <= ${now}::bigint`;
  await sql`DELETE FROM medmij_ceremonies WHERE expires_at <= ${now - CEREMONY_REMEMBER_MS}::bigint`;
}
