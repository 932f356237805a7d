/**
 * FhirStore: one object per Zorgaanbieder (`idFromName(zorgaanbiedernaam)`) holding the FHIR STU3 resources its
 * Resource Server serves in store mode, as the provider's system feeds them (SPEC G-3, G-5, G-6, X-8, X-10).
 *
 *   - A resource is written with its index rows (workers/fhir/indexing.ts: every SearchParameter evaluated once,
 *     here, at write time) and its place in the Patient compartment: a Patient is tied to a Person by its BSN
 *     identifier; every other resource of a compartment type by the Patients (or BSNs) it refers to. The BSN
 *     itself is kept in `persons` only: the stored text is masked, so nothing served can carry it.
 *   - A search (workers/fhir/search/sql.ts) and a read are always scoped to one Person: their compartment, and
 *     shared resources (Practitioner, Organization, Medication, Binary, ...) only where one of the Person's own
 *     resources refers to them.
 *   - Writes are all or nothing per call (`transaction`), or each on its own (`batch`).
 * Storage and scoping only: FHIR request semantics live in workers/fhir/ and workers/dvza/fhir/.
 */
import { DurableObject } from "cloudflare:workers";
import type { ObjectStorage, SqlStore, SqlValue } from "../workers/shared/ports.ts";
import type { RuntimeState } from "./state.ts";
import { maskBsn } from "../workers/fhir/bsn.ts";
import { inPatientCompartment } from "../workers/fhir/compartment.ts";
import { parseFhirJson, stringifyFhirJson, type FhirObject } from "../workers/fhir/formats/json.ts";
import { indexResource } from "../workers/fhir/indexing.ts";
import { localReference, referencesIn, type Json } from "../workers/fhir/references.ts";
import type { Clause, Include, SearchQuery } from "../workers/fhir/search/parse.ts";
import { clauseSql, matchSql, type SqlFragment } from "../workers/fhir/search/sql.ts";

/** A stored resource as served: its JSON text (BSN masked) and what identifies its version. */
export interface StoredText {
  readonly type: string;
  readonly id: string;
  readonly version: number;
  readonly lastUpdated: string;
  readonly text: string;
}

/** Who is asking and what their Gegevensdienst may see (SPEC X-4, AS-6). */
export interface StoreScope {
  /** The token's BSN. */
  readonly person: string;
  /** Resource types of the Gegevensdienst. */
  readonly types: readonly string[];
  /** Per type, the clauses every resource of that type must meet (the Gegevensdienst's restriction). */
  readonly restrict: Readonly<Record<string, readonly Clause[]>>;
}

export type WriteOp =
  | { readonly kind: "put"; readonly type: string; readonly id: string; readonly text: string; readonly ifMatch?: number }
  | { readonly kind: "create"; readonly type: string; readonly text: string }
  | { readonly kind: "delete"; readonly type: string; readonly id: string };

export interface WriteResult {
  /** HTTP status of this operation: 200 updated, 201 created, 204 deleted, 404, 409, 412, 422. */
  readonly status: number;
  readonly type: string;
  readonly id: string;
  readonly version?: number;
  readonly lastUpdated?: string;
  /** The stored resource (BSN masked), for `Prefer: return=representation`. */
  readonly text?: string;
  /** Why it was refused: safe to show the writer. */
  readonly problem?: string;
}

export interface SearchResult {
  readonly total: number;
  readonly matches: readonly StoredText[];
  readonly included: readonly StoredText[];
}

/** A write refused; a transaction rolls back. */
class Refused extends Error {
  /** Which operation of the call. */
  index = 0;
  constructor(
    readonly status: number,
    message: string,
  ) {
    super(message);
  }
}

interface Row extends Record<string, SqlValue> {
  rid: number;
  type: string;
  id: string;
  version: number;
  last_updated: string;
  json: string;
}

