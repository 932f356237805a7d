/**
 * PostgreSQL as the store that Deno instances share (GRANTS_BACKEND=postgres, DATABASE_URL), on one host or many
 * (SPEC AS-10, X-6): the connection, the schema, and group commit.
 *
 * Durability: every write that decides something (a code, a token, a session step, a flow) commits with
 * PostgreSQL's default `synchronous_commit = on`: the commit record is flushed to disk before the commit returns,
 * and no answer that depends on it is released before that (group commit below). Rate state alone uses a second,
 * small pool with `synchronous_commit = off` (losing the last few hundred milliseconds of it in a crash only
 * refills buckets, as an evicted RateLimiter object does on the edge).
 *
 * Group commit: operations that arrive together (the redemptions of one moment, from any number of requests)
 * run in one transaction with one commit, so one WAL flush serves them all; every operation's promise settles
 * only after that commit returned, as workerd's output gate holds a Durable Object's answers until its writes
 * are durable. A batch that fails (a lost connection, a commit that did not return) settles every one of its
 * operations with an error and nothing else: no answer is ever given for a write that was not committed.
 * Batches that deadlock or fail to serialise (40P01, 40001) were rolled back by PostgreSQL and are run again.
 * A batch whose connection broke is never run again: whether its commit reached the disk is unknown, and a
 * second attempt could then read its own first attempt as someone else's (a redeemed code would look replayed).
 */
import postgres from "postgres";

export type Sql = postgres.Sql<Record<string, unknown>>;
export type Tx = postgres.TransactionSql<Record<string, unknown>>;

/** int8 as a JavaScript number: every int8 here is a millisecond timestamp or a count, well below 2^53. */
const INT8 = { to: 20, from: [20], serialize: (x: number) => String(x), parse: (x: string) => Number(x) };

export interface Pg {
  /** synchronous_commit = on (the server's default): every decision. */
  readonly sql: Sql;
  /** synchronous_commit = off: rate state only. */
  readonly relaxed: Sql;
  /** Called with every error a store operation met: a lost connection replaces the pools. */
  failed(e: unknown): void;
  close(): Promise<void>;
}

export interface PgOptions {
  /** Connections of the main pool (PG_POOL, default 8). */
  readonly max?: number;
}

/** The codes postgres.js gives an error when the connection (not the statement) failed. */
const CONNECTION_ERRORS = new Set(["CONNECTION_CLOSED", "CONNECTION_DESTROYED", "CONNECTION_ENDED", "CONNECT_TIMEOUT", "ECONNRESET", "ECONNREFUSED", "EPIPE", "ETIMEDOUT", "57P01", "57P02", "57P03"]);

export function isConnectionError(e: unknown): boolean {
  const x = e as { code?: string; errno?: string };
  return CONNECTION_ERRORS.has(x?.code ?? "") || CONNECTION_ERRORS.has(x?.errno ?? "");
}

/**
 * Two defects of postgres.js 3.4 when a connection breaks, both worked around here (and measured by
 * test/deno/pg-dropped-connection.test.ts):
 *   1. A transaction whose connection closed still sends ROLLBACK (or COMMIT) on it; the write is queued for a
 *      setImmediate that then finds no socket and throws outside any promise ("Cannot read properties of null
 *      (reading 'write')"), which would end the process. The transactions here never let postgres.js go on after
 *      a lost connection (GroupCommit), and that one exception is caught and logged if it still comes.
 *   2. A connection that closes while a write waits for its setImmediate keeps the unsent bytes and the stale
 *      timer: its next connection attempt never sends its start-up message and times out, again and again. So after
 *      any lost connection the pool is replaced by a fresh one (the old one finishes what it has, then closes).
 */
const pools = new Set<{ refresh(): void }>();
let lostWriteGuard = false;
function guardLostWrites(): void {
  if (lostWriteGuard || typeof globalThis.addEventListener !== "function") return;
  lostWriteGuard = true;
  (globalThis as unknown as { addEventListener(type: "error", listener: (event: Event) => void): void }).addEventListener("error", (event: Event) => {
    const e = (event as ErrorEvent).error as Error | undefined;
    if (e instanceof TypeError && /reading 'write'/.test(e.message) && /postgres[\\/]src[\\/]connection\.js/.test(e.stack ?? "")) {
      event.preventDefault();
      console.error(JSON.stringify({ level: "warn", event: "postgres.lost_write", message: "a write for a connection that was already lost was dropped" }));
      for (const p of pools) p.refresh();
    }
  });
}

