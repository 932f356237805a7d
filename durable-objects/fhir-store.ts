/**
 * FhirStore: one object per Zorgaanbieder (`idFromName(zorgaanbiedernaam)`) holding the FHIR STU3
 * resources its Resource Server serves, per Gegevensdienst and per Person (SPEC G-3, G-5).
 * Storage only: FHIR search semantics live in workers/dvza/fhir/. Every read is scoped to one
 * subject, so a query can never return another Person's data.
 */
import { DurableObject } from "cloudflare:workers";

export interface StoredResource {
  readonly resourceType: string;
  readonly id: string;
  readonly [k: string]: unknown;
}

export interface SeedRow {
  readonly gegevensdienstId: string;
  readonly subject: string;
  readonly resource: StoredResource;
}

interface Row extends Record<string, SqlStorageValue> {
  json: string;
}

export class FhirStore extends DurableObject {
  private readonly sql: SqlStorage;

  constructor(ctx: DurableObjectState, env: unknown) {
    super(ctx, env as never);
    this.sql = ctx.storage.sql;
    this.sql.exec(`
      CREATE TABLE IF NOT EXISTS resources (
        gd TEXT NOT NULL, type TEXT NOT NULL, id TEXT NOT NULL, subject TEXT NOT NULL,
        json TEXT NOT NULL, version INTEGER NOT NULL, last_updated TEXT NOT NULL,
        PRIMARY KEY (gd, type, id)
      );
      CREATE INDEX IF NOT EXISTS resources_by_subject ON resources(subject, gd, type);
    `);
  }

  /** All resources of one type for one Person in one Gegevensdienst. */
  async list(subject: string, gegevensdienstId: string, type: string): Promise<StoredResource[]> {
    return this.sql
      .exec<Row>(`SELECT json FROM resources WHERE subject = ? AND gd = ? AND type = ? ORDER BY id`, subject, gegevensdienstId, type)
      .toArray()
      .map((r) => JSON.parse(r.json) as StoredResource);
  }

  async read(subject: string, gegevensdienstId: string, type: string, id: string): Promise<StoredResource | null> {
    const row = this.sql.exec<Row>(`SELECT json FROM resources WHERE subject = ? AND gd = ? AND type = ? AND id = ?`, subject, gegevensdienstId, type, id).toArray()[0];
    return row ? (JSON.parse(row.json) as StoredResource) : null;
  }

  /** Store resources the server already gave ids and metadata; all or nothing. */
  async create(subject: string, gegevensdienstId: string, resources: readonly StoredResource[]): Promise<void> {
    this.ctx.storage.transactionSync(() => {
      for (const r of resources) this.insert(gegevensdienstId, subject, r);
    });
  }

  /** Local network and tests: replace the data set. */
  async seed(rows: readonly SeedRow[]): Promise<number> {
    this.ctx.storage.transactionSync(() => {
      this.sql.exec(`DELETE FROM resources`);
      for (const row of rows) this.insert(row.gegevensdienstId, row.subject, row.resource);
    });
    return rows.length;
  }

  private insert(gd: string, subject: string, r: StoredResource): void {
    const lastUpdated = ((r.meta as { lastUpdated?: string } | undefined)?.lastUpdated ?? new Date().toISOString()) as string;
    this.sql.exec(
      `INSERT INTO resources (gd, type, id, subject, json, version, last_updated) VALUES (?, ?, ?, ?, ?, 1, ?)`,
      gd, r.resourceType, r.id, subject, JSON.stringify(r), lastUpdated,
    );
  }
}
