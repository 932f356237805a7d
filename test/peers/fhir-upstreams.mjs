// Providers' own FHIR servers for the local network (SPEC X-4): one test server per Zorgaanbieder in upstream
// mode, holding that provider's data (kv-seed/fhir), each reached with another authentication method:
// umcharderwijk with OAuth 2.0 client_credentials, huisartsenpraktijkdelinde with the DVZA's client
// certificate, ziekenhuisoost with a static bearer secret. `FHIR=upstream npm run simulate` runs the first.
import { randomBytes } from "node:crypto";
import { fhirResources } from "../../kv-seed/fhir/data.mjs";
import { createFhirUpstream } from "./fhir-server.mjs";

const PLAN = {
  "umcharderwijk@medmij": { host: "fhir.umcharderwijk.localhost", auth: "client_credentials", binding: "UPSTREAM_SECRET_UMC" },
  "huisartsenpraktijkdelinde@medmij": { host: "fhir.delinde.localhost", auth: "mtls", binding: "UPSTREAM_MTLS_DELINDE" },
  "ziekenhuisoost@medmij": { host: "fhir.ziekenhuisoost.localhost", auth: "bearer", binding: "UPSTREAM_TOKEN_OOST" },
};

const resourcesOf = (naam) => fhirResources(naam);

/**
 * @param {{ providers?: string[], tokenTtlSeconds?: number, extraResources?: Record<string, object[]> }} options
 *   `extraResources`: more of a provider's records (the qualification loads Nictiz's fixtures this way).
 */
export async function createFhirUpstreams({ providers = ["umcharderwijk@medmij"], tokenTtlSeconds = 300, extraResources = {} } = {}) {
  const upstreams = {};
  const nodeServices = {};
  const secrets = {};
  for (const naam of providers) {
    const plan = PLAN[naam];
    if (!plan) throw new Error(`no upstream plan for ${naam}`);
    const client = { id: `medmij-rs-${naam.replace(/@medmij$/, "")}`, secret: randomBytes(24).toString("base64url") };
    const bearer = randomBytes(24).toString("base64url");
    const upstream = await createFhirUpstream({
      host: plan.host,
      resources: [...resourcesOf(naam), ...(extraResources[naam] ?? [])],
      client: plan.auth === "client_credentials" ? client : undefined,
      bearerTokens: plan.auth === "bearer" ? [bearer] : [],
      mtlsClients: plan.auth === "mtls" ? ["delinde.zorgbridge.localhost"] : [],
      tokenTtlSeconds,
    });
    upstreams[naam] = upstream;
    nodeServices[plan.host] = (r) => upstream.handle(r);
    const auth =
      plan.auth === "client_credentials"
        ? { type: "client_credentials", tokenUrl: upstream.tokenUrl, clientId: client.id, secretBinding: plan.binding }
        : plan.auth === "bearer"
          ? { type: "bearer", secretBinding: plan.binding }
          : { type: "mtls", binding: plan.binding };
    // One FHIR server holds every Gegevensdienst of the provider: each keeps to its own Observations (AS-6) by the
    // catalogue's restriction (lab results for 24, self measurements for 1005), and for 24 the deployment adds its own.
    const entry = { mode: "upstream", baseUrl: upstream.baseUrl, auth, timeoutMs: 2000 };
    secrets[naam] = {
      entries: {
        [naam.replace(/@medmij$/, "")]: entry,
        [`${naam.replace(/@medmij$/, "")}~24`]: { ...entry, restrict: { Observation: "category=http://snomed.info/sct|49581000146104,laboratory" } },
      },
      bindings: plan.auth === "client_credentials" ? { [plan.binding]: client.secret } : plan.auth === "bearer" ? { [plan.binding]: bearer } : {},
      mtls: plan.auth === "mtls" ? { [plan.binding]: "delinde.zorgbridge.localhost" } : {},
    };
  }
  return {
    upstreams,
    nodeServices,
    /** What a DVZA hosting these providers needs: FHIR_UPSTREAMS, the secrets, and mTLS bindings (binding -> client hostname). */
    dvzaConfig(hostedProviders) {
      const mine = hostedProviders.filter((p) => secrets[p]);
      if (mine.length === 0) return { bindings: {}, mtls: {} };
      const config = Object.assign({}, ...mine.map((p) => secrets[p].entries));
      return {
        bindings: { FHIR_UPSTREAMS: JSON.stringify(config), ...Object.assign({}, ...mine.map((p) => secrets[p].bindings)) },
        mtls: Object.assign({}, ...mine.map((p) => secrets[p].mtls)),
      };
    },
    async dispose() {
      await Promise.all(Object.values(upstreams).map((u) => u.dispose()));
    },
  };
}
