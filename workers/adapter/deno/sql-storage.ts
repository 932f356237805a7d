/**
 * A Durable Object's storage on Deno: the subset of Cloudflare's `ctx.storage` the objects use (`sql.exec`,
 * `transactionSync`, alarms), over one SQLite database per object (node:sqlite, WAL).
 *
 * Semantics kept from the edge:
 *   - `sql.exec` is synchronous, so a method that reads and writes without awaiting in between cannot be
 *     interleaved with another call: the property exactly-once redemption rests on (AS-10);
 *   - `transactionSync` commits all or nothing (a throw rolls back), nested calls become savepoints;
 *   - a write is durable before the answer that depends on it leaves: workerd's output gate. Writes go into an
 *     implicit transaction that stays open for the rest of the event-loop turn and commits in one go (group
 *     commit: one fsync for every write of every request that ran in the meantime); the namespace's stubs
 *     (durable-object.ts) hand a call's result back only after `committed()`, so no answer, nor anything read
 *     from the uncommitted writes, is ever released before their commit. `synchronous=FULL` by default
 *     (SQLITE_SYNCHRONOUS=NORMAL trades the last commits on power loss, never on a process crash, for speed);
 *     SQLITE_GROUP_COMMIT=off commits every statement on its own instead, as before;
 *   - one alarm per object, kept in the object's own database (`_cf_alarm`, the `_cf_` prefix is reserved
 *     on the edge too) so it survives a restart.
 */
import { DatabaseSync, type StatementSync } from "node:sqlite";

type SqlValue = null | number | bigint | string | Uint8Array;

export interface SqlOptions {
  /** "FULL" (default) or "NORMAL". */
  readonly synchronous?: string;
  /** "off": every write commits on its own (no implicit transaction, no output gate needed). */
  readonly groupCommit?: string;
  /** How long the implicit transaction stays open at most after its first write, in ms (0: the end of this turn). */
  readonly commitWindowMs?: string;
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
/** Statements that cannot write: everything else opens the implicit transaction first. */
const READ_ONLY = /^\s*(?:SELECT|VALUES|EXPLAIN)\b/i;

/** More than one statement: only for schema scripts without bindings, as on the edge. */
function isScript(query: string): boolean {
  return query.trim().replace(/;\s*$/, "").includes(";");
}

/** What a statement's text says about it, worked out once per text. */
interface Shape {
  readonly writes: boolean;
  readonly script: boolean;
  readonly rows: boolean;
}

export class Sql {
  readonly #statements = new Map<string, StatementSync>();
  readonly #shapes = new Map<string, Shape>();

  constructor(
    readonly db: DatabaseSync,
    /** Called before a statement that may write (opens the implicit transaction). */
    private readonly beforeWrite: () => void = () => {},
  ) {}

  #shape(query: string): Shape {
    let shape = this.#shapes.get(query);
    if (!shape) {
      shape = { writes: !READ_ONLY.test(query) || /\bRETURNING\b/i.test(query), script: isScript(query), rows: RETURNS_ROWS.test(query) };
      // Texts are the objects' own constants (parameters are bound): the map stays small.
      if (this.#shapes.size < 1000) this.#shapes.set(query, shape);
    }
    return shape;
  }

  exec<T extends Record<string, unknown> = Record<string, unknown>>(query: string, ...bindings: unknown[]): Cursor<T> {
    const shape = this.#shape(query);
    if (shape.writes) this.beforeWrite();
    if (bindings.length === 0 && shape.script) {
      this.db.exec(query);
      return new Cursor<T>([], 0);
    }
    let statement = this.#statements.get(query);
    if (!statement) {
      statement = this.db.prepare(query);
      this.#statements.set(query, statement);
    }
    const values = bindings as SqlValue[];
    if (shape.rows) return new Cursor<T>(statement.all(...values) as T[], 0);
    return new Cursor<T>([], Number(statement.run(...values).changes));
  }
}

interface Batch {
  readonly committed: Promise<void>;
  resolve(): void;
  reject(e: unknown): void;
}

export class SqlStorage {
  readonly sql: Sql;
  #depth = 0;
  #alarmTimer: ReturnType<typeof setTimeout> | undefined;
  readonly #groupCommit: boolean;
  readonly #window: number;
  /** The implicit transaction of this turn's writes, until it commits. */
  #batch: Batch | undefined;
  /** Called when the alarm is due (set by the namespace to the object's `alarm()`). */
  onAlarm: (() => Promise<void>) | undefined;

