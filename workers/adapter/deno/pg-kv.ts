/**
 * Workers KV in PostgreSQL (GRANTS_BACKEND=postgres): a node's cached lists (L-3, L-4) and Registratie's
 * publications, shared by its instances on every host, so they all judge by the same Whitelist (W-1) and a list
 * published through one Registratie instance is served by all. The same surface as kv.ts. `namespace` keeps roles
 * (and deployments, if one database were ever shared) apart. Nothing single-use is ever here.
 */
import type { KvStore } from "../../shared/ports.ts";
import { StoreUnavailable, type Pg } from "./postgres.ts";

type ValueType = "text" | "json";

export const KV_SCHEMA = `
CREATE TABLE IF NOT EXISTS medmij_kv (
  namespace text COLLATE "C" NOT NULL, key text COLLATE "C" NOT NULL, value text NOT NULL, metadata text,
  PRIMARY KEY (namespace, key)
);
`;

function decode(value: string | null, type: ValueType | { type?: ValueType } | undefined): unknown {
  if (value === null) return null;
  const t = typeof type === "string" ? type : (type?.type ?? "text");
  return t === "json" ? JSON.parse(value) : value;
}

export class PgKv implements KvStore {
  constructor(
    private readonly pg: Pg,
    private readonly namespace: string,
  ) {}

  get #sql() {
    return this.pg.sql;
  }

  async #guard<T>(run: () => Promise<T>): Promise<T> {
    try {
      return await run();
    } catch (e) {
      this.pg.failed(e);
      throw new StoreUnavailable(e);
    }
  }

  #row(key: string): Promise<{ value: string; metadata: string | null } | undefined> {
    return this.#guard(async () => (await this.#sql<{ value: string; metadata: string | null }[]>`SELECT value, metadata FROM medmij_kv WHERE namespace = ${this.namespace} AND key = ${key}`)[0]);
  }

  get(key: string, type?: "text"): Promise<string | null>;
  get<T>(key: string, type: "json"): Promise<T | null>;
  get(key: string, type?: ValueType | { type?: ValueType }): Promise<unknown>;
  async get(key: string, type?: ValueType | { type?: ValueType }): Promise<unknown> {
    return decode((await this.#row(key))?.value ?? null, type);
  }

  getWithMetadata<M>(key: string, type?: "text"): Promise<{ value: string | null; metadata: M | null }>;
  getWithMetadata(key: string, type?: ValueType | { type?: ValueType }): Promise<{ value: unknown; metadata: unknown }>;
  async getWithMetadata(key: string, type?: ValueType | { type?: ValueType }): Promise<{ value: unknown; metadata: unknown }> {
    const row = await this.#row(key);
    return { value: decode(row?.value ?? null, type), metadata: row?.metadata ? JSON.parse(row.metadata) : null };
  }

  async put(key: string, value: string | ArrayBuffer | ArrayBufferView, options?: { metadata?: unknown }): Promise<void> {
    const text = typeof value === "string" ? value : new TextDecoder().decode(value);
    const metadata = options?.metadata === undefined ? null : JSON.stringify(options.metadata);
    await this.#guard(() => this.#sql`
      INSERT INTO medmij_kv (namespace, key, value, metadata) VALUES (${this.namespace}, ${key}, ${text}, ${metadata})
      ON CONFLICT (namespace, key) DO UPDATE SET value = excluded.value, metadata = excluded.metadata`);
  }

  async delete(key: string): Promise<void> {
    await this.#guard(() => this.#sql`DELETE FROM medmij_kv WHERE namespace = ${this.namespace} AND key = ${key}`);
  }

  async list(options: { prefix?: string } = {}): Promise<{ keys: { name: string; metadata?: unknown }[]; list_complete: true; cacheStatus: null }> {
    const prefix = options.prefix ?? "";
    const rows = await this.#guard(() => this.#sql<{ key: string; metadata: string | null }[]>`
      SELECT key, metadata FROM medmij_kv WHERE namespace = ${this.namespace} AND starts_with(key, ${prefix}) ORDER BY key`);
    return { keys: rows.map((r) => ({ name: r.key, ...(r.metadata ? { metadata: JSON.parse(r.metadata) } : {}) })), list_complete: true, cacheStatus: null };
  }

  close(): void {}
}