const INDEX_TABLES = ["ix_token", "ix_date", "ix_ref", "ix_string", "ix_quantity", "ix_number", "ix_uri", "links", "patient_links", "bsn_links", "persons"] as const;

export class FhirStore extends DurableObject {
  private readonly storage: ObjectStorage;
  private readonly sql: SqlStore;

  constructor(ctx: RuntimeState, env: unknown) {
    super(ctx, env as never);
    this.storage = ctx.storage;
    this.sql = this.storage.sql;
    this.sql.exec(`
      CREATE TABLE IF NOT EXISTS resources (
        rid INTEGER PRIMARY KEY, type TEXT NOT NULL, id TEXT NOT NULL, version INTEGER NOT NULL,
        last_updated TEXT NOT NULL, lu_ms INTEGER NOT NULL, shared INTEGER NOT NULL, json TEXT NOT NULL,
        UNIQUE (type, id)
      );
      CREATE TABLE IF NOT EXISTS persons (rid INTEGER NOT NULL, bsn TEXT NOT NULL, PRIMARY KEY (bsn, rid));
      CREATE INDEX IF NOT EXISTS persons_rid ON persons(rid);
      CREATE TABLE IF NOT EXISTS patient_links (rid INTEGER NOT NULL, patient_id TEXT NOT NULL, PRIMARY KEY (patient_id, rid));
      CREATE INDEX IF NOT EXISTS patient_links_rid ON patient_links(rid);
      CREATE TABLE IF NOT EXISTS bsn_links (rid INTEGER NOT NULL, bsn TEXT NOT NULL);
      CREATE INDEX IF NOT EXISTS bsn_links_rid ON bsn_links(rid);
      CREATE TABLE IF NOT EXISTS compartment (rid INTEGER NOT NULL, person TEXT NOT NULL, PRIMARY KEY (person, rid));
      CREATE INDEX IF NOT EXISTS compartment_rid ON compartment(rid);
      CREATE TABLE IF NOT EXISTS links (rid INTEGER NOT NULL, target_type TEXT NOT NULL, target_id TEXT NOT NULL);
      CREATE INDEX IF NOT EXISTS links_target ON links(target_type, target_id);
      CREATE INDEX IF NOT EXISTS links_rid ON links(rid);
      CREATE TABLE IF NOT EXISTS ix_token (rid INTEGER NOT NULL, param TEXT NOT NULL, system TEXT, code TEXT NOT NULL);
      CREATE INDEX IF NOT EXISTS ix_token_lookup ON ix_token(param, code, system);
      CREATE INDEX IF NOT EXISTS ix_token_rid ON ix_token(rid);
      CREATE TABLE IF NOT EXISTS ix_date (rid INTEGER NOT NULL, param TEXT NOT NULL, lo INTEGER NOT NULL, hi INTEGER NOT NULL);
      CREATE INDEX IF NOT EXISTS ix_date_rid ON ix_date(rid, param);
      CREATE TABLE IF NOT EXISTS ix_ref (rid INTEGER NOT NULL, param TEXT NOT NULL, target_type TEXT NOT NULL, target_id TEXT NOT NULL);
      CREATE INDEX IF NOT EXISTS ix_ref_rid ON ix_ref(rid, param);
      CREATE INDEX IF NOT EXISTS ix_ref_target ON ix_ref(target_type, target_id, param);
      CREATE TABLE IF NOT EXISTS ix_string (rid INTEGER NOT NULL, param TEXT NOT NULL, norm TEXT NOT NULL, exact TEXT NOT NULL);
      CREATE INDEX IF NOT EXISTS ix_string_rid ON ix_string(rid, param);
      CREATE TABLE IF NOT EXISTS ix_quantity (rid INTEGER NOT NULL, param TEXT NOT NULL, value REAL NOT NULL, system TEXT, code TEXT);
      CREATE INDEX IF NOT EXISTS ix_quantity_rid ON ix_quantity(rid, param);
      CREATE TABLE IF NOT EXISTS ix_number (rid INTEGER NOT NULL, param TEXT NOT NULL, value REAL NOT NULL);
      CREATE INDEX IF NOT EXISTS ix_number_rid ON ix_number(rid, param);
      CREATE TABLE IF NOT EXISTS ix_uri (rid INTEGER NOT NULL, param TEXT NOT NULL, value TEXT NOT NULL);
      CREATE INDEX IF NOT EXISTS ix_uri_rid ON ix_uri(rid, param);
    `);
  }

