/**
 * The store that instances share (GRANTS_BACKEND=postgres): which bindings move into PostgreSQL, for every
 * role, so that any instance on any host serves any request (SPEC AS-10, X-6):
 *
 *   DVZA         GRANTS (codes, tokens), SESSIONS (authorization sessions), RATE_LIMITER (rate state), LISTS
 *   DVP          SESSIONS (sessions and OAuth flows), CEREMONIES (login state), RATE_LIMITER (login starts), LISTS
 *   Registratie  LISTS (the published releases)
 *
 * The other objects stay in the instance's SQLite files (serve.ts): the FhirStore (store mode: feed every
 * instance, or serve the provider's own FHIR server, X-4), and the DVP's PersonStore, AuditLog and PgoAccounts
 * (README "Run on Deno" says what that means for a DVP on several hosts).
 */
import { purgeGrants, GRANTS_SCHEMA, pgGrantNamespace } from "./pg-grant-store.ts";
import { KV_SCHEMA, PgKv } from "./pg-kv.ts";
import { pgRateLimiter, purgeRate, RATE_SCHEMA } from "./pg-rate-limiter.ts";
import { pgAuthorizationSessions, pgDvpSessions, pgLoginCeremonies, purgeSessions, SESSIONS_SCHEMA } from "./pg-sessions.ts";
import { connectPostgres, GroupCommit, migrate, StoreUnavailable, type Pg } from "./postgres.ts";

export type SharedRole = "dvza" | "dvp" | "registratie";

export interface SharedStore {
  readonly pg: Pg;
  readonly commit: GroupCommit;
  /** The bindings that replace the instance's own objects. */
  readonly bindings: Record<string, unknown>;
  readonly lists: PgKv;
  /** What the objects' alarms do: expired state goes. */
  purge(): Promise<void>;
  close(): Promise<void>;
}

export interface SharedStoreVars {
  readonly DATABASE_URL?: string;
  readonly PG_POOL?: string;
  readonly PG_GROUP_COMMIT_IN_FLIGHT?: string;
  /** The KV namespace of this role's lists (default: the role). */
  readonly KV_NAMESPACE?: string;
}

export async function openSharedStore(role: SharedRole, vars: SharedStoreVars): Promise<SharedStore> {
  if (!vars.DATABASE_URL) throw new Error("GRANTS_BACKEND=postgres needs DATABASE_URL (postgres://user@host:port/database)");
  const pg = connectPostgres(vars.DATABASE_URL, { max: Number(vars.PG_POOL ?? 8) });
  try {
    await migrate(pg.sql, [GRANTS_SCHEMA, SESSIONS_SCHEMA, RATE_SCHEMA, KV_SCHEMA]);
  } catch (e) {
    await pg.close();
    throw e;
  }
  const commit = new GroupCommit(pg, { inFlight: Number(vars.PG_GROUP_COMMIT_IN_FLIGHT ?? 2) });
  const bindings: Record<string, unknown> =
    role === "dvza"
      ? { GRANTS: pgGrantNamespace(pg, commit), SESSIONS: pgAuthorizationSessions(pg), RATE_LIMITER: pgRateLimiter(pg) }
      : role === "dvp"
        ? { SESSIONS: pgDvpSessions(pg), CEREMONIES: pgLoginCeremonies(pg), RATE_LIMITER: pgRateLimiter(pg) }
        : {};
  return {
    pg,
    commit,
    bindings,
    lists: new PgKv(pg, vars.KV_NAMESPACE ?? role),
    async purge() {
      try {
        if (role === "dvza") await purgeGrants(pg.sql);
        if (role !== "registratie") await purgeSessions(pg.sql);
        if (role !== "registratie") await purgeRate(pg.relaxed);
      } catch (e) {
        pg.failed(e);
        throw new StoreUnavailable(e);
      }
    },
    close: () => pg.close(),
  };
}
