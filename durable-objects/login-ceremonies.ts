/**
 * LoginCeremonies: the PGO's single-use login state (SPEC X-9, S-3): WebAuthn challenges (create an account,
 * log in, add a passkey) and OpenID Connect logins (nonce and PKCE verifier, found by their `state`).
 *
 * A ceremony is found by the SHA-256 of its challenge or state, belongs to one browser (the hash of its
 * pre-login cookie, or of its Person session when a passkey is added), is taken once, and expires. So an
 * answer only completes a ceremony this very browser started minutes ago, and never twice: a replayed
 * assertion finds its challenge used.
 */
import { DurableObject } from "cloudflare:workers";
import type { ObjectStorage, SqlStore } from "../workers/shared/ports.ts";
import type { RuntimeState } from "./state.ts";

export type CeremonyPurpose = "passkey-register" | "passkey-login" | "passkey-add" | "oidc-login";

export type CeremonyRefusal = "unknown" | "foreign" | "used" | "expired";

export type CeremonyTaken = { ok: true; data: Record<string, string> } | { ok: false; refusal: CeremonyRefusal };

/** Used ceremonies are remembered this long after their expiry, so a late replay reads "used", not "unknown". */
const REMEMBER_MS = 15 * 60_000;

export class LoginCeremonies extends DurableObject {
  private readonly storage: ObjectStorage;
  private readonly sql: SqlStore;

  constructor(ctx: RuntimeState, env: unknown) {
    super(ctx, env as never);
    this.storage = ctx.storage;
    this.sql = this.storage.sql;
    this.sql.exec(`CREATE TABLE IF NOT EXISTS ceremonies (key_hash TEXT PRIMARY KEY, binding_hash TEXT NOT NULL, purpose TEXT NOT NULL, data TEXT NOT NULL,
      expires_at INTEGER NOT NULL, used_at INTEGER)`);
  }

  async start(keyHash: string, bindingHash: string, purpose: CeremonyPurpose, data: Record<string, string>, ttlMs: number): Promise<boolean> {
    const expiresAt = Date.now() + ttlMs;
    const written = this.sql.exec(
      `INSERT INTO ceremonies (key_hash, binding_hash, purpose, data, expires_at) VALUES (?, ?, ?, ?, ?) ON CONFLICT DO NOTHING`,
      keyHash, bindingHash, purpose, JSON.stringify(data), expiresAt,
    ).rowsWritten;
    const alarm = await this.storage.getAlarm();
    if (alarm === null || alarm > expiresAt + REMEMBER_MS) await this.storage.setAlarm(expiresAt + REMEMBER_MS);
    return written > 0;
  }

  /** Take a ceremony once, only from the browser that started it, only for the step it was started for. */
  async take(keyHash: string, bindingHash: string, purpose: CeremonyPurpose): Promise<CeremonyTaken> {
    return this.storage.transactionSync(() => {
      const row = this.sql
        .exec<{ binding_hash: string; purpose: string; data: string; expires_at: number; used_at: number | null }>(`SELECT binding_hash, purpose, data, expires_at, used_at FROM ceremonies WHERE key_hash = ?`, keyHash)
        .toArray()[0];
      if (!row || row.purpose !== purpose) return { ok: false, refusal: "unknown" } as const;
      if (row.binding_hash !== bindingHash) return { ok: false, refusal: "foreign" } as const;
      if (row.used_at !== null) return { ok: false, refusal: "used" } as const;
      this.sql.exec(`UPDATE ceremonies SET used_at = ? WHERE key_hash = ?`, Date.now(), keyHash);
      if (Date.now() >= row.expires_at) return { ok: false, refusal: "expired" } as const;
      return { ok: true, data: JSON.parse(row.data) as Record<string, string> } as const;
    });
  }

  override async alarm(): Promise<void> {
    this.sql.exec(`DELETE FROM ceremonies WHERE expires_at <= ?`, Date.now() - REMEMBER_MS);
    const next = this.sql.exec<{ t: number | null }>(`SELECT MIN(expires_at) AS t FROM ceremonies`).one().t;
    if (next !== null) await this.storage.setAlarm(next + REMEMBER_MS);
  }
}