/** A pool that can be replaced: `sql` always reaches the current one. */
function replaceablePool(open: () => Sql): { sql: Sql; refresh(): void; end(): Promise<void> } {
  let current = open();
  let refreshedAt = 0;
  const retired: Promise<unknown>[] = [];
  const sql = new Proxy(function () {} as unknown as Sql, {
    apply: (_t, _this, args: unknown[]) => (current as unknown as (...a: unknown[]) => unknown)(...args),
    get: (_t, prop) => {
      const value = (current as unknown as Record<PropertyKey, unknown>)[prop];
      return typeof value === "function" ? (value as (...a: unknown[]) => unknown).bind(current) : value;
    },
  });
  return {
    sql,
    refresh() {
      // At most once a second: one broken moment replaces the pool once.
      if (Date.now() - refreshedAt < 1000) return;
      refreshedAt = Date.now();
      const old = current;
      current = open();
      retired.push(old.end({ timeout: 5 }).catch(() => {}));
    },
    async end() {
      await Promise.all([current.end({ timeout: 5 }), ...retired]);
    },
  };
}

export function connectPostgres(url: string, options: PgOptions = {}): Pg {
  guardLostWrites();
  const common = {
    types: { int8: INT8 },
    onnotice: () => {},
    // A server that does not answer a connection attempt within this many seconds is given up.
    connect_timeout: 10,
    idle_timeout: 60,
    max_lifetime: 60 * 30,
    // Reconnect soon after a lost connection (50 ms, doubling up to 2 s), not after postgres.js's up to 20 s.
    backoff: (retries: number) => Math.min(0.05 * 2 ** retries, 2),
  } as const;
  const main = replaceablePool(() => postgres(url, { ...common, max: options.max ?? 8, connection: { application_name: "medmij-deno" } }) as unknown as Sql);
  const rate = replaceablePool(() => postgres(url, { ...common, max: 2, connection: { application_name: "medmij-deno-rate", synchronous_commit: "off" } }) as unknown as Sql);
  pools.add(main).add(rate);
  return {
    sql: main.sql,
    relaxed: rate.sql,
    failed(e) {
      if (!isConnectionError(e)) return;
      main.refresh();
      rate.refresh();
    },
    async close() {
      pools.delete(main);
      pools.delete(rate);
      await Promise.all([main.end(), rate.end()]);
    },
  };
}

/**
 * Creates what is missing (every statement is `IF NOT EXISTS`), under an advisory lock so instances that start
 * together do not race on the catalogue.
 */
export async function migrate(sql: Sql, schemas: readonly string[]): Promise<void> {
  await sql.begin(async (tx) => {
    await tx`SELECT pg_advisory_xact_lock(7231904)`;
    for (const schema of schemas) await tx.unsafe(schema);
  });
}

/** The SQLSTATEs after which PostgreSQL has rolled the transaction back and it may simply run again. */
const RETRYABLE = new Set(["40001", "40P01"]);

export function isRetryable(e: unknown): boolean {
  return RETRYABLE.has((e as { code?: string }).code ?? "");
}

/**
 * What a failed store operation tells its caller: which failure, never a query's parameters (hashes, subjects)
 * nor the server's detail text (which can quote a key).
 */
export class StoreUnavailable extends Error {
  override readonly name = "StoreUnavailable";
  constructor(cause: unknown) {
    const code = (cause as { code?: string }).code;
    super(`shared store unavailable${code ? ` (${code})` : ""}`);
  }
}

/** One kind of operation that can share a transaction with others of its kind. */
export interface BatchKind<I, O> {
  /** Kinds run in this order inside a batch, so every batch takes its row locks in one global order. */
  readonly order: number;
  /** Runs every input of the batch (in arrival order) inside `tx`; one output per input. */
  run(tx: Tx, inputs: readonly I[], now: number): Promise<O[]>;
}

interface Pending {
  readonly kind: BatchKind<unknown, unknown>;
  readonly input: unknown;
  resolve(value: unknown): void;
  reject(error: unknown): void;
}

export interface GroupCommitOptions {
  /** Batches in flight at once (each on its own connection). */
  readonly inFlight?: number;
  /** Operations per batch at most. */
  readonly maxBatch?: number;
  /** Attempts of a batch that PostgreSQL rolled back (deadlock, serialisation). */
  readonly attempts?: number;
}

