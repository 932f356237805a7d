/**
 * Development authenticator: the local DigiD simulator (workers/digid-sim), used like DigiD's SAML
 * artifact binding. Never selected in production (authn/index.ts).
 */
import type { Authenticator, AuthnResult } from "./authenticator.ts";

const ARTIFACT = /^[A-Za-z0-9_-]{43}$/;
const RELAY = /^[A-Za-z0-9_-]{43}$/;

export class DigidSimAuthenticator implements Authenticator {
  constructor(
    private readonly baseUrl: string,
    /** A service binding to the simulator when present (local network, tests), else the public fetch. */
    private readonly fetcher: (request: Request) => Promise<Response>,
  ) {}

  start(relay: string, returnUrl: string): Response {
    const url = new URL("/login", this.baseUrl);
    url.searchParams.set("RelayState", relay);
    url.searchParams.set("return", returnUrl);
    return new Response(null, { status: 302, headers: { location: url.href, "cache-control": "no-store", "referrer-policy": "no-referrer" } });
  }

  async complete(request: Request): Promise<AuthnResult> {
    const q = new URL(request.url).searchParams;
    const artifact = q.get("SAMLart") ?? "";
    const relay = q.get("RelayState") ?? "";
    if (!ARTIFACT.test(artifact) || !RELAY.test(relay)) return { ok: false, reason: "malformed authentication response" };
    // Artifact resolution on the back channel: the browser never carries the identity itself.
    const response = await this.fetcher(
      new Request(new URL("/resolve", this.baseUrl), {
        method: "POST",
        headers: { "content-type": "application/x-www-form-urlencoded", accept: "application/json" },
        body: new URLSearchParams({ artifact }).toString(),
        signal: AbortSignal.timeout(10_000),
      }),
    );
    if (response.status !== 200) {
      await response.body?.cancel();
      return { ok: false, reason: `artifact not resolved (HTTP ${response.status})` };
    }
    const body = (await response.json()) as { subject?: unknown };
    if (typeof body.subject !== "string" || !/^\d{9}$/.test(body.subject)) return { ok: false, reason: "artifact resolution gave no subject" };
    return { ok: true, subject: body.subject, relay };
  }
}
