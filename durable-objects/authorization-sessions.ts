/**
 * AuthorizationSessions: the front-channel state of one authorization request between the
 * authorize endpoint, Person authentication and the consent decision (SPEC AS-1, AS-2, AS-15, S-3).
 *
 * A session is found by the hash of a random id that only the Person's browser holds (an HttpOnly
 * cookie), moves forward only (authenticating -> consenting -> gone) and ends at the first decision,
 * so one consent yields at most one code. Sharded like GrantStore, by the id's hash.
 */
import { DurableObject } from "cloudflare:workers";

/** Long enough for a DigiD login and reading the consent text; short enough to bound abandoned state. */
export const SESSION_TTL_MS = 15 * 60_000;

export interface AuthorizationRequest {
  readonly clientId: string;
  readonly redirectUri: string;
  readonly state: string;
  readonly scope: string;
  readonly zorgaanbieder: string;
  readonly gegevensdienstId: string;
  /** AS-1 consent before Verzamelen, AS-2 confirmation before Delen. */
  readonly useCase: "verzamelen" | "delen";
  /** For the consent text (AS-1/AS-2), read from the lists when the request was validated. */
  readonly gegevensdienstNaam: string;
  readonly clientOrganisatienaam: string;
  /** Where the code may later be redeemed (bound into the code, see GrantStore). */
  readonly tokenEndpoint: string;
}

export interface AuthorizationSession {
  readonly request: AuthorizationRequest;
  /** Hash of the one-time relay value sent to the authenticator, tying its answer to this session. */
  readonly relayHash: string;
  readonly phase: "authenticating" | "consenting";
  readonly subject: string | null;
  readonly expiresAt: number;
}

interface Row extends Record<string, SqlStorageValue> {
  data: string;
  expires_at: number;
}

export class AuthorizationSessions extends DurableObject {
  private readonly sql: SqlStorage;

  constructor(ctx: DurableObjectState, env: unknown) {
    super(ctx, env as never);
    this.sql = ctx.storage.sql;
    this.sql.exec(`CREATE TABLE IF NOT EXISTS sessions (id_hash TEXT PRIMARY KEY, data TEXT NOT NULL, expires_at INTEGER NOT NULL)`);
  }

  async create(idHash: string, request: AuthorizationRequest, relayHash: string): Promise<boolean> {
    const expiresAt = Date.now() + SESSION_TTL_MS;
    const session: AuthorizationSession = { request, relayHash, phase: "authenticating", subject: null, expiresAt };
    const written = this.sql.exec(
      `INSERT INTO sessions (id_hash, data, expires_at) VALUES (?, ?, ?) ON CONFLICT(id_hash) DO NOTHING`,
      idHash, JSON.stringify(session), expiresAt,
    ).rowsWritten;
    if ((await this.ctx.storage.getAlarm()) === null) await this.ctx.storage.setAlarm(expiresAt);
    // rowsWritten also counts index writes.
    return written > 0;
  }

  async get(idHash: string): Promise<AuthorizationSession | null> {
    const row = this.sql.exec<Row>(`SELECT data, expires_at FROM sessions WHERE id_hash = ?`, idHash).toArray()[0];
    if (!row || Date.now() >= row.expires_at) return null;
    return JSON.parse(row.data) as AuthorizationSession;
  }

  /**
   * The authenticator vouched for a Person: move from authenticating to consenting, once. The relay
   * hash must match, so an authenticator answer meant for another session is useless here.
   */
  async authenticated(idHash: string, relayHash: string, subject: string): Promise<AuthorizationSession | null> {
    return this.ctx.storage.transactionSync(() => {
      const row = this.sql.exec<Row>(`SELECT data, expires_at FROM sessions WHERE id_hash = ?`, idHash).toArray()[0];
      if (!row || Date.now() >= row.expires_at) return null;
      const session = JSON.parse(row.data) as AuthorizationSession;
      if (session.phase !== "authenticating" || session.relayHash !== relayHash) return null;
      const next: AuthorizationSession = { ...session, phase: "consenting", subject };
      this.sql.exec(`UPDATE sessions SET data = ? WHERE id_hash = ?`, JSON.stringify(next), idHash);
      return next;
    });
  }

  /** End the session at the Person's decision and return it; a second decision finds nothing. */
  async finish(idHash: string): Promise<AuthorizationSession | null> {
    return this.ctx.storage.transactionSync(() => {
      const row = this.sql.exec<Row>(`SELECT data, expires_at FROM sessions WHERE id_hash = ?`, idHash).toArray()[0];
      this.sql.exec(`DELETE FROM sessions WHERE id_hash = ?`, idHash);
      if (!row || Date.now() >= row.expires_at) return null;
      const session = JSON.parse(row.data) as AuthorizationSession;
      return session.phase === "consenting" ? session : null;
    });
  }

  override async alarm(): Promise<void> {
    const now = Date.now();
    this.sql.exec(`DELETE FROM sessions WHERE expires_at <= ?`, now);
    const next = this.sql.exec<{ t: number | null }>(`SELECT MIN(expires_at) AS t FROM sessions`).one().t;
    if (next !== null) await this.ctx.storage.setAlarm(next);
  }
}
