/**
 * A page for the Person when their authorization cannot go on, with the way back to their PGO: a link
 * to the client's (validated) redirect_uri carrying the OAuth error, state and iss (AS-16, X-2, X-3).
 * A link, not a redirect: the Person reads what happened first, and nothing leaves without their click.
 */
import { h, page } from "../shared/html/page.ts";
import { authorizeErrorUri, type AuthorizationReturn, type AuthorizeError } from "../shared/oauth/errors.ts";

export function returnPage(status: number, heading: string, message: string, to: AuthorizationReturn, error: AuthorizeError, headers: Record<string, string> = {}): Response {
  return page({
    title: heading,
    heading,
    status,
    body: h`<div class="error" role="alert"><p>${message}</p></div>
<p><a href="${authorizeErrorUri(to, error)}">Terug naar uw persoonlijke gezondheidsomgeving</a></p>`,
    headers,
  });
}
