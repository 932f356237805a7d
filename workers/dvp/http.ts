/** The DVP worker's request plumbing: its Hono context, bounded form and JSON bodies, CSRF (S-3). */
import type { Context } from "hono";
import { timingSafeEqualString } from "../shared/crypto.ts";
import { errorPage } from "../shared/html/page.ts";
import { BodyTooLargeError, readTextCapped } from "../shared/http/body.ts";
import { isFormEncoded } from "../shared/http/params.ts";
import type { Env } from "./env.ts";
import type { LoginConfig } from "./login/config.ts";
import type { PgoPerson } from "./persons.ts";
import { csrfFor, type PersonSession } from "./session.ts";

/** `login` on every request; `session` and `person` once the Person is logged in. */
export type DvpVariables = { login: LoginConfig; session: PersonSession; person: PgoPerson };
export type DvpApp = { Bindings: Env; Variables: DvpVariables };
export type Ctx = Context<DvpApp>;

export async function readForm(c: Ctx, limit = 4096): Promise<URLSearchParams | Response> {
  if (!isFormEncoded(c.req.header("content-type") ?? null)) return errorPage(415, "Ongeldig formulier", "Verwacht een formulier.");
  try {
    return new URLSearchParams(await readTextCapped(c.req.raw, limit));
  } catch (e) {
    return errorPage(e instanceof BodyTooLargeError ? 413 : 400, "Ongeldig formulier", "Het formulier kon niet worden gelezen.");
  }
}

/** A JSON API answer: never cached (it is personal or single-use). */
export function jsonAnswer(body: unknown, status = 200, headers: Record<string, string | string[]> = {}): Response {
  const h = new Headers({ "content-type": "application/json; charset=utf-8", "cache-control": "no-store", "x-content-type-options": "nosniff" });
  for (const [k, v] of Object.entries(headers)) for (const one of Array.isArray(v) ? v : [v]) h.append(k, one);
  return new Response(JSON.stringify(body), { status, headers: h });
}

/**
 * A JSON object body, from this origin's own script only: `application/json` cannot be sent by another site
 * without a CORS preflight this worker never grants. A form posted here (no JavaScript) gets a page that says so.
 */
export async function readJson(c: Ctx, limit = 16 * 1024): Promise<Record<string, unknown> | Response> {
  const type = (c.req.header("content-type") ?? "").split(";")[0]!.trim().toLowerCase();
  if (type !== "application/json") return errorPage(415, "JavaScript nodig", "Voor inloggen met een passkey moet JavaScript in uw browser aan staan.");
  try {
    const parsed: unknown = JSON.parse(await readTextCapped(c.req.raw, limit));
    if (parsed && typeof parsed === "object" && !Array.isArray(parsed)) return parsed as Record<string, unknown>;
  } catch (e) {
    if (e instanceof BodyTooLargeError) return jsonAnswer({ error: "Het verzoek is te groot." }, 413);
  }
  return jsonAnswer({ error: "Het verzoek kon niet worden gelezen." }, 400);
}

/** State-changing requests carry the session's CSRF token (form field or X-CSRF-Token header). */
export async function csrfOk(c: Ctx, form?: URLSearchParams): Promise<boolean> {
  const presented = form?.get("csrf") ?? c.req.header("x-csrf-token") ?? "";
  return timingSafeEqualString(presented, await csrfFor(c.get("session")));
}