export class GroupCommit {
  readonly #queue: Pending[] = [];
  #running = 0;
  readonly #inFlight: number;
  readonly #maxBatch: number;
  readonly #attempts: number;
  /** Batches committed, and operations in them (the bench prints the mean batch size). */
  readonly stats = { batches: 0, operations: 0, retries: 0 };

  constructor(
    private readonly pg: Pg,
    options: GroupCommitOptions = {},
  ) {
    this.#inFlight = options.inFlight ?? 2;
    this.#maxBatch = options.maxBatch ?? 256;
    this.#attempts = options.attempts ?? 8;
  }

  submit<I, O>(kind: BatchKind<I, O>, input: I): Promise<O> {
    return new Promise<O>((resolve, reject) => {
      this.#queue.push({ kind: kind as BatchKind<unknown, unknown>, input, resolve: resolve as (v: unknown) => void, reject });
      this.#pump();
    });
  }

  #pump(): void {
    while (this.#running < this.#inFlight && this.#queue.length > 0) {
      const batch = this.#queue.splice(0, this.#maxBatch);
      this.#running++;
      void this.#run(batch).finally(() => {
        this.#running--;
        this.#pump();
      });
    }
  }

  async #run(batch: Pending[]): Promise<void> {
    const kinds = new Map<BatchKind<unknown, unknown>, Pending[]>();
    for (const p of batch) {
      const list = kinds.get(p.kind);
      if (list) list.push(p);
      else kinds.set(p.kind, [p]);
    }
    const ordered = [...kinds].sort(([a], [b]) => a.order - b.order);
    for (let attempt = 1; ; attempt++) {
      try {
        const outputs = await this.pg.sql.begin((tx) => {
          const now = Date.now();
          return new Promise<unknown[][]>((resolve, reject) => {
            void (async () => {
              const out: unknown[][] = [];
              for (const [kind, pending] of ordered) out.push(await kind.run(tx, pending.map((p) => p.input), now));
              return out;
            })().then(resolve, (e) => {
              // The connection is gone: begin() has already failed, and postgres.js must not be told to roll back
              // on it (postgres.ts, defect 1). This promise is left unsettled; nothing holds it.
              if (!isConnectionError(e)) reject(e);
            });
          });
        });
        // Committed: only now may any answer that depends on this batch leave.
        this.stats.batches++;
        this.stats.operations += batch.length;
        ordered.forEach(([, pending], k) => pending.forEach((p, i) => p.resolve((outputs as unknown[][])[k]![i])));
        return;
      } catch (e) {
        if (isRetryable(e) && attempt < this.#attempts) {
          this.stats.retries++;
          await new Promise((r) => setTimeout(r, Math.random() * 4 * attempt));
          continue;
        }
        this.pg.failed(e);
        const error = new StoreUnavailable(e);
        for (const p of batch) p.reject(error);
        return;
      }
    }
  }
}

/**
 * A DurableObjectNamespace whose objects are rows in shared tables: every object name keeps its own keyspace
 * (the `object` column), as every Durable Object has its own database, so what the edge keeps apart stays apart.
 */
export class PgNamespace<S extends object> {
  readonly #stores = new Map<string, S>();
  constructor(
    private readonly pg: Pg,
    private readonly make: (object: string) => S,
  ) {}
  idFromName(name: string): { readonly name: string; toString(): string; equals(other: { toString(): string }): boolean } {
    return { name, toString: () => name, equals: (other) => other.toString() === name };
  }
  jurisdiction(_name: string): PgNamespace<S> {
    return this;
  }
  get(id: { toString(): string }): S {
    const name = id.toString();
    let store = this.#stores.get(name);
    if (!store) this.#stores.set(name, (store = this.#guarded(this.make(name))));
    return store;
  }

  /** Every failure of a store call is StoreUnavailable (no parameters in it), and a lost connection is reported. */
  #guarded(store: S): S {
    return new Proxy(store, {
      get: (target, prop) => {
        const value = Reflect.get(target, prop) as unknown;
        if (typeof value !== "function") return value;
        return async (...args: unknown[]) => {
          try {
            return await (value as (...a: unknown[]) => Promise<unknown>).apply(target, args);
          } catch (e) {
            if (e instanceof StoreUnavailable) throw e;
            this.pg.failed(e);
            throw new StoreUnavailable(e);
          }
        };
      },
    });
  }
}
