/**
 * GrantStore: the single-use state of the Authorization Server (SPEC AS-7, AS-10, S-3).
 *
 * Codes and tokens are stored only as SHA-256 hashes (a storage leak yields no usable handle).
 * A deployment runs GRANT_SHARDS instances; a handle lives in the shard its hash selects, and the
 * worker draws each access token so it lands in the same shard as the code it is issued from
 * (workers/dvza/grants.ts). Redemption, replay detection and revocation therefore happen inside one
 * object, in one synchronous SQLite transaction: a Durable Object runs one such call at a time, so
 * of any number of concurrent redemptions of one code exactly one succeeds. Never KV (eventually
 * consistent, racy).
 */
import { DurableObject } from "cloudflare:workers";
import type { ObjectStorage, SqlStore, SqlValue } from "../workers/shared/ports.ts";
import type { RuntimeState } from "./state.ts";

/** AS-7: every code and every access token lives exactly 900 s. */
export const LIFETIME_MS = 900_000;
/** Redeemed codes are remembered past their own expiry for as long as a token issued from them can live. */
export const REMEMBER_CODE_MS = 2 * LIFETIME_MS;
const PURGE_EVERY_MS = 15 * 60_000;

export interface Grant {
  readonly clientId: string;
  readonly redirectUri: string;
  /** AS-6: one scope, `naam~id`. */
  readonly scope: string;
  readonly zorgaanbieder: string;
  readonly gegevensdienstId: string;
  /** The authenticated Person (pseudonymous subject from the authenticator). Never logged. */
  readonly subject: string;
  /** The token endpoint (from the Zorgaanbiederslijst) where this grant's code may be redeemed. */
  readonly tokenEndpoint: string;
  /** the PKCE S256 code_challenge the code is bound to (codes only; never copied to tokens). */
  readonly codeChallenge?: string;
}

export type RedeemRefusal = "unknown" | "expired" | "replayed" | "client_mismatch" | "redirect_mismatch" | "endpoint_mismatch" | "pkce_mismatch" | "pkce_unexpected";

export interface Presented {
  readonly clientId: string;
  readonly redirectUri: string;
  readonly tokenEndpoint: string;
  /** base64url(SHA-256(code_verifier)) when the token request carried a code_verifier. */
  readonly pkceChallenge?: string;
}

/** Equal-length strings compared without an early exit (the challenge check, X-1). */
function sameString(a: string, b: string): boolean {
  if (a.length !== b.length) return false;
  let diff = 0;
  for (let i = 0; i < a.length; i++) diff |= a.charCodeAt(i) ^ b.charCodeAt(i);
  return diff === 0;
}

/**
 * Why an unredeemed code may not be redeemed by this presentation, or undefined when it may: expired, or
 * presented with another client, redirect_uri, token endpoint or PKCE verifier (AS-10, AS-11, X-1; RFC 9700
 * §2.1.1: no PKCE downgrade). One decision for every store that holds codes (here, and Deno KV).
 */
export function redemptionRefusal(row: CodeRow, presented: Presented, now: number): Exclude<RedeemRefusal, "unknown" | "replayed"> | undefined {
  if (now >= row.expires_at) return "expired";
  if (row.client_id !== presented.clientId) return "client_mismatch";
  if (row.redirect_uri !== presented.redirectUri) return "redirect_mismatch";
  if (row.token_endpoint !== presented.tokenEndpoint) return "endpoint_mismatch";
  if (row.code_challenge !== null && (presented.pkceChallenge === undefined || !sameString(row.code_challenge, presented.pkceChallenge))) return "pkce_mismatch";
  if (row.code_challenge === null && presented.pkceChallenge !== undefined) return "pkce_unexpected";
  return undefined;
}

export type RedeemResult = { ok: true; grant: Grant; expiresAt: number } | { ok: false; refusal: RedeemRefusal; revokedTokens: number };

export interface TokenGrant extends Grant {
  readonly expiresAt: number;
}

