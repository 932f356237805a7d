/**
 * PgoAccounts: the PGO's own Person accounts (SPEC X-9), outside MedMij. One object per account
 * (`idFromName(accountId)`, the opaque id that also names the account's PersonStore and AuditLog) holds its
 * profile and passkeys; one object per OpenID Connect subject (`idFromName("subject:" + hash)`) holds only
 * the link to its account, claimed once, so two first logins of one subject make one account.
 *
 * A passkey is its credential id, its COSE public key and its signature counter. A counter only goes up:
 * `recordUse` writes the new value only over the value the verification was made against, so of two uses
 * racing with one counter value only one succeeds, and a lower counter (a cloned authenticator) never lands.
 * Ending the service (P-2) releases the subject link, then erases the account and its passkeys: a login racing
 * with the end finds either no link (a new account) or the old account gone (no session).
 */
import { DurableObject } from "cloudflare:workers";
import type { ObjectStorage, SqlStore, SqlValue } from "../workers/shared/ports.ts";
import type { RuntimeState } from "./state.ts";

/** An account has at most this many passkeys. */
export const MAX_PASSKEYS = 10;

export interface PasskeyInput {
  readonly credentialId: string;
  /** The credential's COSE_Key, base64url. */
  readonly publicKey: string;
  readonly counter: number;
  readonly transports: readonly string[];
  readonly backedUp: boolean;
}

export interface StoredPasskey extends PasskeyInput {
  /** The row's own id: what a page names a passkey by (never the credential id). */
  readonly id: string;
  readonly createdAt: string;
  readonly lastUsedAt: string | null;
}

export interface AccountProfile {
  readonly accountId: string;
  readonly naam: string;
  readonly createdAt: string;
  /** The OIDC subject link's name (a hash), when the account logs in through the PGO's provider. */
  readonly oidcSubject: string | null;
  readonly passkeys: number;
}

export interface NewAccount {
  readonly accountId: string;
  readonly naam: string;
  readonly passkey?: PasskeyInput;
  readonly oidcSubject?: string;
}

export type AddPasskey = "added" | "exists" | "limit" | "no-account";
export type RemovePasskey = "removed" | "last" | "unknown";

interface PasskeyRow extends Record<string, SqlValue> {
  id: string;
  credential_id: string;
  public_key: string;
  counter: number;
  transports: string;
  backed_up: number;
  created_at: string;
  last_used_at: string | null;
}

const passkeyOf = (r: PasskeyRow): StoredPasskey => ({
  id: r.id,
  credentialId: r.credential_id,
  publicKey: r.public_key,
  counter: r.counter,
  transports: JSON.parse(r.transports) as string[],
  backedUp: r.backed_up === 1,
  createdAt: r.created_at,
  lastUsedAt: r.last_used_at,
});

export class PgoAccounts extends DurableObject {
  private readonly storage: ObjectStorage;
  private readonly sql: SqlStore;

  constructor(ctx: RuntimeState, env: unknown) {
    super(ctx, env as never);
    this.storage = ctx.storage;
    this.sql = this.storage.sql;
    this.sql.exec(`
      CREATE TABLE IF NOT EXISTS account (one INTEGER PRIMARY KEY CHECK (one = 1), account_id TEXT NOT NULL, naam TEXT NOT NULL, created_at TEXT NOT NULL, oidc_subject TEXT);
      CREATE TABLE IF NOT EXISTS passkeys (id TEXT PRIMARY KEY, credential_id TEXT NOT NULL UNIQUE, public_key TEXT NOT NULL, counter INTEGER NOT NULL,
        transports TEXT NOT NULL, backed_up INTEGER NOT NULL, created_at TEXT NOT NULL, last_used_at TEXT);
      CREATE TABLE IF NOT EXISTS subject_link (one INTEGER PRIMARY KEY CHECK (one = 1), account_id TEXT NOT NULL);
    `);
  }

  // --- an account's object ------------------------------------------------------------------------

  /** Creates the account once; false when this object already holds one. */
  async create(input: NewAccount): Promise<boolean> {
    return this.storage.transactionSync(() => {
      const now = new Date().toISOString();
      const written = this.sql.exec(
        `INSERT INTO account (one, account_id, naam, created_at, oidc_subject) VALUES (1, ?, ?, ?, ?) ON CONFLICT DO NOTHING`,
        input.accountId, input.naam, now, input.oidcSubject ?? null,
      ).rowsWritten;
      if (written === 0) return false;
      if (input.passkey) this.insertPasskey(input.passkey, now);
      return true;
    });
  }

