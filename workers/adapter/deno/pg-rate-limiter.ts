/**
 * The RateLimiter in PostgreSQL (GRANTS_BACKEND=postgres): one bucket per key and endpoint class that every
 * instance on every host leases from (SPEC S-3), with the lease scheme of workers/shared/rate-limit.ts unchanged:
 * an instance leases a small batch of allowance, spends it locally and gives back what it did not use, so the
 * store sees about one call per key per instance per second, not one per request.
 *
 * A lease is one statement (INSERT ... ON CONFLICT DO UPDATE): the bucket is refilled for the time since its last
 * lease, credited with what comes back, and debited with what is granted, atomically, so instances racing for one
 * bucket never grant the same allowance twice. The arithmetic is durable-objects/rate-limiter.ts's.
 * Rate state commits with synchronous_commit = off (postgres.ts): a crash can only refill buckets.
 */
import type { LeaseGrant, RateLimitRule } from "../../../durable-objects/rate-limiter.ts";
import { PgNamespace, type Pg, type Sql } from "./postgres.ts";

export const RATE_SCHEMA = `
CREATE TABLE IF NOT EXISTS medmij_rate (
  object text COLLATE "C" NOT NULL, bucket text COLLATE "C" NOT NULL, tokens double precision NOT NULL, at bigint NOT NULL,
  granted integer NOT NULL,
  PRIMARY KEY (object, bucket)
);
`;

export class PgRateLimiter {
  constructor(
    private readonly sql: Sql,
    private readonly object: string,
  ) {}

  async lease(bucket: string, rule: RateLimitRule, want: number, giveBack: number): Promise<LeaseGrant> {
    const now = Date.now();
    const w = Math.max(0, Math.floor(want));
    const back = Math.max(0, giveBack);
    // A new bucket starts full; a clock that steps backwards refills nothing.
    const first = Math.max(0, Math.min(w, Math.floor(rule.burst)));
    const row = (await this.sql<{ tokens: number; granted: number }[]>`
        INSERT INTO medmij_rate AS b (object, bucket, tokens, at, granted)
        VALUES (${this.object}, ${bucket}, ${rule.burst - first}::float8, ${now}::bigint, ${first}::int)
        ON CONFLICT (object, bucket) DO UPDATE SET
          granted = GREATEST(0, LEAST(${w}::int, floor(LEAST(${rule.burst}::float8, b.tokens + GREATEST(0, ${now}::bigint - b.at) / 1000.0 * ${rule.ratePerSecond}::float8 + ${back}::float8))))::int,
          tokens = LEAST(${rule.burst}::float8, b.tokens + GREATEST(0, ${now}::bigint - b.at) / 1000.0 * ${rule.ratePerSecond}::float8 + ${back}::float8)
                   - GREATEST(0, LEAST(${w}::int, floor(LEAST(${rule.burst}::float8, b.tokens + GREATEST(0, ${now}::bigint - b.at) / 1000.0 * ${rule.ratePerSecond}::float8 + ${back}::float8)))),
          at = ${now}::bigint
        RETURNING tokens, granted`)[0];
    const granted = row?.granted ?? 0;
    const tokens = row?.tokens ?? 0;
    return { granted, retryAfterMs: granted > 0 ? 0 : Math.ceil(((1 - tokens) / rule.ratePerSecond) * 1000) };
  }
}

export const pgRateLimiter = (pg: Pg) => new PgNamespace(pg, (object) => new PgRateLimiter(pg.relaxed, object));

/** Buckets untouched for an hour are full again by any rule in use: they go. */
export async function purgeRate(relaxed: Sql, now = Date.now()): Promise<void> {
  await relaxed`DELETE FROM medmij_rate WHERE at < ${now - 3_600_000}::bigint`;
}
