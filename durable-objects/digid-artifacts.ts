/**
 * DigidArtifacts: the DigiD simulator's single-use SAML-style artifacts (development only).
 * An artifact names one authenticated Person, lives 60 s, and resolves once.
 */
import { DurableObject } from "cloudflare:workers";
import type { ObjectStorage, SqlStore } from "../workers/shared/ports.ts";
import type { RuntimeState } from "./state.ts";

export const ARTIFACT_TTL_MS = 60_000;

export class DigidArtifacts extends DurableObject {
  private readonly storage: ObjectStorage;
  private readonly sql: SqlStore;

  constructor(ctx: RuntimeState, env: unknown) {
    super(ctx, env as never);
    this.storage = ctx.storage;
    this.sql = this.storage.sql;
    this.sql.exec(`CREATE TABLE IF NOT EXISTS artifacts (artifact_hash TEXT PRIMARY KEY, subject TEXT NOT NULL, expires_at INTEGER NOT NULL)`);
  }

  async put(artifactHash: string, subject: string): Promise<void> {
    const now = Date.now();
    this.sql.exec(`DELETE FROM artifacts WHERE expires_at <= ?`, now);
    this.sql.exec(`INSERT INTO artifacts (artifact_hash, subject, expires_at) VALUES (?, ?, ?)`, artifactHash, subject, now + ARTIFACT_TTL_MS);
  }

  /** The subject, once; null for unknown, used or expired artifacts. */
  async resolve(artifactHash: string): Promise<string | null> {
    return this.storage.transactionSync(() => {
      const row = this.sql.exec<{ subject: string; expires_at: number }>(`SELECT subject, expires_at FROM artifacts WHERE artifact_hash = ?`, artifactHash).toArray()[0];
      this.sql.exec(`DELETE FROM artifacts WHERE artifact_hash = ?`, artifactHash);
      return row && Date.now() < row.expires_at ? row.subject : null;
    });
  }
}
