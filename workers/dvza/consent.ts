/**
 * The consent step (SPEC AS-1 Verzamelen, AS-2 Delen): GET shows the fixed question, POST records
 * the Person's one decision. "Ja" issues the code (AS-7..AS-10) and returns the Person to the
 * client; "Nee" returns access_denied. Either way the session ends: consent counts for one run only.
 */
import type { Context } from "hono";
import type { AuthorizationSession } from "../../durable-objects/authorization-sessions.ts";
import { timingSafeEqualString } from "../shared/crypto.ts";
import { errorPage, h, page } from "../shared/html/page.ts";
import { BodyTooLargeError, readTextCapped } from "../shared/http/body.ts";
import { isFormEncoded } from "../shared/http/params.ts";
import { log } from "../shared/log.ts";
import { AuthorizeError, authorizationResponseUri, authorizeErrorRedirect, redirectTo } from "../shared/oauth/errors.ts";
import { bevestigingsvraag, toestemmingsvraag } from "./consent-text.ts";
import type { Env } from "./env.ts";
import { CLEAR_SESSION_COOKIE, csrfTokenFor, finishSession, readSession, sessionIdFrom } from "./front-session.ts";
import { issueCode } from "./grants.ts";

const GONE = "Deze sessie is niet meer geldig";
const MAX_FORM_BYTES = 4096;

function consentPage(session: AuthorizationSession, csrf: string): Response {
  const r = session.request;
  const subject = { zorgaanbieder: r.zorgaanbieder, gegevensdienst: r.gegevensdienstNaam, pgo: r.clientOrganisatienaam };
  const delen = r.useCase === "delen";
  const question = delen ? bevestigingsvraag(subject) : toestemmingsvraag(subject);
  return page({
    title: delen ? "Bevestiging" : "Toestemming",
    heading: delen ? "Bevestig het delen van uw gegevens" : "Geef toestemming voor het ophalen van uw gegevens",
    // Chrome applies form-action to the redirect that follows the POST: allow the client's origin.
    formTargets: [new URL(r.redirectUri).origin],
    body: h`<form method="post" action="/oauth/consent">
<p class="consent" id="vraag">${question}</p>
<input type="hidden" name="csrf" value="${csrf}">
<div class="actions" role="group" aria-labelledby="vraag">
<button class="primary" type="submit" name="decision" value="ja">${delen ? "Ja, ik bevestig" : "Ja, ik geef toestemming"}</button>
<button class="secondary" type="submit" name="decision" value="nee">Nee</button>
</div>
</form>`,
  });
}

export async function consentForm(c: Context<{ Bindings: Env }>): Promise<Response> {
  const id = sessionIdFrom(c.req.raw);
  const session = id ? await readSession(c.env, id) : null;
  if (!id || !session || session.phase !== "consenting") return errorPage(400, GONE, "Uw sessie is verlopen, of u hebt al een keuze gemaakt.");
  return consentPage(session, await csrfTokenFor(id));
}

export async function consentDecision(c: Context<{ Bindings: Env }>): Promise<Response> {
  const id = sessionIdFrom(c.req.raw);
  if (!id) return errorPage(400, GONE, "Uw sessie is verlopen of ontbreekt.");
  if (!isFormEncoded(c.req.header("content-type") ?? null)) return errorPage(400, GONE, "Ongeldig formulier.");
  let form: URLSearchParams;
  try {
    form = new URLSearchParams(await readTextCapped(c.req.raw, MAX_FORM_BYTES));
  } catch (e) {
    return errorPage(e instanceof BodyTooLargeError ? 413 : 400, GONE, "Ongeldig formulier.");
  }
  // S-3: the form must come from the page this session was shown (CSRF), compared as a secret.
  if (!(await timingSafeEqualString(form.get("csrf") ?? "", await csrfTokenFor(id)))) {
    log("warn", "consent.refused", { reason: "csrf token mismatch" });
    return errorPage(403, GONE, "Dit formulier is niet geldig voor uw sessie.");
  }
  const decision = form.get("decision");
  if (decision !== "ja" && decision !== "nee") return errorPage(400, GONE, "Kies ja of nee.");
  // One decision per session: whoever finishes it first wins, a second POST finds nothing.
  const session = await finishSession(c.env, id);
  if (!session || session.subject === null) return errorPage(400, GONE, "Uw sessie is verlopen, of u hebt al een keuze gemaakt.");
  const r = session.request;
  const clear = { "set-cookie": CLEAR_SESSION_COOKIE };
  const to = { redirectUri: r.redirectUri, state: r.state, issuer: r.issuer };
  if (decision === "nee") {
    log("info", "consent.denied", { client: r.clientId, zorgaanbieder: r.zorgaanbieder, gegevensdienst: r.gegevensdienstId });
    return authorizeErrorRedirect(to, new AuthorizeError("access_denied", "Authorization denied."), clear);
  }
  const { code } = await issueCode(c.env, {
    clientId: r.clientId,
    redirectUri: r.redirectUri,
    scope: r.scope,
    zorgaanbieder: r.zorgaanbieder,
    gegevensdienstId: r.gegevensdienstId,
    subject: session.subject,
    tokenEndpoint: r.tokenEndpoint,
    ...(r.codeChallenge === undefined ? {} : { codeChallenge: r.codeChallenge }),
  });
  log("info", "consent.given", { client: r.clientId, zorgaanbieder: r.zorgaanbieder, gegevensdienst: r.gegevensdienstId, useCase: r.useCase });
  return redirectTo(authorizationResponseUri(to, { code }), clear);
}
