/**
 * Development authenticator: the local DigiD simulator (workers/digid-sim), used like DigiD's SAML
 * artifact binding. Refused in staging and production configuration (authn/index.ts, SPEC X-3).
 */
import type { Authenticator, AuthnContext, AuthnOutcome, AuthnStart } from "./authenticator.ts";
import { relayParameter, single } from "./authenticator.ts";

const ARTIFACT = /^[A-Za-z0-9_-]{43}$/;

export class DigidSimAuthenticator implements Authenticator {
  constructor(
    private readonly baseUrl: string,
    /** A service binding to the simulator when present (local network, tests), else the public fetch. */
    private readonly fetcher: (request: Request) => Promise<Response>,
  ) {}

  async start(ctx: AuthnContext): Promise<AuthnStart> {
    const url = new URL("/login", this.baseUrl);
    url.searchParams.set("RelayState", ctx.relay);
    url.searchParams.set("return", ctx.returnUrl);
    return { redirect: new Response(null, { status: 302, headers: { location: url.href, "cache-control": "no-store", "referrer-policy": "no-referrer" } }), pending: {} };
  }

  relayOf(request: Request): string | undefined {
    return relayParameter(request, "RelayState");
  }

  async complete(request: Request): Promise<AuthnOutcome> {
    const artifact = single(new URL(request.url), "SAMLart") ?? "";
    if (!ARTIFACT.test(artifact)) return { ok: false, kind: "refused", reason: "malformed authentication response" };
    // Artifact resolution on the back channel: the browser never carries the identity itself.
    let response: Response;
    try {
      response = await this.fetcher(
        new Request(new URL("/resolve", this.baseUrl), {
          method: "POST",
          headers: { "content-type": "application/x-www-form-urlencoded", accept: "application/json" },
          body: new URLSearchParams({ artifact }).toString(),
          signal: AbortSignal.timeout(10_000),
        }),
      );
    } catch (e) {
      return { ok: false, kind: "unavailable", reason: `simulator unreachable (${(e as Error).name})` };
    }
    if (response.status !== 200) {
      await response.body?.cancel();
      return { ok: false, kind: "refused", reason: `artifact not resolved (HTTP ${response.status})` };
    }
    const body = (await response.json()) as { subject?: unknown };
    if (typeof body.subject !== "string" || !/^\d{9}$/.test(body.subject)) return { ok: false, kind: "refused", reason: "artifact resolution gave no subject" };
    return { ok: true, subject: body.subject };
  }
}
