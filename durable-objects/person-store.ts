/**
 * PersonStore: one object per Person (`idFromName(personId)`) holding what the Person collected
 * (Verzamelen) and shared (Delen) through this DVP (SPEC G-1, P-1).
 *
 * A collection keeps the resource requests it made (URI, time, MedMij-Request-ID) for the
 * Portabiliteitsrapport, and the FHIR resources that came back, each with the request whose answer carried it
 * (its MedMij-Request-ID, LOG-3). "Delete data" removes the resources and marks the collection deleted, so it
 * is left out of every later report (P-1).
 *
 * It also keeps what the Person enters and uploads to share (own-data.ts): measurements, and documents (their
 * bytes in chunks below SQLite-backed Durable Objects' 2 MB value limit).
 */
import { DurableObject } from "cloudflare:workers";
import type { ObjectStorage, SqlStore, SqlValue } from "../workers/shared/ports.ts";
import type { RuntimeState } from "./state.ts";
import type { GlucoseMoment, MeasurementKind, OwnDocument, OwnMeasurement } from "../workers/dvp/own-data.ts";

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
  /** Per resource, the index in `requests` of the request whose answer carried it (LOG-3). */
  readonly origins?: readonly (number | null)[];
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
  /** Per resource, the index in `requests` of the request whose answer carried it, when known. */
  readonly origins: readonly (number | null)[];
}

/** Bytes per stored chunk of a document (the value limit is 2 MB). */
const CHUNK = 1024 * 1024;

interface CollectionRow extends Record<string, SqlValue> {
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
  private readonly storage: ObjectStorage;
  private readonly sql: SqlStore;

  constructor(ctx: RuntimeState, env: unknown) {
    super(ctx, env as never);
    this.storage = ctx.storage;
    this.sql = this.storage.sql;
    this.sql.exec(`
      CREATE TABLE IF NOT EXISTS collections (id TEXT PRIMARY KEY, zorgaanbieder TEXT NOT NULL, gd TEXT NOT NULL, use_case TEXT NOT NULL,
        outcome TEXT NOT NULL, at TEXT NOT NULL, deleted_at TEXT);
      CREATE TABLE IF NOT EXISTS requests (collection_id TEXT NOT NULL, seq INTEGER NOT NULL, uri TEXT NOT NULL, at TEXT NOT NULL,
        request_id TEXT NOT NULL, status INTEGER NOT NULL, PRIMARY KEY (collection_id, seq));
      CREATE TABLE IF NOT EXISTS resources (collection_id TEXT NOT NULL, seq INTEGER NOT NULL, json TEXT NOT NULL, PRIMARY KEY (collection_id, seq));
      CREATE TABLE IF NOT EXISTS measurements (id TEXT PRIMARY KEY, kind TEXT NOT NULL, at TEXT NOT NULL, vals TEXT NOT NULL, moment TEXT,
        entered_at TEXT NOT NULL, shared_at TEXT);
      CREATE TABLE IF NOT EXISTS documents (id TEXT PRIMARY KEY, title TEXT NOT NULL, type TEXT NOT NULL, content_type TEXT NOT NULL,
        size INTEGER NOT NULL, uploaded_at TEXT NOT NULL, shared_at TEXT);
      CREATE TABLE IF NOT EXISTS document_chunks (document_id TEXT NOT NULL, seq INTEGER NOT NULL, bytes BLOB NOT NULL, PRIMARY KEY (document_id, seq));
    `);
    // Objects created before resources knew their request: the column is added once.
    const columns = this.sql.exec<{ name: string }>(`PRAGMA table_info(resources)`).toArray().map((c) => c.name);
    if (!columns.includes("request_seq")) this.sql.exec(`ALTER TABLE resources ADD COLUMN request_seq INTEGER`);
  }