  constructor(path: string, options: SqlOptions = {}) {
    const db = new DatabaseSync(path);
    if (path !== ":memory:") db.exec("PRAGMA journal_mode = WAL");
    db.exec(`PRAGMA synchronous = ${options.synchronous === "NORMAL" ? "NORMAL" : "FULL"}`);
    db.exec("PRAGMA busy_timeout = 5000");
    db.exec("CREATE TABLE IF NOT EXISTS _cf_alarm (id INTEGER PRIMARY KEY CHECK (id = 1), at INTEGER NOT NULL)");
    this.#groupCommit = options.groupCommit !== "off";
    this.#window = Math.min(50, Math.max(0, Number(options.commitWindowMs ?? 0) || 0));
    this.sql = new Sql(db, () => this.#open());
  }

  /** Opens the implicit transaction (group commit) if none is open; it commits when this turn's work is done. */
  #open(): void {
    if (!this.#groupCommit || this.#batch || this.#depth > 0) return;
    this.sql.db.exec("BEGIN IMMEDIATE");
    let resolve!: () => void;
    let reject!: (e: unknown) => void;
    const committed = new Promise<void>((res, rej) => ((resolve = res), (reject = rej)));
    // Nobody may be waiting (a write whose answer is not awaited): a failed commit is still logged below.
    committed.catch(() => {});
    this.#batch = { committed, resolve, reject };
    setTimeout(() => this.flush(), this.#window);
  }

  /** Commits the implicit transaction now (one fsync for all of it). */
  flush(): void {
    const batch = this.#batch;
    if (!batch) return;
    this.#batch = undefined;
    try {
      this.sql.db.exec("COMMIT");
      batch.resolve();
    } catch (e) {
      try {
        this.sql.db.exec("ROLLBACK");
      } catch {
        // no transaction left
      }
      console.error(JSON.stringify({ level: "error", event: "durable.commit_failed", message: (e as Error).message }));
      batch.reject(e);
    }
  }

  /** Settles when every write made so far is durable (at once when none is pending): the output gate. */
  committed(): Promise<void> {
    return this.#batch?.committed ?? Promise.resolve();
  }

  /** Prepared once per statement text: a savepoint per object call is on the token path. */
  readonly #control = new Map<string, StatementSync>();
  #run(statement: string): void {
    let s = this.#control.get(statement);
    if (!s) this.#control.set(statement, (s = this.sql.db.prepare(statement)));
    s.run();
  }

  transactionSync<T>(fn: () => T): T {
    this.#open();
    const savepoint = `tx${this.#depth}`;
    const outermost = this.#depth === 0 && !this.#batch;
    if (outermost) this.sql.db.exec("BEGIN IMMEDIATE");
    else this.#run(`SAVEPOINT ${savepoint}`);
    this.#depth++;
    try {
      const result = fn();
      this.#depth--;
      if (outermost) this.sql.db.exec("COMMIT");
      else this.#run(`RELEASE ${savepoint}`);
      return result;
    } catch (e) {
      this.#depth--;
      if (outermost) this.sql.db.exec("ROLLBACK");
      else {
        this.#run(`ROLLBACK TO ${savepoint}`);
        this.#run(`RELEASE ${savepoint}`);
      }
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
    this.flush();
    this.sql.db.close();
  }
}
