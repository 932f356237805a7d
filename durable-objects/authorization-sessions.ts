/**
 * AuthorizationSessions: the front-channel state of one authorization request between the
 * authorize endpoint, Person authentication and the consent decision (SPEC AS-1, AS-2, AS-15, S-3).
 *
 * A session is found by the hash of a random id that only the Person's browser holds (an HttpOnly
 * cookie), moves forward only (authenticating -> verifying -> consenting -> gone) and ends at the first
 * decision, so one consent yields at most one code. The authenticator's pending request (a SAML
 * AuthnRequest ID, an OIDC nonce and PKCE verifier) is handed out once, when the Person comes back:
 * a replayed answer finds the session past `authenticating`. Sharded like GrantStore.
 */
import { DurableObject } from "cloudflare:workers";
import type { ObjectStorage, SqlStore, SqlValue } from "../workers/shared/ports.ts";
import type { RuntimeState } from "./state.ts";

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
  /** RFC 9207: this AS's issuer identifier, sent as `iss` with every authorization response. */
  readonly issuer: string;
  /** the client's PKCE S256 code_challenge, bound into the code; absent when the client sent none. */
  readonly codeChallenge?: string;
}

export interface AuthorizationSession {
  readonly request: AuthorizationRequest;
  /** Hash of the one-time relay value sent to the authenticator, tying its answer to this session. */
  readonly relayHash: string;
  readonly phase: "authenticating" | "verifying" | "consenting";
  /** What the authenticator must get back when the Person returns (authn/authenticator.ts). */
  readonly authn: Readonly<Record<string, string>>;
  readonly subject: string | null;
  readonly expiresAt: number;
}

interface Row extends Record<string, SqlValue> {
  data: string;
  expires_at: number;
}

export class AuthorizationSessions extends DurableObject {
  private readonly storage: ObjectStorage;
  private readonly sql: SqlStore;

  constructor(ctx: RuntimeState, env: unknown) {
    super(ctx, env as never);
    this.storage = ctx.storage;
    this.sql = this.storage.sql;
    this.sql.exec(`CREATE TABLE IF NOT EXISTS sessions (id_hash TEXT PRIMARY KEY, data TEXT NOT NULL, expires_at INTEGER NOT NULL)`);
    this.sql.exec(`CREATE TABLE IF NOT EXISTS used_assertions (id_hash TEXT PRIMARY KEY, expires_at INTEGER NOT NULL)`);
  }

  /**
   * SAML Profiles §4.1.4.5: an assertion is used once. Remembers its ID (hashed) until it expires; false
   * when it was seen before. One insert: two racing uses cannot both be first.
   */
  async useAssertion(idHash: string, expiresAt: number): Promise<boolean> {
    const first = this.sql.exec(`INSERT INTO used_assertions (id_hash, expires_at) VALUES (?, ?) ON CONFLICT(id_hash) DO NOTHING`, idHash, expiresAt).rowsWritten > 0;
    const alarm = await this.storage.getAlarm();
    if (alarm === null || alarm > expiresAt) await this.storage.setAlarm(expiresAt);
    return first;
  }

  async create(idHash: string, request: AuthorizationRequest, relayHash: string, authn: Readonly<Record<string, string>>): Promise<boolean> {
    const expiresAt = Date.now() + SESSION_TTL_MS;
    const session: AuthorizationSession = { request, relayHash, phase: "authenticating", authn, subject: null, expiresAt };
    const written = this.sql.exec(
      `INSERT INTO sessions (id_hash, data, expires_at) VALUES (?, ?, ?) ON CONFLICT(id_hash) DO NOTHING`,
      idHash, JSON.stringify(session), expiresAt,
    ).rowsWritten;
    if ((await this.storage.getAlarm()) === null) await this.storage.setAlarm(expiresAt);
    // rowsWritten also counts index writes.
    return written > 0;
  }

  async get(idHash: string): Promise<AuthorizationSession | null> {
    const row = this.sql.exec<Row>(`SELECT data, expires_at FROM sessions WHERE id_hash = ?`, idHash).toArray()[0];
    if (!row || Date.now() >= row.expires_at) return null;
    return JSON.parse(row.data) as AuthorizationSession;
  }

  /** The session in one phase, read and replaced in one synchronous transaction. */
  private step(idHash: string, from: AuthorizationSession["phase"], next: (s: AuthorizationSession) => AuthorizationSession | null): AuthorizationSession | null {
    return this.storage.transactionSync(() => {
      const row = this.sql.exec<Row>(`SELECT data, expires_at FROM sessions WHERE id_hash = ?`, idHash).toArray()[0];
      if (!row || Date.now() >= row.expires_at) return null;
      const session = JSON.parse(row.data) as AuthorizationSession;
      if (session.phase !== from) return null;
      const after = next(session);
      if (after) this.sql.exec(`UPDATE sessions SET data = ? WHERE id_hash = ?`, JSON.stringify(after), idHash);
      return after;
    });
  }

  /**
   * The Person is back from the identity provider: hand out the pending request once. The relay hash
   * must match, so an answer meant for another session is useless here.
   */
  async beginVerification(idHash: string, relayHash: string): Promise<AuthorizationSession | null> {
    return this.step(idHash, "authenticating", (s) => (s.relayHash === relayHash ? { ...s, phase: "verifying" } : null));
  }

  /** The authenticator vouched for a Person: on to the consent step, once. */
  async authenticated(idHash: string, subject: string): Promise<AuthorizationSession | null> {
    return this.step(idHash, "verifying", (s) => ({ ...s, phase: "consenting", subject, authn: {} }));
  }

  /** Authentication failed: the session ends here; its request is returned so the Person can be sent back. */
  async abandon(idHash: string): Promise<AuthorizationSession | null> {
    return this.storage.transactionSync(() => {
      const row = this.sql.exec<Row>(`SELECT data, expires_at FROM sessions WHERE id_hash = ?`, idHash).toArray()[0];
      this.sql.exec(`DELETE FROM sessions WHERE id_hash = ?`, idHash);
      return row && Date.now() < row.expires_at ? (JSON.parse(row.data) as AuthorizationSession) : null;
    });
  }

  /** End the session at the Person's decision and return it; a second decision finds nothing. */
  async finish(idHash: string): Promise<AuthorizationSession | null> {
    return this.storage.transactionSync(() => {
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
    this.sql.exec(`DELETE FROM used_assertions WHERE expires_at <= ?`, now);
    const next = this.sql.exec<{ t: number | null }>(`SELECT MIN(t) AS t FROM (SELECT MIN(expires_at) AS t FROM sessions UNION ALL SELECT MIN(expires_at) FROM used_assertions)`).one().t;
    if (next !== null) await this.storage.setAlarm(next);
  }
}
