/**
 * A parsed FHIR search (parse.ts) as SQL over the store's index tables (the design's model: medplum's
 * `sqlite/search.ts`). Pure: it returns SQL text and its bindings; the FhirStore runs it. Every value is a
 * binding, never text in the SQL. The rules are the ones the index was built for: token (system|code), date
 * ranges (dates.ts `dateRule`, one definition for SQL and memory), references, strings (starts-with on the
 * normalized text by default), numbers and quantities with their precision, URIs.
 *
 * Tables (durable-objects/fhir-store.ts): resources(rid, type, id, lu_ms, ...), ix_token(rid, param, system, code),
 * ix_date(rid, param, lo, hi), ix_ref(rid, param, target_type, target_id), ix_string(rid, param, norm, exact),
 * ix_quantity(rid, param, value, system, code), ix_number(rid, param, value), ix_uri(rid, param, value).
 */
import { dateRule, type BoundTest } from "../dates.ts";
import type { Clause, ClauseValue, Prefix, SearchQuery, SortKey } from "./parse.ts";

export type SqlValue = string | number | null;

export interface SqlFragment {
  readonly sql: string;
  readonly params: readonly SqlValue[];
}

const TABLE: Readonly<Record<string, string>> = {
  token: "ix_token",
  date: "ix_date",
  reference: "ix_ref",
  string: "ix_string",
  quantity: "ix_quantity",
  number: "ix_number",
  uri: "ix_uri",
};

const or = (parts: readonly SqlFragment[]): SqlFragment => ({ sql: parts.length === 1 ? parts[0]!.sql : `(${parts.map((p) => p.sql).join(" OR ")})`, params: parts.flatMap((p) => p.params) });
const and = (parts: readonly SqlFragment[]): SqlFragment => ({ sql: parts.length === 0 ? "1" : parts.map((p) => `(${p.sql})`).join(" AND "), params: parts.flatMap((p) => p.params) });

function bounds(alias: string, lo: string, hi: string, rule: readonly (readonly BoundTest[])[]): SqlFragment {
  return or(rule.map((all) => ({ sql: all.map((t) => `${t.bound === "lo" ? lo : hi} ${t.op} ?`).join(" AND "), params: all.map((t) => t.value) })));
}

/** `value` against a number with its precision, per prefix (STU3 §2.1.1.3: eq means within the precision). */
function numeric(column: string, prefix: Prefix, value: number, precision: number): SqlFragment {
  switch (prefix) {
    case "eq":
      return { sql: `${column} >= ? AND ${column} < ?`, params: [value - precision, value + precision] };
    case "ne":
      return { sql: `(${column} < ? OR ${column} >= ?)`, params: [value - precision, value + precision] };
    case "gt":
    case "sa":
      return { sql: `${column} > ?`, params: [value] };
    case "lt":
    case "eb":
      return { sql: `${column} < ?`, params: [value] };
    case "ge":
      return { sql: `${column} >= ?`, params: [value] };
    case "le":
      return { sql: `${column} <= ?`, params: [value] };
    case "ap":
      return { sql: `${column} >= ? AND ${column} <= ?`, params: [value - Math.abs(value) * 0.1, value + Math.abs(value) * 0.1] };
  }
}

const likeEscape = (s: string) => s.replace(/[\\%_]/g, (c) => `\\${c}`);

/** One value of a clause, on the index row alias `x`. */
function valueSql(clause: Clause, v: ClauseValue, now: number): SqlFragment {
  switch (v.kind) {
    case "token": {
      const { system, code } = v.token;
      const parts: string[] = [];
      const params: SqlValue[] = [];
      if (system === "") parts.push("x.system IS NULL");
      else if (system !== undefined) (parts.push("x.system = ?"), params.push(system));
      if (code !== undefined) (parts.push("x.code = ?"), params.push(code));
      return { sql: parts.join(" AND "), params };
    }
    case "date":
      return bounds("x", "x.lo", "x.hi", dateRule(v.date, now));
    case "reference":
      return v.type === undefined ? { sql: "x.target_id = ?", params: [v.id] } : { sql: "x.target_type = ? AND x.target_id = ?", params: [v.type, v.id] };
    case "string":
      if (clause.modifier === "exact") return { sql: "x.exact = ?", params: [v.text] };
      return { sql: "x.norm LIKE ? ESCAPE '\\'", params: [clause.modifier === "contains" ? `%${likeEscape(v.text)}%` : `${likeEscape(v.text)}%`] };
    case "number":
      return numeric("x.value", v.prefix, v.value, v.precision);
    case "quantity": {
      const n = numeric("x.value", v.prefix, v.value, v.precision);
      const extra: SqlFragment[] = [];
      if (v.system !== undefined) extra.push({ sql: "x.system = ?", params: [v.system] });
      if (v.code !== undefined) extra.push({ sql: "x.code = ?", params: [v.code] });
      return and([n, ...extra]);
    }
    case "uri":
      if (clause.modifier === "below") return { sql: "x.value LIKE ? ESCAPE '\\'", params: [`${likeEscape(v.uri)}%`] };
      if (clause.modifier === "above") return { sql: "? LIKE (replace(replace(replace(x.value, '\\', '\\\\'), '%', '\\%'), '_', '\\_') || '%') ESCAPE '\\'", params: [v.uri] };
      return { sql: "x.value = ?", params: [v.uri] };
    case "missing":
      return { sql: "1", params: [] };
  }
}

