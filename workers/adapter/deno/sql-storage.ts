/**
 * A Durable Object's storage on Deno: the subset of Cloudflare's `ctx.storage` the objects use (`sql.exec`,
 * `transactionSync`, alarms), over one SQLite database per object (node:sqlite, WAL).
 *
 * Semantics kept from the edge:
 *   - `sql.exec` is synchronous, so a method that reads and writes without awaiting in between cannot be
 *     interleaved with another call: the property exactly-once redemption rests on (AS-10);
 *   - `transactionSync` commits all or nothing (a throw rolls back), nested calls become savepoints;
 *   - a write is durable before the call returns: each statement outside a transaction commits on its own,
 *     `synchronous=FULL` by default (the edge's output gate; SQLITE_SYNCHRONOUS=NORMAL trades the last
 *     commits on power loss, never on a process crash, for speed);
 *   - one alarm per object, kept in the object's own database (`_cf_alarm`, the `_cf_` prefix is reserved
 *     on the edge too) so it survives a restart.
 */
import { DatabaseSync, type StatementSync } from "node:sqlite";

type SqlValue = null | number | bigint | string | Uint8Array;

export interface SqlOptions {
  /** "FULL" (default) or "NORMAL". */
  readonly synchronous?: string;
}

/** The parts of Cloudflare's SqlStorageCursor the objects use. */
export class Cursor<T extends Record<string, unknown>> implements Iterable<T> {
  constructor(
    private readonly rows: T[],
    readonly rowsWritten: number,
  ) {}

  get rowsRead(): number {
    return this.rows.length;
  }

  toArray(): T[] {
    return this.rows;
  }

  one(): T {
    if (this.rows.length !== 1) throw new Error(`Expected exactly one result from SQL query, but got ${this.rows.length === 0 ? "no results" : "more than one"}.`);
    return this.rows[0]!;
  }

  [Symbol.iterator](): Iterator<T> {
    return this.rows[Symbol.iterator]();
  }
}

const RETURNS_ROWS = /^\s*(?:SELECT|WITH|PRAGMA|VALUES|EXPLAIN)\b|\bRETURNING\b/i;

/** More than one statement: only for schema scripts without bindings, as on the edge. */
function isScript(query: string): boolean {
  return query.trim().replace(/;\s*$/, "").includes(";");
}

export class Sql {
  readonly #statements = new Map<string, StatementSync>();

  constructor(readonly db: DatabaseSync) {}

  exec<T extends Record<string, unknown> = Record<string, unknown>>(query: string, ...bindings: unknown[]): Cursor<T> {
    if (bindings.length === 0 && isScript(query)) {
      this.db.exec(query);
      return new Cursor<T>([], 0);
    }
    let statement = this.#statements.get(query);
    if (!statement) {
      statement = this.db.prepare(query);
      this.#statements.set(query, statement);
    }
    const values = bindings as SqlValue[];
    if (RETURNS_ROWS.test(query)) return new Cursor<T>(statement.all(...values) as T[], 0);
    return new Cursor<T>([], Number(statement.run(...values).changes));
  }
}

export class SqlStorage {
  readonly sql: Sql;
  #depth = 0;
  #alarmTimer: ReturnType<typeof setTimeout> | undefined;
  /** Called when the alarm is due (set by the namespace to the object's `alarm()`). */
  onAlarm: (() => Promise<void>) | undefined;

  constructor(path: string, options: SqlOptions = {}) {
    const db = new DatabaseSync(path);
    if (path !== ":memory:") db.exec("PRAGMA journal_mode = WAL");
    db.exec(`PRAGMA synchronous = ${options.synchronous === "NORMAL" ? "NORMAL" : "FULL"}`);
    db.exec("PRAGMA busy_timeout = 5000");
    db.exec("CREATE TABLE IF NOT EXISTS _cf_alarm (id INTEGER PRIMARY KEY CHECK (id = 1), at INTEGER NOT NULL)");
    this.sql = new Sql(db);
  }

  transactionSync<T>(fn: () => T): T {
    const savepoint = `tx${this.#depth}`;
    this.sql.db.exec(this.#depth === 0 ? "BEGIN IMMEDIATE" : `SAVEPOINT ${savepoint}`);
    this.#depth++;
    try {
      const result = fn();
      this.#depth--;
      this.sql.db.exec(this.#depth === 0 ? "COMMIT" : `RELEASE ${savepoint}`);
      return result;
    } catch (e) {
      this.#depth--;
      this.sql.db.exec(this.#depth === 0 ? "ROLLBACK" : `ROLLBACK TO ${savepoint}; RELEASE ${savepoint}`);
      throw e;
    }
  }

  async getAlarm(): Promise<number | null> {
    return this.sql.exec<{ at: number }>("SELECT at FROM _cf_alarm WHERE id = 1").toArray()[0]?.at ?? null;
  }

  async setAlarm(when: number | Date): Promise<void> {
    const at = typeof when === "number" ? when : when.getTime();
    this.sql.exec("INSERT INTO _cf_alarm (id, at) VALUES (1, ?) ON CONFLICT(id) DO UPDATE SET at = excluded.at", at);
    this.schedule(at);
  }

  async deleteAlarm(): Promise<void> {
    this.sql.exec("DELETE FROM _cf_alarm WHERE id = 1");
    if (this.#alarmTimer !== undefined) clearTimeout(this.#alarmTimer);
    this.#alarmTimer = undefined;
  }

  /** Arms the timer for a stored alarm (also after a restart, when the namespace opens the object). */
  schedule(at: number): void {
    if (this.#alarmTimer !== undefined) clearTimeout(this.#alarmTimer);
    const timer = setTimeout(() => void this.#fire(at), Math.max(0, at - Date.now()));
    (globalThis as { Deno?: { unrefTimer(id: number): void } }).Deno?.unrefTimer(timer as unknown as number);
    this.#alarmTimer = timer;
  }

  async #fire(at: number): Promise<void> {
    this.#alarmTimer = undefined;
    // As on the edge: the alarm is cleared before the handler runs, which may set the next one.
    this.sql.exec("DELETE FROM _cf_alarm WHERE id = 1 AND at = ?", at);
    try {
      await this.onAlarm?.();
    } catch (e) {
      console.error(JSON.stringify({ level: "error", event: "durable.alarm_failed", message: (e as Error).message }));
      // Retried, as the edge retries a failed alarm.
      if ((await this.getAlarm()) === null) await this.setAlarm(Date.now() + 60_000);
    }
  }

  close(): void {
    if (this.#alarmTimer !== undefined) clearTimeout(this.#alarmTimer);
    this.sql.db.close();
  }
}
