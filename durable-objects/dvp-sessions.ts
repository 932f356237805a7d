/**
 * DvpSessions: the PGO's Person sessions and the OAuth flows they start (SPEC AS-15, S-3).
 * A flow is found by the hash of its `state`, belongs to one session, is used once and expires:
 * the callback can only complete a flow that this very browser started, minutes ago.
 */
import { DurableObject } from "cloudflare:workers";
import type { ObjectStorage, SqlStore } from "../workers/shared/ports.ts";
import type { RuntimeState } from "./state.ts";

export const PERSON_SESSION_TTL_MS = 8 * 3600_000;
export const FLOW_TTL_MS = 15 * 60_000;

export interface Flow {
  readonly personId: string;
  readonly zorgaanbieder: string;
  readonly gegevensdienstId: string;
  readonly useCase: "verzamelen" | "delen";
  /** Delen: the FHIR resource(s) to send once authorised. */
  readonly payload?: unknown;
  readonly startedAt: number;
  /** X-2 (RFC 9207): the issuer of the AS the Person was sent to; a response naming another is refused. */
  readonly issuer?: string;
  /** X-1 (RFC 7636): the PKCE code_verifier of this flow, sent with the token request only. */
  readonly codeVerifier?: string;
}

export type FlowRefusal = "unknown" | "foreign" | "used" | "expired";

export class DvpSessions extends DurableObject {
  private readonly storage: ObjectStorage;
  private readonly sql: SqlStore;

  constructor(ctx: RuntimeState, env: unknown) {
    super(ctx, env as never);
    this.storage = ctx.storage;
    this.sql = this.storage.sql;
    this.sql.exec(`
      CREATE TABLE IF NOT EXISTS sessions (id_hash TEXT PRIMARY KEY, person TEXT NOT NULL, expires_at INTEGER NOT NULL);
      CREATE TABLE IF NOT EXISTS flows (state_hash TEXT PRIMARY KEY, session_hash TEXT NOT NULL, data TEXT NOT NULL, expires_at INTEGER NOT NULL, used_at INTEGER);
      CREATE INDEX IF NOT EXISTS sessions_by_person ON sessions (person);
    `);
  }

  async createSession(idHash: string, personId: string): Promise<boolean> {
    const expiresAt = Date.now() + PERSON_SESSION_TTL_MS;
    const written = this.sql.exec(`INSERT INTO sessions (id_hash, person, expires_at) VALUES (?, ?, ?) ON CONFLICT DO NOTHING`, idHash, personId, expiresAt).rowsWritten;
    await this.schedulePurge(expiresAt);
    return written > 0;
  }

  async person(idHash: string): Promise<string | null> {
    const row = this.sql.exec<{ person: string; expires_at: number }>(`SELECT person, expires_at FROM sessions WHERE id_hash = ?`, idHash).toArray()[0];
    return row && Date.now() < row.expires_at ? row.person : null;
  }

  async endSession(idHash: string): Promise<void> {
    this.sql.exec(`DELETE FROM sessions WHERE id_hash = ?`, idHash);
    this.sql.exec(`DELETE FROM flows WHERE session_hash = ?`, idHash);
  }

  /** P-2: every session of a Person whose account ends, with the flows they started. */
  async endSessionsOf(personId: string): Promise<number> {
    return this.storage.transactionSync(() => {
      this.sql.exec(`DELETE FROM flows WHERE session_hash IN (SELECT id_hash FROM sessions WHERE person = ?)`, personId);
      return this.sql.exec(`DELETE FROM sessions WHERE person = ?`, personId).rowsWritten;
    });
  }

  async startFlow(stateHash: string, sessionHash: string, flow: Flow): Promise<boolean> {
    const expiresAt = Date.now() + FLOW_TTL_MS;
    const written = this.sql.exec(
      `INSERT INTO flows (state_hash, session_hash, data, expires_at) VALUES (?, ?, ?, ?) ON CONFLICT DO NOTHING`,
      stateHash, sessionHash, JSON.stringify(flow), expiresAt,
    ).rowsWritten;
    await this.schedulePurge(expiresAt);
    return written > 0;
  }

  /** Use a flow once, and only from the session that started it. */
  async takeFlow(stateHash: string, sessionHash: string): Promise<{ ok: true; flow: Flow } | { ok: false; refusal: FlowRefusal }> {
    return this.storage.transactionSync(() => {
      const row = this.sql
        .exec<{ session_hash: string; data: string; expires_at: number; used_at: number | null }>(`SELECT session_hash, data, expires_at, used_at FROM flows WHERE state_hash = ?`, stateHash)
        .toArray()[0];
      if (!row) return { ok: false, refusal: "unknown" } as const;
      if (row.session_hash !== sessionHash) return { ok: false, refusal: "foreign" } as const;
      if (row.used_at !== null) return { ok: false, refusal: "used" } as const;
      this.sql.exec(`UPDATE flows SET used_at = ? WHERE state_hash = ?`, Date.now(), stateHash);
      if (Date.now() >= row.expires_at) return { ok: false, refusal: "expired" } as const;
      return { ok: true, flow: JSON.parse(row.data) as Flow } as const;
    });
  }

  private async schedulePurge(at: number): Promise<void> {
    const current = await this.storage.getAlarm();
    if (current === null || current > at) await this.storage.setAlarm(at);
  }

  override async alarm(): Promise<void> {
    const now = Date.now();
    this.sql.exec(`DELETE FROM sessions WHERE expires_at <= ?`, now);
    this.sql.exec(`DELETE FROM flows WHERE expires_at <= ?`, now);
    const next = this.sql.exec<{ t: number | null }>(`SELECT MIN(t) AS t FROM (SELECT MIN(expires_at) AS t FROM sessions UNION ALL SELECT MIN(expires_at) FROM flows)`).one().t;
    if (next !== null) await this.storage.setAlarm(next);
  }
}