/** The grant columns codes and tokens share. */
export interface GrantRow extends Record<string, SqlValue> {
  client_id: string;
  redirect_uri: string;
  scope: string;
  zorgaanbieder: string;
  gegevensdienst: string;
  subject: string;
  token_endpoint: string;
  expires_at: number;
}

export interface CodeRow extends GrantRow {
  redeemed_at: number | null;
  code_challenge: string | null;
}

export interface TokenRow extends GrantRow {
  revoked_at: number | null;
}

export function grantOf(row: GrantRow): Grant {
  return {
    clientId: row.client_id,
    redirectUri: row.redirect_uri,
    scope: row.scope,
    zorgaanbieder: row.zorgaanbieder,
    gegevensdienstId: row.gegevensdienst,
    subject: row.subject,
    tokenEndpoint: row.token_endpoint,
  };
}

export class GrantStore extends DurableObject {
  private readonly storage: ObjectStorage;
  private readonly sql: SqlStore;
  /** Whether this instance already knows a purge alarm is set: saves a storage read on every call. */
  private purgeScheduled = false;

  constructor(ctx: RuntimeState, env: unknown) {
    super(ctx, env as never);
    this.storage = ctx.storage;
    this.sql = this.storage.sql;
    this.sql.exec(`
      CREATE TABLE IF NOT EXISTS codes (
        code_hash TEXT PRIMARY KEY, client_id TEXT NOT NULL, redirect_uri TEXT NOT NULL, scope TEXT NOT NULL,
        zorgaanbieder TEXT NOT NULL, gegevensdienst TEXT NOT NULL, subject TEXT NOT NULL, token_endpoint TEXT NOT NULL,
        issued_at INTEGER NOT NULL, expires_at INTEGER NOT NULL,
        redeemed_at INTEGER, replayed_at INTEGER, code_challenge TEXT
      );
      CREATE TABLE IF NOT EXISTS tokens (
        token_hash TEXT PRIMARY KEY, code_hash TEXT NOT NULL, client_id TEXT NOT NULL, redirect_uri TEXT NOT NULL,
        scope TEXT NOT NULL, zorgaanbieder TEXT NOT NULL, gegevensdienst TEXT NOT NULL, subject TEXT NOT NULL, token_endpoint TEXT NOT NULL,
        issued_at INTEGER NOT NULL, expires_at INTEGER NOT NULL, revoked_at INTEGER
      );
      CREATE INDEX IF NOT EXISTS tokens_by_code ON tokens(code_hash);
    `);
    // X-1 added code_challenge; objects created before it get the column once.
    const columns = this.sql.exec<{ name: string }>(`SELECT name FROM pragma_table_info('codes')`).toArray();
    if (!columns.some((c) => c.name === "code_challenge")) this.sql.exec(`ALTER TABLE codes ADD COLUMN code_challenge TEXT`);
  }

  /**
   * Store a new code. AS-10: never two identical valid codes; a hash collision (practically
   * impossible at 256 bits) is refused and the caller draws a new code.
   */
  async putCode(codeHash: string, grant: Grant): Promise<{ stored: boolean; expiresAt: number }> {
    const now = Date.now();
    const expiresAt = now + LIFETIME_MS;
    const cursor = this.sql.exec(
      `INSERT INTO codes (code_hash, client_id, redirect_uri, scope, zorgaanbieder, gegevensdienst, subject, token_endpoint, issued_at, expires_at, code_challenge)
       VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?) ON CONFLICT(code_hash) DO NOTHING`,
      codeHash, grant.clientId, grant.redirectUri, grant.scope, grant.zorgaanbieder, grant.gegevensdienstId, grant.subject, grant.tokenEndpoint, now, expiresAt, grant.codeChallenge ?? null,
    );
    await this.ensurePurge();
    // rowsWritten also counts index writes: any write at all means the row went in.
    return { stored: cursor.rowsWritten > 0, expiresAt };
  }