  async profile(): Promise<AccountProfile | null> {
    const row = this.sql.exec<{ account_id: string; naam: string; created_at: string; oidc_subject: string | null }>(`SELECT account_id, naam, created_at, oidc_subject FROM account`).toArray()[0];
    if (!row) return null;
    const passkeys = this.sql.exec<{ n: number }>(`SELECT COUNT(*) AS n FROM passkeys`).one().n;
    return { accountId: row.account_id, naam: row.naam, createdAt: row.created_at, oidcSubject: row.oidc_subject, passkeys };
  }

  async passkeys(): Promise<StoredPasskey[]> {
    return this.sql.exec<PasskeyRow>(`SELECT * FROM passkeys ORDER BY created_at, id`).toArray().map(passkeyOf);
  }

  async passkey(credentialId: string): Promise<StoredPasskey | null> {
    const row = this.sql.exec<PasskeyRow>(`SELECT * FROM passkeys WHERE credential_id = ?`, credentialId).toArray()[0];
    return row ? passkeyOf(row) : null;
  }

  async addPasskey(passkey: PasskeyInput): Promise<AddPasskey> {
    return this.storage.transactionSync(() => {
      if (this.sql.exec<{ n: number }>(`SELECT COUNT(*) AS n FROM account`).one().n === 0) return "no-account";
      if (this.sql.exec<{ n: number }>(`SELECT COUNT(*) AS n FROM passkeys WHERE credential_id = ?`, passkey.credentialId).one().n > 0) return "exists";
      if (this.sql.exec<{ n: number }>(`SELECT COUNT(*) AS n FROM passkeys`).one().n >= MAX_PASSKEYS) return "limit";
      this.insertPasskey(passkey, new Date().toISOString());
      return "added";
    });
  }

  private insertPasskey(p: PasskeyInput, at: string): void {
    this.sql.exec(
      `INSERT INTO passkeys (id, credential_id, public_key, counter, transports, backed_up, created_at) VALUES (?, ?, ?, ?, ?, ?, ?)`,
      crypto.randomUUID(), p.credentialId, p.publicKey, p.counter, JSON.stringify(p.transports), p.backedUp ? 1 : 0, at,
    );
  }

  /** A verified use: the counter moves from `verifiedAgainst` to `counter`, or nothing happens (false). */
  async recordUse(credentialId: string, verifiedAgainst: number, counter: number): Promise<boolean> {
    if ((counter > 0 || verifiedAgainst > 0) && counter <= verifiedAgainst) return false;
    return this.sql.exec(`UPDATE passkeys SET counter = ?, last_used_at = ? WHERE credential_id = ? AND counter = ?`, counter, new Date().toISOString(), credentialId, verifiedAgainst).rowsWritten === 1;
  }

  /** Never the account's last way in: recovery is by a second passkey only (README). */
  async removePasskey(id: string): Promise<RemovePasskey> {
    return this.storage.transactionSync(() => {
      const found = this.sql.exec<{ n: number }>(`SELECT COUNT(*) AS n FROM passkeys WHERE id = ?`, id).one().n > 0;
      if (!found) return "unknown";
      const others = this.sql.exec<{ n: number }>(`SELECT COUNT(*) AS n FROM passkeys WHERE id <> ?`, id).one().n;
      const oidc = this.sql.exec<{ s: string | null }>(`SELECT oidc_subject AS s FROM account`).toArray()[0]?.s ?? null;
      if (others === 0 && oidc === null) return "last";
      this.sql.exec(`DELETE FROM passkeys WHERE id = ?`, id);
      return "removed";
    });
  }

  /** P-2: the account and its passkeys go (the caller has released its subject link first). */
  async erase(): Promise<void> {
    this.storage.transactionSync(() => {
      this.sql.exec(`DELETE FROM passkeys`);
      this.sql.exec(`DELETE FROM account`);
    });
  }

  // --- an OIDC subject's object -------------------------------------------------------------------

  /** The subject's account: the one already linked, or `candidate`, which becomes it. */
  async claimSubject(candidate: string): Promise<string> {
    return this.storage.transactionSync(() => {
      this.sql.exec(`INSERT INTO subject_link (one, account_id) VALUES (1, ?) ON CONFLICT DO NOTHING`, candidate);
      return this.sql.exec<{ account_id: string }>(`SELECT account_id FROM subject_link`).one().account_id;
    });
  }

  async releaseSubject(accountId: string): Promise<void> {
    this.sql.exec(`DELETE FROM subject_link WHERE account_id = ?`, accountId);
  }
}
