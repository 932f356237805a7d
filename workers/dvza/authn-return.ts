/**
 * Where the Person comes back from the identity provider (front channel). The authenticator's
 * answer must belong to this browser's session (relay), and moves it to the consent step once.
 * Then the browser is sent on to GET /oauth/consent, so a reload never replays the authentication.
 */
import type { Context } from "hono";
import { errorPage } from "../shared/html/page.ts";
import { log } from "../shared/log.ts";
import { redirectTo } from "../shared/oauth/errors.ts";
import { authenticatorFor } from "./authn/index.ts";
import type { Env } from "./env.ts";
import { markAuthenticated, sessionIdFrom } from "./front-session.ts";

const FAILED = "Inloggen is niet gelukt";

export async function authnReturn(c: Context<{ Bindings: Env }>): Promise<Response> {
  const id = sessionIdFrom(c.req.raw);
  if (!id) return errorPage(400, FAILED, "Uw sessie is verlopen of ontbreekt.");
  const authenticator = authenticatorFor(c.env);
  if (!authenticator) return errorPage(503, FAILED, "Inloggen is op dit moment niet mogelijk.");
  const result = await authenticator.complete(c.req.raw);
  if (!result.ok) {
    log("warn", "authn.refused", { reason: result.reason });
    return errorPage(400, FAILED, "Het antwoord van de inlogdienst is ongeldig of verlopen.");
  }
  const session = await markAuthenticated(c.env, id, result.relay, result.subject);
  if (!session) {
    log("warn", "authn.refused", { reason: "no session in the authenticating phase for this relay" });
    return errorPage(400, FAILED, "Uw sessie is verlopen of al gebruikt.");
  }
  return redirectTo("/oauth/consent");
}
