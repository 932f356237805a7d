/**
 * The DigiD SAML 2.0 adapter (SPEC S-6, X-3): AuthnRequest over HTTP-Redirect, the answer as an artifact
 * over HTTP-Artifact, resolved with a signed SOAP ArtifactResolve over mutual TLS, the ArtifactResponse
 * verified (response.ts). The session keeps the AuthnRequest ID; it is used once.
 */
import { BodyTooLargeError, readTextCapped } from "../../../shared/http/body.ts";
import type { Authenticator, AuthnContext, AuthnOutcome, AuthnPending, AuthnStart } from "../authenticator.ts";
import { relayParameter, single } from "../authenticator.ts";
import { artifactResolveEnvelope, parseArtifact, resolutionServiceFor } from "./artifact.ts";
import { authnRedirect } from "./authn-request.ts";
import { RESPONSE_LIMITS, validateArtifactResponse } from "./response.ts";
import type { SamlSettings } from "./settings.ts";

export class DigidSamlAuthenticator implements Authenticator {
  constructor(private readonly s: SamlSettings) {}

  async start(ctx: AuthnContext): Promise<AuthnStart> {
    const { url, requestId } = await authnRedirect({
      spEntityId: this.s.spEntityId,
      singleSignOnUrl: this.s.idp.singleSignOnUrl,
      acsUrl: ctx.returnUrl,
      minimumLevel: this.s.minimumLevel,
      relayState: ctx.relay,
      signingKey: this.s.signingKey,
      now: Date.now(),
    });
    const redirect = new Response(null, { status: 302, headers: { location: url, "cache-control": "no-store", "referrer-policy": "no-referrer" } });
    return { redirect, pending: { requestId } };
  }

  relayOf(request: Request): string | undefined {
    return relayParameter(request, "RelayState");
  }

  async complete(request: Request, pending: AuthnPending, ctx: AuthnContext): Promise<AuthnOutcome> {
    const requestId = pending.requestId;
    if (!requestId) return { ok: false, kind: "refused", reason: "the session holds no AuthnRequest" };
    const artifactText = single(new URL(request.url), "SAMLart");
    const artifact = artifactText === undefined ? undefined : parseArtifact(artifactText);
    if (!artifact || artifactText === undefined) return { ok: false, kind: "refused", reason: "no valid SAML artifact" };
    const service = await resolutionServiceFor(artifact, this.s.idp);
    if (!service) return { ok: false, kind: "refused", reason: "the artifact names another IdP or an unknown resolution endpoint" };

    const resolve = await artifactResolveEnvelope(artifactText, service, this.s.spEntityId, this.s.signingKey, Date.now());
    let text: string;
    try {
      const response = await this.s.artifactFetch(
        new Request(service.location, {
          method: "POST",
          headers: { "content-type": "text/xml; charset=utf-8", soapaction: "http://www.oasis-open.org/committees/security", accept: "text/xml" },
          body: resolve.body,
          redirect: "manual",
          signal: AbortSignal.timeout(this.s.timeoutMs),
        }),
      );
      if (response.status !== 200) {
        await response.body?.cancel();
        return { ok: false, kind: "unavailable", reason: `artifact resolution answered HTTP ${response.status}` };
      }
      text = await readTextCapped(response, RESPONSE_LIMITS.maxBytes);
    } catch (e) {
      if (e instanceof BodyTooLargeError) return { ok: false, kind: "refused", reason: "the ArtifactResponse is too large" };
      const name = (e as Error).name;
      return { ok: false, kind: "unavailable", reason: name === "TimeoutError" ? `no ArtifactResponse within ${this.s.timeoutMs} ms` : `artifact resolution failed (${name})` };
    }
    const outcome = await validateArtifactResponse(text, {
      idp: this.s.idp,
      spEntityId: this.s.spEntityId,
      artifactResolveId: resolve.id,
      authnRequestId: requestId,
      acsUrl: ctx.returnUrl,
      minimumLevel: this.s.minimumLevel,
      decryptionKeyPem: this.s.encryptionKeyPem,
      now: Date.now(),
    });
    if (outcome.kind === "authenticated") {
      // SAML Profiles §4.1.4.5: an assertion is used once; without a place to remember it, none is accepted.
      if (!ctx.useOnce) return { ok: false, kind: "refused", reason: "no replay cache for assertion IDs" };
      if (!(await ctx.useOnce(outcome.assertionId, outcome.usableUntil))) return { ok: false, kind: "refused", reason: "the assertion was used before (replay)" };
      return { ok: true, subject: outcome.bsn };
    }
    if (outcome.kind === "idp-status") return { ok: false, kind: "idp-status", reason: `DigiD status ${outcome.status.map((s) => s.replace(/^urn:oasis:names:tc:SAML:2\.0:status:/, "")).join("/")}` };
    return { ok: false, kind: "refused", reason: outcome.reason };
  }
}