  // --- writing -------------------------------------------------------------------------------------------

  /**
   * Applies writes. `transaction`: all or nothing, the first refusal rolls every one back (and is the only
   * result). `batch`: each on its own. `bases` are the absolute URLs that mean "this server" in references.
   */
  async write(ops: readonly WriteOp[], mode: "transaction" | "batch", bases: readonly string[]): Promise<WriteResult[]> {
    const now = new Date();
    if (mode === "transaction") {
      try {
        return this.storage.transactionSync(() => {
          // FHIR transaction order (http.html#trules): deletes first, then writes, Patients before what refers to them.
          const rank = (op: WriteOp) => (op.kind === "delete" ? 0 : op.type === "Patient" ? 1 : 2);
          const order = ops.map((_, i) => i).sort((a, b) => rank(ops[a]!) - rank(ops[b]!) || a - b);
          const results: WriteResult[] = new Array(ops.length);
          for (const i of order) {
            try {
              results[i] = this.apply(ops[i]!, bases, now);
            } catch (e) {
              if (e instanceof Refused) e.index = i;
              throw e;
            }
          }
          return results;
        });
      } catch (e) {
        if (!(e instanceof Refused)) throw e;
        const op = ops[e.index]!;
        return [{ status: e.status, type: op.type, id: op.kind === "create" ? "" : op.id, problem: `entry ${e.index}: ${e.message}` }];
      }
    }
    return ops.map((op) => {
      try {
        return this.storage.transactionSync(() => this.apply(op, bases, now));
      } catch (e) {
        if (!(e instanceof Refused)) throw e;
        return { status: e.status, type: op.type, id: op.kind === "create" ? "" : op.id, problem: e.message };
      }
    });
  }

  private current(type: string, id: string): Row | undefined {
    return this.sql.exec<Row>(`SELECT rid, type, id, version, last_updated, json FROM resources WHERE type = ? AND id = ?`, type, id).toArray()[0];
  }

