/**
 * The DVP's login configuration (SPEC X-9), checked once per isolate, the first time a request needs it (a
 * worker has no start hook; on Deno serve.ts asks at start). A bad configuration is one error log line
 * (`login.config`, with the reason) and, on every request, a clear page: no login is offered, none falls back.
 */
import type { Configured } from "../../shared/configured.ts";
import { errorPage } from "../../shared/html/page.ts";
import { log } from "../../shared/log.ts";
import { loadOidcClient, oidcClientConfigKey, type OidcClientSettings } from "../../shared/oidc/settings.ts";
import type { Env } from "../env.ts";
import { loginMethods, passkeyParty, type LoginMethod, type PasskeyParty } from "./methods.ts";

export interface PgoOidc {
  readonly client: OidcClientSettings;
  /** The provider's name on the login page. */
  readonly providerName: string;
  /** acr values requested; when set, the ID token's acr must be one of them. */
  readonly acrValues: readonly string[];
  /** https://<DVP_HOSTNAME>/login/oidc/return */
  readonly redirectUri: string;
}

export interface LoginConfig {
  readonly methods: ReadonlySet<LoginMethod>;
  readonly passkey: (PasskeyParty & { readonly rpName: string }) | undefined;
  readonly oidc: PgoOidc | undefined;
}

async function load(env: Env): Promise<Configured<LoginConfig>> {
  const methods = loginMethods(env.PGO_LOGIN, env.DEPLOYMENT_ENV);
  if (!methods.ok) return methods;
  let passkey: LoginConfig["passkey"];
  if (methods.value.has("passkey")) {
    const party = passkeyParty(env.DVP_HOSTNAME, env.PASSKEY_ORIGINS, env.DEPLOYMENT_ENV);
    if (!party.ok) return party;
    passkey = { ...party.value, rpName: env.DVP_NAME || env.DVP_HOSTNAME };
  }
  let oidc: PgoOidc | undefined;
  if (methods.value.has("oidc")) {
    const client = await loadOidcClient(env);
    if (!client.ok) return client;
    oidc = {
      client: client.value,
      providerName: env.OIDC_PROVIDER_NAME?.trim() || "uw inlogdienst",
      acrValues: (env.OIDC_ACR_VALUES ?? "").split(" ").filter((v) => v !== ""),
      redirectUri: `https://${env.DVP_HOSTNAME}/login/oidc/return`,
    };
  }
  return { ok: true, value: { methods: methods.value, passkey, oidc } };
}

let cached: { key: string; result: Promise<Configured<LoginConfig>> } | undefined;

/** The verdict for this configuration, computed (and, when negative, logged) once per isolate. */
export function loginConfig(env: Env): Promise<Configured<LoginConfig>> {
  const key = JSON.stringify([env.PGO_LOGIN, env.DEPLOYMENT_ENV, env.DVP_HOSTNAME, env.DVP_NAME, env.PASSKEY_ORIGINS, env.OIDC_PROVIDER_NAME, env.OIDC_ACR_VALUES, ...oidcClientConfigKey(env)]);
  if (cached?.key !== key) {
    const result = load(env).then((r) => {
      if (!r.ok) log("error", "login.config", { reason: r.reason });
      return r;
    });
    cached = { key, result };
  }
  return cached.result;
}

/** The page every request gets while the configuration is refused. */
export function misconfiguredPage(): Response {
  return errorPage(503, "Inloggen is niet beschikbaar", "Deze persoonlijke gezondheidsomgeving is niet goed ingesteld, en daarom nu niet te gebruiken. Probeer het later opnieuw.");
}
