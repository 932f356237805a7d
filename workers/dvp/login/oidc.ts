/**
 * Logging in through the PGO's own OpenID Connect provider (SPEC X-9): the relying party is
 * workers/shared/oidc/ (the same code as the DVZA's broker adapter: code flow, state, nonce, PKCE S256,
 * RFC 9207 iss, ID token verified with jose against the provider's JWKS: iss, aud, azp, exp, iat, nonce).
 *
 * The login is bound to this browser (its pre-login cookie) and used once. The provider's subject leads to
 * an account through a link object named by a hash of issuer and subject; the first login creates it. The
 * account id is fresh and opaque, never the subject. No claim value ever reaches a log.
 */
import type { Hono } from "hono";
import type { JWTPayload } from "jose";
import { randomHandle } from "../../shared/crypto.ts";
import { errorPage } from "../../shared/html/page.ts";
import { single } from "../../shared/http/params.ts";
import { log } from "../../shared/log.ts";
import { authorizationRequest, completeAuthorization } from "../../shared/oidc/code-flow.ts";
import { OidcUnavailable } from "../../shared/oidc/provider.ts";
import { accountOf, newAccountId, subjectOf } from "../accounts.ts";
import type { DvpApp } from "../http.ts";
import { handoffPage } from "../pages.ts";
import { browserBinding, startCeremony, takeCeremony } from "./ceremony.ts";
import { welcome } from "./welcome.ts";

const RELAY = /^[A-Za-z0-9_-]{43}$/;

/** A name to greet the Person by, if the provider gives one. */
function nameOf(claims: JWTPayload): string {
  const parts = typeof claims.name === "string" ? [claims.name] : [claims.given_name, claims.family_name].filter((v): v is string => typeof v === "string");
  const naam = parts.join(" ").trim().replace(/\s+/g, " ");
  return naam.length <= 80 && !/[\p{Cc}\p{Cf}]/u.test(naam) ? naam : "";
}

export function oidcLoginRoutes(app: Hono<DvpApp>): void {
  app.post("/login/oidc", async (c) => {
    const oidc = c.get("login").oidc;
    if (!oidc) return errorPage(404, "Niet gevonden", "Deze pagina bestaat niet.");
    const binding = await browserBinding(c.req.raw, true);
    const state = randomHandle();
    let request;
    try {
      request = await authorizationRequest(oidc.client, { redirectUri: oidc.redirectUri, state, extra: oidc.acrValues.length ? { acr_values: oidc.acrValues.join(" ") } : {} });
    } catch (e) {
      if (!(e instanceof OidcUnavailable)) throw e;
      log("error", "oidc-login.unavailable", { reason: e.message });
      return errorPage(503, "Inloggen is nu niet mogelijk", `${oidc.providerName} is op dit moment niet bereikbaar. Probeer het later opnieuw.`);
    }
    await startCeremony(c.env, binding.hash, state, "oidc-login", { ...request.pending });
    // A page, not a redirect: CSP form-action would be checked against the provider's own redirects (README).
    return handoffPage(c.env.DVP_NAME, oidc.providerName, request.url, {
      heading: "U gaat naar uw inlogdienst",
      purpose: "om in te loggen",
      ...(binding.setCookie ? { headers: { "set-cookie": binding.setCookie } } : {}),
    });
  });

  app.get("/login/oidc/return", async (c) => {
    const oidc = c.get("login").oidc;
    if (!oidc) return errorPage(404, "Niet gevonden", "Deze pagina bestaat niet.");
    const refused = (reason: string) => {
      log("warn", "oidc-login.refused", { kind: "refused", reason });
      return errorPage(400, "Inloggen mislukt", "Dit antwoord van uw inlogdienst hoort niet bij een lopende inlogpoging van u, of is al gebruikt.");
    };
    const url = new URL(c.req.url);
    const state = single(url, "state");
    const binding = await browserBinding(c.req.raw, false);
    if (!state || !RELAY.test(state) || !binding) return refused("no state, or no login cookie");
    const taken = await takeCeremony(c.env, binding.hash, state, "oidc-login");
    if (!taken.ok) return refused(`login ${taken.refusal}`);
    const outcome = await completeAuthorization(oidc.client, url, taken.data, { redirectUri: oidc.redirectUri });
    if (!outcome.ok) {
      log("warn", "oidc-login.refused", { kind: outcome.kind, reason: outcome.reason });
      if (outcome.kind === "idp-status") return errorPage(200, "U bent niet ingelogd", `Het inloggen via ${oidc.providerName} is afgebroken.`);
      if (outcome.kind === "unavailable") return errorPage(503, "Inloggen is nu niet mogelijk", `${oidc.providerName} is op dit moment niet bereikbaar. Probeer het later opnieuw.`);
      return errorPage(400, "Inloggen mislukt", `Het antwoord van ${oidc.providerName} kon niet worden gecontroleerd.`);
    }
    const { claims } = outcome;
    if (typeof claims.sub !== "string" || claims.sub.length === 0 || claims.sub.length > 255) return refused("the ID token's sub is empty or too long");
    // a deployment that asks for a level of authentication gets it, or no login.
    if (oidc.acrValues.length > 0 && !(typeof claims.acr === "string" && oidc.acrValues.includes(claims.acr))) return refused("the ID token's acr is not one of OIDC_ACR_VALUES");
    const subject = await subjectOf(c.env, oidc.client.issuer, claims.sub);
    const accountId = await subject.stub.claimSubject(newAccountId());
    if (await accountOf(c.env, accountId).create({ accountId, naam: nameOf(claims), oidcSubject: subject.key })) log("info", "account.created", { method: "oidc" });
    const headers = new Headers({ location: "/", "cache-control": "no-store" });
    for (const cookie of await welcome(c.env, accountId)) headers.append("set-cookie", cookie);
    return new Response(null, { status: 303, headers });
  });
}