  /**
   * Redeem a code for the access token whose hash the worker drew (AS-10, AS-11, RFC 6749 §4.1.3).
   * Synchronous from the first read to the last write: no other call can interleave.
   * A replayed code is refused and every token issued from it is revoked (RFC 6749 §4.1.2,
   * RFC 6819 §4.4.1.1). A code presented with the wrong client, redirect_uri, token endpoint or PKCE
   * verifier is refused but not consumed, so a thief's failed attempt does not lock out the rightful client.
   * a code bound to a challenge needs the matching verifier; a verifier for a code without one is
   * refused too (RFC 9700 §2.1.1: no PKCE downgrade).
   */
  async redeem(codeHash: string, tokenHash: string, presented: Presented): Promise<RedeemResult> {
    const now = Date.now();
    const result = this.storage.transactionSync((): RedeemResult => {
      const row = this.sql.exec<CodeRow>(`SELECT * FROM codes WHERE code_hash = ?`, codeHash).toArray()[0];
      if (!row) return { ok: false, refusal: "unknown", revokedTokens: 0 };
      if (row.redeemed_at !== null) {
        const revoked = this.sql.exec<{ n: number }>(`SELECT COUNT(*) AS n FROM tokens WHERE code_hash = ? AND revoked_at IS NULL`, codeHash).one().n;
        this.sql.exec(`UPDATE tokens SET revoked_at = ? WHERE code_hash = ? AND revoked_at IS NULL`, now, codeHash);
        this.sql.exec(`UPDATE codes SET replayed_at = ? WHERE code_hash = ?`, now, codeHash);
        return { ok: false, refusal: "replayed", revokedTokens: revoked };
      }
      const refusal = redemptionRefusal(row, presented, now);
      if (refusal) return { ok: false, refusal, revokedTokens: 0 };
      const expiresAt = now + LIFETIME_MS;
      this.sql.exec(`UPDATE codes SET redeemed_at = ? WHERE code_hash = ?`, now, codeHash);
      this.sql.exec(
        `INSERT INTO tokens (token_hash, code_hash, client_id, redirect_uri, scope, zorgaanbieder, gegevensdienst, subject, token_endpoint, issued_at, expires_at)
         VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)`,
        tokenHash, codeHash, row.client_id, row.redirect_uri, row.scope, row.zorgaanbieder, row.gegevensdienst, row.subject, row.token_endpoint, now, expiresAt,
      );
      return { ok: true, grant: grantOf(row), expiresAt };
    });
    await this.ensurePurge();
    return result;
  }

  /** The grant behind a valid (known, unexpired, unrevoked) access token, else null. */
  async introspect(tokenHash: string): Promise<TokenGrant | null> {
    const row = this.sql.exec<TokenRow>(`SELECT * FROM tokens WHERE token_hash = ?`, tokenHash).toArray()[0];
    if (!row || row.revoked_at !== null || Date.now() >= row.expires_at) return null;
    return { ...grantOf(row), expiresAt: row.expires_at };
  }

  private async ensurePurge(): Promise<void> {
    if (this.purgeScheduled) return;
    if ((await this.storage.getAlarm()) === null) await this.storage.setAlarm(Date.now() + PURGE_EVERY_MS);
    this.purgeScheduled = true;
  }

  /** Expired state is deleted, so the store only ever holds the last half hour of grants. */
  override async alarm(): Promise<void> {
    this.purgeScheduled = false;
    const now = Date.now();
    this.sql.exec(`DELETE FROM tokens WHERE expires_at <= ?`, now);
    this.sql.exec(`DELETE FROM codes WHERE issued_at + ? <= ?`, REMEMBER_CODE_MS, now);
    const left = this.sql.exec<{ n: number }>(`SELECT (SELECT COUNT(*) FROM codes) + (SELECT COUNT(*) FROM tokens) AS n`).one().n;
    if (left > 0) {
      await this.storage.setAlarm(now + PURGE_EVERY_MS);
      this.purgeScheduled = true;
    }
  }
}
