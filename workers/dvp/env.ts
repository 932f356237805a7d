import type { AuditLog } from "../../durable-objects/audit-log.ts";
import type { DvpSessions } from "../../durable-objects/dvp-sessions.ts";
import type { PersonStore } from "../../durable-objects/person-store.ts";

/** Bindings and settings of a DVP Server deployment (workers/dvp/wrangler.toml). */
export interface Env {
  LISTS: KVNamespace;
  SESSIONS: DurableObjectNamespace<DvpSessions>;
  PERSONS: DurableObjectNamespace<PersonStore>;
  AUDIT: DurableObjectNamespace<AuditLog>;
  /**
   * Back-channel fetcher presenting the DVP's PKIoverheid server certificate as TLS client
   * certificate (SPEC S-2): a Workers `mtls_certificates` binding in production.
   */
  MTLS: Fetcher;
  REGISTRATIE_URL: string;
  /** This DVP Server's hostname: its client_id and the host of its redirect_uri. */
  DVP_HOSTNAME: string;
  /** The PGO's name, for its own pages. */
  DVP_NAME: string;
  SESSION_SHARDS?: string;
  /** `eu` (default; always in staging and production) or `none` (workerd, locally). shared/durable/placement.ts */
  DO_JURISDICTION?: string;
  /** development | staging | production. */
  DEPLOYMENT_ENV?: string;
}
