/**
 * AuditLog: the NEN 7513 / AVG log of the functions a Person performed at any DVZA through this DVP
 * (SPEC LOG-1, LOG-2, LOG-3). One object per Person. Append-only by construction: the class offers
 * `append` and `entries` and nothing that changes or removes an entry, except the retention purge.
 *
 * LOG-2: entries are kept at least 24 and at most 36 months. An entry is destroyed by the daily
 * alarm once it is older than RETENTION_MONTHS (24), so no entry is destroyed early and none
 * outlives 24 months and a day.
 */
import { DurableObject } from "cloudflare:workers";
import type { ObjectStorage, SqlStore } from "../workers/shared/ports.ts";
import type { RuntimeState } from "./state.ts";

export const RETENTION_MONTHS = 24;
const DAY_MS = 86_400_000;

export type AuditAction = "login" | "verzamelen" | "delen" | "verwijderen" | "portabiliteitsrapport" | "logexport" | "beeindigen";

export interface AuditEntry {
  /** Who: the Person's identifier at this DVP (never a BSN). */
  readonly person: string;
  /** What. */
  readonly action: AuditAction;
  /** When, ISO 8601 UTC; set by the log, not by the caller. */
  readonly at: string;
  readonly zorgaanbieder: string | null;
  readonly gegevensdienstId: string | null;
  /** LOG-3: the MedMij-Request-IDs of the requests this function sent. */
  readonly requestIds: readonly string[];
  readonly outcome: string;
}

export type AuditInput = Omit<AuditEntry, "at">;

/** The moment before which entries are destroyed: RETENTION_MONTHS calendar months before `now`. */
export function retentionCutoff(now: Date): Date {
  const d = new Date(now);
  d.setUTCMonth(d.getUTCMonth() - RETENTION_MONTHS);
  return d;
}

export class AuditLog extends DurableObject {
  private readonly storage: ObjectStorage;
  private readonly sql: SqlStore;

  constructor(ctx: RuntimeState, env: unknown) {
    super(ctx, env as never);
    this.storage = ctx.storage;
    this.sql = this.storage.sql;
    this.sql.exec(`CREATE TABLE IF NOT EXISTS entries (seq INTEGER PRIMARY KEY AUTOINCREMENT, at TEXT NOT NULL, data TEXT NOT NULL)`);
  }

  async append(input: AuditInput): Promise<void> {
    const entry: AuditEntry = { ...input, at: new Date().toISOString() };
    this.sql.exec(`INSERT INTO entries (at, data) VALUES (?, ?)`, entry.at, JSON.stringify(entry));
    if ((await this.storage.getAlarm()) === null) await this.storage.setAlarm(Date.now() + DAY_MS);
  }

  async entries(): Promise<AuditEntry[]> {
    return this.sql.exec<{ data: string }>(`SELECT data FROM entries ORDER BY seq`).toArray().map((r) => JSON.parse(r.data) as AuditEntry);
  }

  /** LOG-2: daily, destroy what is past retention. */
  override async alarm(): Promise<void> {
    this.sql.exec(`DELETE FROM entries WHERE at < ?`, retentionCutoff(new Date()).toISOString());
    const left = this.sql.exec<{ n: number }>(`SELECT COUNT(*) AS n FROM entries`).one().n;
    if (left > 0) await this.storage.setAlarm(Date.now() + DAY_MS);
  }
}
