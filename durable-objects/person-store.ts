/**
 * PersonStore: one object per Person (`idFromName(personId)`) holding what the Person collected
 * (Verzamelen) and shared (Delen) through this DVP (SPEC G-1, P-1).
 *
 * A collection keeps the resource requests it made (URI, time, MedMij-Request-ID) for the
 * Portabiliteitsrapport, and the FHIR resources that came back. "Delete data" removes the resources
 * and marks the collection deleted, so it is left out of every later report (P-1).
 */
import { DurableObject } from "cloudflare:workers";

export interface ResourceRequestRecord {
  readonly uri: string;
  readonly at: string;
  readonly requestId: string;
  readonly status: number;
}

export interface CollectionInput {
  readonly zorgaanbieder: string;
  readonly gegevensdienstId: string;
  readonly useCase: "verzamelen" | "delen";
  readonly outcome: "completed" | "failed" | "denied";
  readonly requests: readonly ResourceRequestRecord[];
  /** FHIR resources received (Verzamelen) or sent (Delen), as JSON text. */
  readonly resources: readonly string[];
}

export interface CollectionSummary {
  readonly id: string;
  readonly zorgaanbieder: string;
  readonly gegevensdienstId: string;
  readonly useCase: "verzamelen" | "delen";
  readonly outcome: string;
  readonly at: string;
  readonly resourceCount: number;
  readonly deletedAt: string | null;
}

export interface CollectionDetail extends CollectionSummary {
  readonly requests: readonly ResourceRequestRecord[];
  readonly resources: readonly string[];
}

interface CollectionRow extends Record<string, SqlStorageValue> {
  id: string;
  zorgaanbieder: string;
  gd: string;
  use_case: string;
  outcome: string;
  at: string;
  deleted_at: string | null;
  n: number;
}

export class PersonStore extends DurableObject {
  private readonly sql: SqlStorage;

  constructor(ctx: DurableObjectState, env: unknown) {
    super(ctx, env as never);
    this.sql = ctx.storage.sql;
    this.sql.exec(`
      CREATE TABLE IF NOT EXISTS collections (id TEXT PRIMARY KEY, zorgaanbieder TEXT NOT NULL, gd TEXT NOT NULL, use_case TEXT NOT NULL,
        outcome TEXT NOT NULL, at TEXT NOT NULL, deleted_at TEXT);
      CREATE TABLE IF NOT EXISTS requests (collection_id TEXT NOT NULL, seq INTEGER NOT NULL, uri TEXT NOT NULL, at TEXT NOT NULL,
        request_id TEXT NOT NULL, status INTEGER NOT NULL, PRIMARY KEY (collection_id, seq));
      CREATE TABLE IF NOT EXISTS resources (collection_id TEXT NOT NULL, seq INTEGER NOT NULL, json TEXT NOT NULL, PRIMARY KEY (collection_id, seq));
    `);
  }

  async add(input: CollectionInput): Promise<string> {
    const id = crypto.randomUUID();
    const at = new Date().toISOString();
    this.ctx.storage.transactionSync(() => {
      this.sql.exec(`INSERT INTO collections (id, zorgaanbieder, gd, use_case, outcome, at) VALUES (?, ?, ?, ?, ?, ?)`, id, input.zorgaanbieder, input.gegevensdienstId, input.useCase, input.outcome, at);
      input.requests.forEach((r, i) => this.sql.exec(`INSERT INTO requests VALUES (?, ?, ?, ?, ?, ?)`, id, i, r.uri, r.at, r.requestId, r.status));
      input.resources.forEach((json, i) => this.sql.exec(`INSERT INTO resources VALUES (?, ?, ?)`, id, i, json));
    });
    return id;
  }

  private summary(row: CollectionRow): CollectionSummary {
    return { id: row.id, zorgaanbieder: row.zorgaanbieder, gegevensdienstId: row.gd, useCase: row.use_case as "verzamelen" | "delen", outcome: row.outcome, at: row.at, resourceCount: row.n, deletedAt: row.deleted_at };
  }

  async list(): Promise<CollectionSummary[]> {
    return this.sql
      .exec<CollectionRow>(`SELECT c.*, (SELECT COUNT(*) FROM resources r WHERE r.collection_id = c.id) AS n FROM collections c ORDER BY at DESC, id`)
      .toArray()
      .map((r) => this.summary(r));
  }

  async get(id: string): Promise<CollectionDetail | null> {
    const row = this.sql.exec<CollectionRow>(`SELECT c.*, (SELECT COUNT(*) FROM resources r WHERE r.collection_id = c.id) AS n FROM collections c WHERE id = ?`, id).toArray()[0];
    if (!row) return null;
    const requests = this.sql
      .exec<{ uri: string; at: string; request_id: string; status: number }>(`SELECT uri, at, request_id, status FROM requests WHERE collection_id = ? ORDER BY seq`, id)
      .toArray()
      .map((r) => ({ uri: r.uri, at: r.at, requestId: r.request_id, status: r.status }));
    const resources = this.sql.exec<{ json: string }>(`SELECT json FROM resources WHERE collection_id = ? ORDER BY seq`, id).toArray().map((r) => r.json);
    return { ...this.summary(row), requests, resources };
  }

  /** P-1: the data goes; the fact that it was deleted stays, so reports can leave it out. */
  async delete(id: string): Promise<boolean> {
    return this.ctx.storage.transactionSync(() => {
      const found = this.sql.exec<{ n: number }>(`SELECT COUNT(*) AS n FROM collections WHERE id = ? AND deleted_at IS NULL`, id).one().n > 0;
      if (!found) return false;
      this.sql.exec(`DELETE FROM resources WHERE collection_id = ?`, id);
      this.sql.exec(`UPDATE collections SET deleted_at = ? WHERE id = ?`, new Date().toISOString(), id);
      return true;
    });
  }

  /** P-1: completed Verzamelen runs in [van, tot), not deleted, with their resource requests. */
  async forReport(van: string, tot: string): Promise<CollectionDetail[]> {
    const ids = this.sql
      .exec<{ id: string }>(`SELECT id FROM collections WHERE use_case = 'verzamelen' AND outcome = 'completed' AND deleted_at IS NULL AND at >= ? AND at < ? ORDER BY at, id`, van, tot)
      .toArray();
    const out: CollectionDetail[] = [];
    for (const { id } of ids) {
      const d = await this.get(id);
      if (d) out.push(d);
    }
    return out;
  }

  /** Ending the service: everything goes. */
  async erase(): Promise<void> {
    this.ctx.storage.transactionSync(() => {
      for (const table of ["resources", "requests", "collections"]) this.sql.exec(`DELETE FROM ${table}`);
    });
  }
}