  private apply(op: WriteOp, bases: readonly string[], now: Date): WriteResult {
    if (op.kind === "delete") {
      const row = this.current(op.type, op.id);
      // Thrown, not returned: in a transaction one failed entry fails it whole (X-10; STU3 http.html#transaction),
      // never a committed transaction-response with a 404 entry. A batch still reports it per entry.
      if (!row) throw new Refused(404, `${op.type}/${op.id} is not known`);
      if (op.type === "Patient" && this.sql.exec(`SELECT 1 FROM patient_links WHERE patient_id = ? LIMIT 1`, op.id).toArray().length > 0) {
        throw new Refused(409, `Patient/${op.id} still has resources: purge the Person ($purge) instead`);
      }
      this.remove(row.rid);
      return { status: 204, type: op.type, id: op.id };
    }
    const id = op.kind === "create" ? crypto.randomUUID() : op.id;
    const existing = op.kind === "put" ? this.current(op.type, id) : undefined;
    if (op.kind === "put" && op.ifMatch !== undefined && existing?.version !== op.ifMatch) throw new Refused(412, `${op.type}/${id} is not at version ${op.ifMatch}`);
    const version = (existing?.version ?? 0) + 1;
    const lastUpdated = now.toISOString();
    const resource = parseFhirJson(op.text) as FhirObject;
    if (resource.resourceType !== op.type) throw new Refused(422, `the resource is a ${String(resource.resourceType)}, not a ${op.type}`);
    resource.id = id;
    resource.meta = { ...((resource.meta as FhirObject | undefined) ?? {}), versionId: String(version), lastUpdated };
    const indexed = indexResource(resource as Json, bases);
    const persons = this.personsOf(op.type, indexed.patientIds, indexed.bsns);
    if (op.type === "Patient" && indexed.bsns.length !== 1) {
      throw new Refused(422, "a Patient needs exactly one BSN identifier (system http://fhir.nl/fhir/NamingSystem/bsn, with its value) to be matched to a Person (X-10)");
    }
    if (op.type !== "Patient" && inPatientCompartment(op.type) && persons.length === 0) {
      throw new Refused(422, `${op.type}/${id} refers to no Patient known here: store the Patient (with its BSN) first`);
    }
    const text = stringifyFhirJson(maskBsn(resource));
    const shared = inPatientCompartment(op.type) ? 0 : 1;
    let rid: number;
    if (existing) {
      rid = existing.rid;
      for (const t of INDEX_TABLES) this.sql.exec(`DELETE FROM ${t} WHERE rid = ?`, rid);
      this.sql.exec(`UPDATE resources SET version = ?, last_updated = ?, lu_ms = ?, shared = ?, json = ? WHERE rid = ?`, version, lastUpdated, now.getTime(), shared, text, rid);
    } else {
      rid = this.sql.exec<{ rid: number }>(`INSERT INTO resources (type, id, version, last_updated, lu_ms, shared, json) VALUES (?, ?, ?, ?, ?, ?, ?) RETURNING rid`, op.type, id, version, lastUpdated, now.getTime(), shared, text).one().rid;
    }
    const { rows } = indexed;
    for (const [p, s, c] of rows.tokens) this.sql.exec(`INSERT INTO ix_token (rid, param, system, code) VALUES (?, ?, ?, ?)`, rid, p, s, c);
    for (const [p, lo, hi] of rows.dates) this.sql.exec(`INSERT INTO ix_date (rid, param, lo, hi) VALUES (?, ?, ?, ?)`, rid, p, lo, hi);
    for (const [p, t, i] of rows.references) this.sql.exec(`INSERT INTO ix_ref (rid, param, target_type, target_id) VALUES (?, ?, ?, ?)`, rid, p, t, i);
    for (const [p, n, e] of rows.strings) this.sql.exec(`INSERT INTO ix_string (rid, param, norm, exact) VALUES (?, ?, ?, ?)`, rid, p, n, e);
    for (const [p, v, s, c] of rows.quantities) this.sql.exec(`INSERT INTO ix_quantity (rid, param, value, system, code) VALUES (?, ?, ?, ?, ?)`, rid, p, v, s, c);
    for (const [p, v] of rows.numbers) this.sql.exec(`INSERT INTO ix_number (rid, param, value) VALUES (?, ?, ?)`, rid, p, v);
    for (const [p, v] of rows.uris) this.sql.exec(`INSERT INTO ix_uri (rid, param, value) VALUES (?, ?, ?)`, rid, p, v);
    for (const [t, i] of linksOf(resource as Json, bases)) this.sql.exec(`INSERT INTO links (rid, target_type, target_id) VALUES (?, ?, ?)`, rid, t, i);
    if (op.type === "Patient") {
      this.sql.exec(`INSERT INTO persons (rid, bsn) VALUES (?, ?)`, rid, indexed.bsns[0]!);
    } else {
      for (const p of indexed.patientIds) this.sql.exec(`INSERT INTO patient_links (rid, patient_id) VALUES (?, ?)`, rid, p);
      for (const b of indexed.bsns) this.sql.exec(`INSERT INTO bsn_links (rid, bsn) VALUES (?, ?)`, rid, b);
    }
    // A Patient's BSN decides the compartment of every resource that refers to it: recomputed with it.
    const affected = op.type === "Patient" ? [rid, ...this.sql.exec<{ rid: number }>(`SELECT rid FROM patient_links WHERE patient_id = ?`, id).toArray().map((r) => r.rid)] : [rid];
    for (const r of affected) this.recomputeCompartment(r);
    return { status: existing ? 200 : 201, type: op.type, id, version, lastUpdated, text };
  }

