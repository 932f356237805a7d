import type { AuthorizationSessions } from "../../durable-objects/authorization-sessions.ts";
import type { FhirStore } from "../../durable-objects/fhir-store.ts";
import type { GrantStore } from "../../durable-objects/grant-store.ts";
import type { RateLimiter } from "../../durable-objects/rate-limiter.ts";
import type { SamlEnv } from "./authn/digid-saml/settings.ts";
import type { OidcEnv } from "./authn/oidc/settings.ts";
import type { KvStore, ObjectNamespace, ServiceBinding } from "../shared/ports.ts";

/** Bindings and settings of a DVZA deployment (wrangler.toml); the adapters' settings in their own modules. */
export interface Env extends SamlEnv, OidcEnv {
  /** The node's cached lists (refreshed by the cron trigger, L-3/L-4). */
  LISTS: KvStore;
  GRANTS: ObjectNamespace<GrantStore>;
  SESSIONS: ObjectNamespace<AuthorizationSessions>;
  RATE_LIMITER: ObjectNamespace<RateLimiter>;
  FHIR: ObjectNamespace<FhirStore>;
  /** Base URL of MedMij Registratie. */
  REGISTRATIE_URL: string;
  /** Comma-separated hostnames this deployment answers for (its custom domains). */
  DVZA_HOSTNAMES: string;
  /** Number of GrantStore / session shards. Changing it invalidates outstanding grants (at most 900 s). */
  GRANT_SHARDS?: string;
  /** AS-14: "true" makes client_id mandatory in the token request (the later release's rule). */
  REQUIRE_CLIENT_ID_IN_TOKEN_REQUEST?: string;
  /** JSON choosing, per Zorgaanbieder and Gegevensdienst, the FhirStore (default) or an upstream FHIR server (fhir/upstream/config.ts). */
  FHIR_UPSTREAMS?: string;
  /** Optional JSON overriding rate-limit rules per endpoint class (rate-limit.ts). */
  RATE_LIMITS?: string;
  /** `eu` (default; always in staging and production) or `none` (workerd, locally). shared/durable/placement.ts */
  DO_JURISDICTION?: string;
  /** Secret: enables GET /.well-known/medmij-edge/metrics (Durable Object round trips, for the benchmarks). */
  METRICS_TOKEN?: string;
  /** development | staging | production. Staging and production refuse the DigiD simulator. */
  DEPLOYMENT_ENV?: string;
  /** Which authenticator identifies the Person: digid-saml | oidc | digid-sim (development only). */
  AUTHENTICATOR?: string;
  /** Base URL of the DigiD simulator (development only). */
  DIGID_SIM_URL?: string;
  /** The DigiD simulator, reached over a service binding when set (local network), else over fetch. */
  DIGID_SIM?: ServiceBinding;
  /** the hostname of the operator FHIR interface (operator.ts), never one of DVZA_HOSTNAMES. */
  OPERATOR_HOSTNAME?: string;
  /** Secret: the operator credential for every Zorgaanbieder (OPERATOR_TOKEN_<NAAM> overrides it for one). */
  OPERATOR_TOKEN?: string;
}
