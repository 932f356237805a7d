/**
 * Workers KV on Deno: the node's cached lists (L-3, L-4) and Registratie's publications, in one SQLite
 * table. Only what the product calls: get / getWithMetadata (text or json), put (with metadata), delete,
 * list by prefix. KV never holds single-use state (codes and tokens live in the objects), so the edge's
 * eventual consistency is not something the product relies on, and a local table's strong consistency
 * changes nothing.
 */
import { DatabaseSync, type StatementSync } from "node:sqlite";
import type { KvStore } from "../../shared/ports.ts";

type ValueType = "text" | "json";

function decode(value: string | null, type: ValueType | { type?: ValueType } | undefined): unknown {
  if (value === null) return null;
  const t = typeof type === "string" ? type : (type?.type ?? "text");
  return t === "json" ? JSON.parse(value) : value;
}

export class SqliteKv implements KvStore {
  readonly #db: DatabaseSync;
  /** Prepared once: every back-channel request reads a list's version (lists/store.ts). */
  readonly #read: StatementSync;

  constructor(path: string) {
    this.#db = new DatabaseSync(path);
    if (path !== ":memory:") this.#db.exec("PRAGMA journal_mode = WAL");
    this.#db.exec("CREATE TABLE IF NOT EXISTS kv (key TEXT PRIMARY KEY, value TEXT NOT NULL, metadata TEXT)");
    this.#read = this.#db.prepare("SELECT value, metadata FROM kv WHERE key = ?");
  }

  #row(key: string): { value: string; metadata: string | null } | undefined {
    return this.#read.get(key) as { value: string; metadata: string | null } | undefined;
  }

  get(key: string, type?: "text"): Promise<string | null>;
  get<T>(key: string, type: "json"): Promise<T | null>;
  get(key: string, type?: ValueType | { type?: ValueType }): Promise<unknown>;
  async get(key: string, type?: ValueType | { type?: ValueType }): Promise<unknown> {
    return decode(this.#row(key)?.value ?? null, type);
  }

  getWithMetadata<M>(key: string, type?: "text"): Promise<{ value: string | null; metadata: M | null }>;
  getWithMetadata(key: string, type?: ValueType | { type?: ValueType }): Promise<{ value: unknown; metadata: unknown }>;
  async getWithMetadata(key: string, type?: ValueType | { type?: ValueType }): Promise<{ value: unknown; metadata: unknown }> {
    const row = this.#row(key);
    return { value: decode(row?.value ?? null, type), metadata: row?.metadata ? JSON.parse(row.metadata) : null };
  }

  async put(key: string, value: string | ArrayBuffer | ArrayBufferView, options?: { metadata?: unknown }): Promise<void> {
    const text = typeof value === "string" ? value : new TextDecoder().decode(value);
    const metadata = options?.metadata === undefined ? null : JSON.stringify(options.metadata);
    this.#db.prepare("INSERT INTO kv (key, value, metadata) VALUES (?, ?, ?) ON CONFLICT(key) DO UPDATE SET value = excluded.value, metadata = excluded.metadata").run(key, text, metadata);
  }

  async delete(key: string): Promise<void> {
    this.#db.prepare("DELETE FROM kv WHERE key = ?").run(key);
  }

  async list(options: { prefix?: string } = {}): Promise<{ keys: { name: string; metadata?: unknown }[]; list_complete: true; cacheStatus: null }> {
    const prefix = options.prefix ?? "";
    const rows = this.#db.prepare("SELECT key, metadata FROM kv WHERE substr(key, 1, ?) = ? ORDER BY key").all(prefix.length, prefix) as { key: string; metadata: string | null }[];
    return { keys: rows.map((r) => ({ name: r.key, ...(r.metadata ? { metadata: JSON.parse(r.metadata) } : {}) })), list_complete: true, cacheStatus: null };
  }

  close(): void {
    this.#db.close();
  }
}