  /** The BSNs of the Persons a resource's compartment references name (Patients known here, or BSNs directly). */
  private personsOf(type: string, patientIds: readonly string[], bsns: readonly string[]): string[] {
    if (type === "Patient") return [...bsns];
    const out = new Set(bsns);
    for (const pid of patientIds) {
      for (const r of this.sql.exec<{ bsn: string }>(`SELECT p.bsn FROM resources r JOIN persons p ON p.rid = r.rid WHERE r.type = 'Patient' AND r.id = ?`, pid)) out.add(r.bsn);
    }
    return [...out];
  }

  private recomputeCompartment(rid: number): void {
    this.sql.exec(`DELETE FROM compartment WHERE rid = ?`, rid);
    this.sql.exec(
      `INSERT OR IGNORE INTO compartment (rid, person)
         SELECT ?, bsn FROM persons WHERE rid = ?
         UNION SELECT ?, bsn FROM bsn_links WHERE rid = ?
         UNION SELECT ?, p.bsn FROM patient_links l JOIN resources pr ON pr.type = 'Patient' AND pr.id = l.patient_id JOIN persons p ON p.rid = pr.rid WHERE l.rid = ?`,
      rid, rid, rid, rid, rid, rid,
    );
  }

  private remove(rid: number): void {
    for (const t of [...INDEX_TABLES, "compartment"]) this.sql.exec(`DELETE FROM ${t} WHERE rid = ?`, rid);
    this.sql.exec(`DELETE FROM resources WHERE rid = ?`, rid);
  }

  /**
   * `Patient/<id>/$purge`: the Person's Patient and every resource in their compartment alone (one that is also in
   * another Person's compartment loses only this Person). Shared resources stay. Returns how many were removed.
   */
  async purge(patientId: string): Promise<number> {
    return this.storage.transactionSync(() => {
      const patient = this.current("Patient", patientId);
      if (!patient) return 0;
      const bsn = this.sql.exec<{ bsn: string }>(`SELECT bsn FROM persons WHERE rid = ?`, patient.rid).toArray()[0]?.bsn;
      const theirs = bsn === undefined ? [] : this.sql.exec<{ rid: number; n: number }>(`SELECT c.rid AS rid, (SELECT COUNT(*) FROM compartment o WHERE o.rid = c.rid) AS n FROM compartment c WHERE c.person = ?`, bsn).toArray();
      let removed = 0;
      for (const { rid, n } of theirs) {
        if (n <= 1 || rid === patient.rid) {
          this.remove(rid);
          removed++;
        } else {
          this.sql.exec(`DELETE FROM compartment WHERE rid = ? AND person = ?`, rid, bsn!);
        }
      }
      // Resources that named this Patient but whose compartment came from elsewhere keep their other Persons.
      this.sql.exec(`DELETE FROM patient_links WHERE patient_id = ?`, patientId);
      if (this.current("Patient", patientId)) {
        this.remove(patient.rid);
        removed++;
      }
      return removed;
    });
  }

  /** Local network and tests: replace the whole data set with these resources (JSON texts), in one transaction. */
  async seed(texts: readonly string[], bases: readonly string[] = []): Promise<number> {
    this.storage.transactionSync(() => {
      for (const t of ["resources", "compartment", ...INDEX_TABLES]) this.sql.exec(`DELETE FROM ${t}`);
      // Patients first: the others are tied to a Person through them.
      const parsed = texts.map((text) => ({ text, type: String((JSON.parse(text) as { resourceType?: unknown }).resourceType), id: String((JSON.parse(text) as { id?: unknown }).id) }));
      parsed.sort((a, b) => Number(b.type === "Patient") - Number(a.type === "Patient"));
      const now = new Date();
      for (const p of parsed) this.apply({ kind: "put", type: p.type, id: p.id, text: p.text }, bases, now);
    });
    return texts.length;
  }