  async add(input: CollectionInput): Promise<string> {
    const id = crypto.randomUUID();
    const at = new Date().toISOString();
    this.storage.transactionSync(() => {
      this.sql.exec(`INSERT INTO collections (id, zorgaanbieder, gd, use_case, outcome, at) VALUES (?, ?, ?, ?, ?, ?)`, id, input.zorgaanbieder, input.gegevensdienstId, input.useCase, input.outcome, at);
      input.requests.forEach((r, i) => this.sql.exec(`INSERT INTO requests VALUES (?, ?, ?, ?, ?, ?)`, id, i, r.uri, r.at, r.requestId, r.status));
      input.resources.forEach((json, i) => this.sql.exec(`INSERT INTO resources (collection_id, seq, json, request_seq) VALUES (?, ?, ?, ?)`, id, i, json, input.origins?.[i] ?? null));
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
    const rows = this.sql.exec<{ json: string; request_seq: number | null }>(`SELECT json, request_seq FROM resources WHERE collection_id = ? ORDER BY seq`, id).toArray();
    return { ...this.summary(row), requests, resources: rows.map((r) => r.json), origins: rows.map((r) => r.request_seq) };
  }

  /** P-1: the data goes; the fact that it was deleted stays, so reports can leave it out. */
  async delete(id: string): Promise<boolean> {
    return this.storage.transactionSync(() => {
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

  // --- what the Person keeps to share -------------------------------------------------------------

  async addMeasurement(m: Omit<OwnMeasurement, "id" | "enteredAt" | "sharedAt">): Promise<OwnMeasurement> {
    const row: OwnMeasurement = { ...m, id: crypto.randomUUID(), enteredAt: new Date().toISOString(), sharedAt: null };
    this.sql.exec(`INSERT INTO measurements VALUES (?, ?, ?, ?, ?, ?, NULL)`, row.id, row.kind, row.at, JSON.stringify(row.values), row.moment ?? null, row.enteredAt);
    return row;
  }

  /** Newest first; `ids` picks some, `van`/`tot` (ISO instants, [van, tot)) a period. */
  async measurements(filter: { ids?: readonly string[]; van?: string; tot?: string } = {}): Promise<OwnMeasurement[]> {
    const rows = this.sql
      .exec<{ id: string; kind: string; at: string; vals: string; moment: string | null; entered_at: string; shared_at: string | null }>(`SELECT * FROM measurements ORDER BY at DESC, id`)
      .toArray()
      .map((r): OwnMeasurement => ({ id: r.id, kind: r.kind as MeasurementKind, at: r.at, values: JSON.parse(r.vals) as number[], ...(r.moment ? { moment: r.moment as GlucoseMoment } : {}), enteredAt: r.entered_at, sharedAt: r.shared_at }));
    const ids = filter.ids ? new Set(filter.ids) : undefined;
    const van = filter.van ? Date.parse(filter.van) : -Infinity;
    const tot = filter.tot ? Date.parse(filter.tot) : Infinity;
    return rows.filter((m) => (!ids || ids.has(m.id)) && Date.parse(m.at) >= van && Date.parse(m.at) < tot);
  }

  async deleteMeasurement(id: string): Promise<boolean> {
    return this.sql.exec(`DELETE FROM measurements WHERE id = ?`, id).rowsWritten > 0;
  }

  async addDocument(d: Omit<OwnDocument, "id" | "uploadedAt" | "sharedAt" | "size">, bytes: Uint8Array): Promise<OwnDocument> {
    const row: OwnDocument = { ...d, id: crypto.randomUUID(), size: bytes.byteLength, uploadedAt: new Date().toISOString(), sharedAt: null };
    this.storage.transactionSync(() => {
      this.sql.exec(`INSERT INTO documents VALUES (?, ?, ?, ?, ?, ?, NULL)`, row.id, row.title, row.type, row.contentType, row.size, row.uploadedAt);
      for (let i = 0; i * CHUNK < bytes.byteLength; i++) this.sql.exec(`INSERT INTO document_chunks VALUES (?, ?, ?)`, row.id, i, bytes.subarray(i * CHUNK, (i + 1) * CHUNK));
    });
    return row;
  }

  /** Newest first; `ids` picks some. */
  async documents(ids?: readonly string[]): Promise<OwnDocument[]> {
    const want = ids ? new Set(ids) : undefined;
    return this.sql
      .exec<{ id: string; title: string; type: string; content_type: string; size: number; uploaded_at: string; shared_at: string | null }>(`SELECT * FROM documents ORDER BY uploaded_at DESC, id`)
      .toArray()
      .filter((r) => !want || want.has(r.id))
      .map((r) => ({ id: r.id, title: r.title, type: r.type, contentType: r.content_type as "application/pdf", size: r.size, uploadedAt: r.uploaded_at, sharedAt: r.shared_at }));
  }

  async documentContent(id: string): Promise<Uint8Array<ArrayBuffer> | null> {
    const chunks = this.sql.exec<{ bytes: ArrayBuffer }>(`SELECT bytes FROM document_chunks WHERE document_id = ? ORDER BY seq`, id).toArray();
    if (chunks.length === 0) return null;
    const out = new Uint8Array(chunks.reduce((n, c) => n + c.bytes.byteLength, 0));
    let at = 0;
    for (const c of chunks) {
      out.set(new Uint8Array(c.bytes), at);
      at += c.bytes.byteLength;
    }
    return out;
  }

  async deleteDocument(id: string): Promise<boolean> {
    return this.storage.transactionSync(() => {
      this.sql.exec(`DELETE FROM document_chunks WHERE document_id = ?`, id);
      return this.sql.exec(`DELETE FROM documents WHERE id = ?`, id).rowsWritten > 0;
    });
  }

  /** After a Delen run that the provider accepted. */
  async markShared(kind: "measurements" | "documents", ids: readonly string[], at: string): Promise<void> {
    this.storage.transactionSync(() => {
      for (const id of ids) this.sql.exec(`UPDATE ${kind === "measurements" ? "measurements" : "documents"} SET shared_at = ? WHERE id = ?`, at, id);
    });
  }

  /** Ending the service: everything goes. */
  async erase(): Promise<void> {
    this.storage.transactionSync(() => {
      for (const table of ["resources", "requests", "collections", "measurements", "document_chunks", "documents"]) this.sql.exec(`DELETE FROM ${table}`);
    });
  }
}