/** A clause on the resource alias `r`: `_id` and `_lastUpdated` on its own columns, the others through an index table. */
export function clauseSql(clause: Clause, r = "r", now = Date.now()): SqlFragment {
  if (clause.param === "_id") {
    const ids = clause.values.flatMap((v) => (v.kind === "token" && v.token.code !== undefined ? [v.token.code] : []));
    const sql = `${r}.id ${clause.modifier === "not" ? "NOT IN" : "IN"} (${ids.map(() => "?").join(", ") || "NULL"})`;
    return { sql, params: ids };
  }
  if (clause.param === "_lastUpdated") {
    return or(clause.values.map((v) => (v.kind === "date" ? bounds(r, `${r}.lu_ms`, `(${r}.lu_ms + 1)`, dateRule(v.date, now)) : { sql: "0", params: [] })));
  }
  const table = TABLE[clause.type]!;
  const exists = (inner: SqlFragment, negate: boolean): SqlFragment => ({
    sql: `${negate ? "NOT " : ""}EXISTS (SELECT 1 FROM ${table} x WHERE x.rid = ${r}.rid AND x.param = ? AND ${inner.sql})`,
    params: [clause.param, ...inner.params],
  });
  if (clause.modifier === "missing") {
    const v = clause.values[0];
    return exists({ sql: "1", params: [] }, v?.kind === "missing" && v.missing);
  }
  return exists(or(clause.values.map((v) => valueSql(clause, v, now))), clause.modifier === "not");
}

function sortSql(key: SortKey, r: string): SqlFragment {
  const dir = key.descending ? "DESC" : "ASC";
  if (key.param === "_id") return { sql: `${r}.id ${dir}`, params: [] };
  if (key.param === "_lastUpdated") return { sql: `${r}.lu_ms ${dir}`, params: [] };
  const table = TABLE[key.type]!;
  const column = key.type === "date" ? (key.descending ? "MAX(x.hi)" : "MIN(x.lo)") : key.type === "token" ? (key.descending ? "MAX(x.code)" : "MIN(x.code)") : key.type === "string" ? (key.descending ? "MAX(x.norm)" : "MIN(x.norm)") : key.descending ? "MAX(x.value)" : "MIN(x.value)";
  // Resources without a value sort last either way.
  return { sql: `(SELECT ${column} FROM ${table} x WHERE x.rid = ${r}.rid AND x.param = ?) IS NULL, (SELECT ${column} FROM ${table} x WHERE x.rid = ${r}.rid AND x.param = ?) ${dir}`, params: [key.param, key.param] };
}

export interface MatchSql {
  /** `SELECT r.rid ... FROM resources r WHERE ...` selecting the matches of one page, in order. */
  readonly page: SqlFragment;
  /** `SELECT COUNT(*) AS n ...` over all matches. */
  readonly total: SqlFragment;
}

/**
 * The matches of `query` among the resources `scope` admits (a condition on alias `r`, e.g. the Person's
 * compartment and the Gegevensdienst's view). `$lastn` keeps the most recent `max` per Observation.code
 * (all its codings, as one key), by the latest end of Observation.effective.
 */
export function matchSql(query: SearchQuery, scope: SqlFragment, now = Date.now()): MatchSql {
  const where = and([{ sql: "r.type = ?", params: [query.type] }, scope, ...query.clauses.map((c) => clauseSql(c, "r", now))]);
  if (query.lastn) {
    const keyed = `SELECT r.rid AS rid, (SELECT group_concat(k, ',') FROM (SELECT ifnull(t.system, '') || '|' || t.code AS k FROM ix_token t WHERE t.rid = r.rid AND t.param = 'code' ORDER BY k)) AS k, (SELECT MAX(d.hi) FROM ix_date d WHERE d.rid = r.rid AND d.param = 'date') AS d FROM resources r WHERE ${where.sql}`;
    const ranked = `SELECT rid, k, ROW_NUMBER() OVER (PARTITION BY k ORDER BY d DESC, rid DESC) AS n FROM (${keyed})`;
    return {
      // G-6 (STU3 Observation-lastn): each code's observations together, newest first; a stable order for paging.
      page: { sql: `SELECT rid FROM (${ranked}) WHERE n <= ? ORDER BY k, n LIMIT ? OFFSET ?`, params: [...where.params, query.lastn.max, query.count, query.offset] },
      total: { sql: `SELECT COUNT(*) AS n FROM (${ranked}) WHERE n <= ?`, params: [...where.params, query.lastn.max] },
    };
  }
  const order = query.sort.map((k) => sortSql(k, "r"));
  const orderSql = [...order.map((o) => o.sql), "r.rid"].join(", ");
  return {
    page: { sql: `SELECT r.rid AS rid FROM resources r WHERE ${where.sql} ORDER BY ${orderSql} LIMIT ? OFFSET ?`, params: [...where.params, ...order.flatMap((o) => o.params), query.count, query.offset] },
    total: { sql: `SELECT COUNT(*) AS n FROM resources r WHERE ${where.sql}`, params: where.params },
  };
}