  // --- reading -------------------------------------------------------------------------------------------

  /** The Person's compartment, within the Gegevensdienst's view of `type`. */
  private scopeSql(scope: StoreScope, type: string, alias: string): SqlFragment {
    const restrict = scope.restrict[type] ?? [];
    const own: SqlFragment = { sql: `${alias}.rid IN (SELECT rid FROM compartment WHERE person = ?)`, params: [scope.person] };
    const view = restrict.map((c) => clauseSql(c, alias));
    return { sql: [own, ...view].map((f) => `(${f.sql})`).join(" AND "), params: [own, ...view].flatMap((f) => f.params) };
  }

  /** Shared resources the Person may see: those one of their own resources refers to. */
  private sharedSql(scope: StoreScope, alias: string): SqlFragment {
    return {
      sql: `${alias}.shared = 1 AND EXISTS (SELECT 1 FROM links l JOIN compartment c ON c.rid = l.rid WHERE l.target_type = ${alias}.type AND l.target_id = ${alias}.id AND c.person = ?)`,
      params: [scope.person],
    };
  }

  private rows(sql: string, params: readonly unknown[]): StoredText[] {
    return this.sql.exec<Row>(sql, ...params).toArray().map((r) => ({ type: r.type, id: r.id, version: r.version, lastUpdated: r.last_updated, text: r.json }));
  }

  async read(scope: StoreScope, type: string, id: string): Promise<StoredText | null> {
    if (!scope.types.includes(type)) return null;
    const where = inPatientCompartment(type) ? this.scopeSql(scope, type, "r") : this.sharedSql(scope, "r");
    return this.rows(`SELECT r.rid, r.type, r.id, r.version, r.last_updated, r.json FROM resources r WHERE r.type = ? AND r.id = ? AND ${where.sql}`, [type, id, ...where.params])[0] ?? null;
  }

  /** The provider's own system reading back what it fed (operator.ts): any resource, unscoped. */
  async readAny(type: string, id: string): Promise<StoredText | null> {
    return this.rows(`SELECT r.rid, r.type, r.id, r.version, r.last_updated, r.json FROM resources r WHERE r.type = ? AND r.id = ?`, [type, id])[0] ?? null;
  }

  /** The Person's own Patient resources (ids), for references in what they send (Delen). */
  async personPatients(person: string): Promise<string[]> {
    return this.sql.exec<{ id: string }>(`SELECT r.id FROM resources r JOIN persons p ON p.rid = r.rid WHERE r.type = 'Patient' AND p.bsn = ? ORDER BY r.id`, person).toArray().map((r) => r.id);
  }

  async search(scope: StoreScope, query: SearchQuery): Promise<SearchResult> {
    if (!scope.types.includes(query.type) || !inPatientCompartment(query.type)) return { total: 0, matches: [], included: [] };
    const m = matchSql(query, this.scopeSql(scope, query.type, "r"));
    const total = this.sql.exec<{ n: number }>(m.total.sql, ...m.total.params).one().n;
    const rids = this.sql.exec<{ rid: number }>(m.page.sql, ...m.page.params).toArray().map((r) => r.rid);
    const matches = rids.length === 0 ? [] : this.byRids(rids);
    const included = new Map<number, StoredText>();
    for (const inc of query.includes) for (const [rid, t] of this.include(scope, inc, rids)) if (!rids.includes(rid)) included.set(rid, t);
    for (const inc of query.revincludes) for (const [rid, t] of this.revinclude(scope, inc, matches)) if (!rids.includes(rid)) included.set(rid, t);
    return { total, matches, included: [...included.values()] };
  }

