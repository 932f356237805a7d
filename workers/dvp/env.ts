import type { AuditLog } from "../../durable-objects/audit-log.ts";
import type { DvpSessions } from "../../durable-objects/dvp-sessions.ts";
import type { LoginCeremonies } from "../../durable-objects/login-ceremonies.ts";
import type { PersonStore } from "../../durable-objects/person-store.ts";
import type { PgoAccounts } from "../../durable-objects/pgo-accounts.ts";
import type { RateLimiter } from "../../durable-objects/rate-limiter.ts";
import type { OidcClientEnv } from "../shared/oidc/settings.ts";
import type { KvStore, ObjectNamespace, ServiceBinding } from "../shared/ports.ts";

/** Bindings and settings of a DVP Server deployment (workers/dvp/wrangler.toml). */
export interface Env extends OidcClientEnv {
  LISTS: KvStore;
  SESSIONS: ObjectNamespace<DvpSessions>;
  PERSONS: ObjectNamespace<PersonStore>;
  AUDIT: ObjectNamespace<AuditLog>;
  /** single-use login state (WebAuthn challenges, OIDC logins). */
  CEREMONIES: ObjectNamespace<LoginCeremonies>;
  /** the PGO's own Person accounts and their passkeys. */
  ACCOUNTS: ObjectNamespace<PgoAccounts>;
  /** X-9, S-3: the rate state of login ceremony starts, per source address (login/rate-limit.ts). */
  RATE_LIMITER: ObjectNamespace<RateLimiter>;
  /** S-3: `{"login":{"ratePerSecond":..,"burst":..}}` tunes the login start limit (shared/rate-limit.ts ruleFrom). */
  RATE_LIMITS?: string;
  /**
   * Back-channel fetcher presenting the DVP's PKIoverheid server certificate as TLS client
   * certificate (SPEC S-2): a Workers `mtls_certificates` binding in production.
   */
  MTLS: ServiceBinding;
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
  /**
   * how Persons log in, comma-separated: `passkey`, `oidc` (the PGO's own OpenID Connect provider,
   * OIDC_* as in workers/shared/oidc/settings.ts), `test-persons` (development only). workers/dvp/login/methods.ts
   */
  PGO_LOGIN?: string;
  /** origins besides https://<DVP_HOSTNAME> a passkey may be used from (comma-separated; subdomains of it). */
  PASSKEY_ORIGINS?: string;
  /** the PGO's own OpenID Connect provider as the login page names it. */
  OIDC_PROVIDER_NAME?: string;
  /** acr values to request from the provider; the ID token's acr must then be one of them. */
  OIDC_ACR_VALUES?: string;
}
