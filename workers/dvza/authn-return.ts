/**
 * Where the Person comes back from the identity provider (front channel; SPEC S-6, X-3). In order:
 *   1. the session cookie and the relay value in the answer (RelayState / state);
 *   2. the session hands out its pending authentication once (authenticating -> verifying), so a
 *      replayed or second answer finds nothing;
 *   3. the adapter verifies the answer; a Person is moved to the consent step, once.
 * Any failure after step 2 ends the session and shows a page with the way back to the PGO: access_denied
 * when the Person did not authenticate (or the answer was not valid), temporarily_unavailable when the
 * identity provider could not be reached. Then the browser is sent on to GET /oauth/consent, so a reload
 * never replays the authentication.
 */
import type { Context } from "hono";
import { errorPage } from "../shared/html/page.ts";
import { log } from "../shared/log.ts";
import { AuthorizeError, redirectTo } from "../shared/oauth/errors.ts";
import { authenticatorFor } from "./authn/index.ts";
import type { Env } from "./env.ts";
import { abandonSession, beginVerification, CLEAR_SESSION_COOKIE, markAuthenticated, sessionIdFrom, useAssertionOnce } from "./front-session.ts";
import { returnPage } from "./return-page.ts";

const FAILED = "Inloggen is niet gelukt";

export async function authnReturn(c: Context<{ Bindings: Env }>): Promise<Response> {
  const id = sessionIdFrom(c.req.raw);
  if (!id) return errorPage(400, FAILED, "Uw sessie is verlopen of ontbreekt.");
  const choice = await authenticatorFor(c.env);
  if (!choice.ok) {
    log("error", "authn.refused", { reason: choice.reason });
    return errorPage(503, FAILED, "Inloggen is op dit moment niet mogelijk.");
  }
  const relay = choice.authenticator.relayOf(c.req.raw);
  if (!relay) {
    log("warn", "authn.refused", { reason: "no valid relay value in the answer" });
    return errorPage(400, FAILED, "Het antwoord van de inlogdienst is ongeldig.");
  }
  const session = await beginVerification(c.env, id, relay);
  if (!session) {
    log("warn", "authn.refused", { reason: "no session waiting for this answer (expired, used, or another session's)" });
    return errorPage(400, FAILED, "Uw sessie is verlopen of al gebruikt.");
  }
  const url = new URL(c.req.url);
  const outcome = await choice.authenticator.complete(c.req.raw, session.authn, {
    relay,
    returnUrl: `https://${url.host}/oauth/authn/return`,
    useOnce: (assertionId, expiresAt) => useAssertionOnce(c.env, assertionId, expiresAt),
  });
  if (outcome.ok) {
    if (!(await markAuthenticated(c.env, id, outcome.subject))) return errorPage(400, FAILED, "Uw sessie is verlopen.");
    log("info", "authn.completed", { client: session.request.clientId, zorgaanbieder: session.request.zorgaanbieder });
    return redirectTo("/oauth/consent");
  }
  await abandonSession(c.env, id);
  log(outcome.kind === "idp-status" ? "info" : "warn", "authn.refused", { kind: outcome.kind, reason: outcome.reason, client: session.request.clientId });
  const r = session.request;
  const to = { redirectUri: r.redirectUri, state: r.state, issuer: r.issuer };
  const clear = { "set-cookie": CLEAR_SESSION_COOKIE };
  if (outcome.kind === "unavailable") {
    return returnPage(503, FAILED, "De inlogdienst is op dit moment niet bereikbaar. Probeer het later opnieuw.", to, new AuthorizeError("temporarily_unavailable", "Person authentication is not available"), clear);
  }
  const message = outcome.kind === "idp-status" ? "U bent niet ingelogd. Er zijn geen gegevens uitgewisseld." : "Het antwoord van de inlogdienst kon niet worden geaccepteerd. Er zijn geen gegevens uitgewisseld.";
  return returnPage(outcome.kind === "idp-status" ? 200 : 400, FAILED, message, to, new AuthorizeError("access_denied", "Authorization denied."), clear);
}