  private byRids(rids: readonly number[]): StoredText[] {
    const found = new Map(this.sql.exec<Row>(`SELECT rid, type, id, version, last_updated, json FROM resources WHERE rid IN (${rids.map(() => "?").join(",")})`, ...rids).toArray().map((r) => [r.rid, r]));
    return rids.flatMap((rid) => {
      const r = found.get(rid);
      return r ? [{ type: r.type, id: r.id, version: r.version, lastUpdated: r.last_updated, text: r.json }] : [];
    });
  }

  /** `_include`: what the matches refer to with this parameter, within what the Person may see. */
  private include(scope: StoreScope, inc: Include, rids: readonly number[]): [number, StoredText][] {
    if (rids.length === 0) return [];
    const out: [number, StoredText][] = [];
    const targets = this.sql
      .exec<{ target_type: string; target_id: string }>(
        `SELECT DISTINCT target_type, target_id FROM ix_ref WHERE param = ? AND rid IN (${rids.map(() => "?").join(",")})${inc.targetType ? " AND target_type = ?" : ""}`,
        inc.param, ...rids, ...(inc.targetType ? [inc.targetType] : []),
      )
      .toArray();
    for (const t of targets) {
      if (!scope.types.includes(t.target_type) && inPatientCompartment(t.target_type)) continue;
      const where = inPatientCompartment(t.target_type) ? this.scopeSql(scope, t.target_type, "r") : this.sharedSql(scope, "r");
      const found = this.sql.exec<Row>(`SELECT r.rid, r.type, r.id, r.version, r.last_updated, r.json FROM resources r WHERE r.type = ? AND r.id = ? AND ${where.sql}`, t.target_type, t.target_id, ...where.params).toArray()[0];
      if (found) out.push([found.rid, { type: found.type, id: found.id, version: found.version, lastUpdated: found.last_updated, text: found.json }]);
    }
    return out;
  }

  /** `_revinclude`: the Person's resources of `sourceType` that refer to the matches with this parameter. */
  private revinclude(scope: StoreScope, inc: Include, matches: readonly StoredText[]): [number, StoredText][] {
    if (matches.length === 0 || !scope.types.includes(inc.sourceType) || !inPatientCompartment(inc.sourceType)) return [];
    const where = this.scopeSql(scope, inc.sourceType, "r");
    const pairs = matches.map(() => "(x.target_type = ? AND x.target_id = ?)").join(" OR ");
    return this.sql
      .exec<Row>(
        `SELECT DISTINCT r.rid, r.type, r.id, r.version, r.last_updated, r.json FROM ix_ref x JOIN resources r ON r.rid = x.rid WHERE x.param = ? AND r.type = ? AND (${pairs}) AND ${where.sql}`,
        inc.param, inc.sourceType, ...matches.flatMap((m) => [m.type, m.id]), ...where.params,
      )
      .toArray()
      .map((r) => [r.rid, { type: r.type, id: r.id, version: r.version, lastUpdated: r.last_updated, text: r.json }]);
  }
}

/** Every local reference of a resource (and the Binary an attachment points at): what makes shared resources reachable. */
function linksOf(resource: Json, bases: readonly string[]): [string, string][] {
  const out = new Map<string, [string, string]>();
  for (const { ref } of referencesIn(resource, String(resource.resourceType))) {
    if (typeof ref.reference !== "string") continue;
    const local = localReference(ref.reference, bases);
    if (local) out.set(`${local.type}/${local.id}`, [local.type, local.id]);
  }
  const walk = (v: unknown): void => {
    if (Array.isArray(v)) return v.forEach(walk);
    if (!v || typeof v !== "object") return;
    const o = v as Record<string, unknown>;
    if (typeof o.url === "string" && typeof o.contentType === "string") {
      const local = localReference(o.url, bases);
      if (local) out.set(`${local.type}/${local.id}`, [local.type, local.id]);
    }
    for (const x of Object.values(o)) walk(x);
  };
  walk(resource);
  return [...out.values()];
}

