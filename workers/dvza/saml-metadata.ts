/**
 * GET /saml/metadata (SPEC X-3): this deployment's SAML SP EntityDescriptor, generated from its settings,
 * for onboarding at DigiD: the signing and encryption certificates and one artifact-binding
 * AssertionConsumerService per hostname the deployment answers for.
 */
import type { Context } from "hono";
import { log } from "../shared/log.ts";
import { samlSettings } from "./authn/digid-saml/settings.ts";
import { spMetadataXml } from "./authn/digid-saml/metadata.ts";
import type { Env } from "./env.ts";
import { ownHostnames } from "./tenants.ts";

export async function samlMetadata(c: Context<{ Bindings: Env }>): Promise<Response> {
  if (c.env.AUTHENTICATOR !== "digid-saml") return new Response("Not Found\n", { status: 404, headers: { "content-type": "text/plain; charset=utf-8" } });
  const s = await samlSettings(c.env);
  if (!s.ok) {
    log("error", "saml.metadata", { reason: s.reason });
    return new Response("SAML is not configured\n", { status: 503, headers: { "content-type": "text/plain; charset=utf-8", "cache-control": "no-store" } });
  }
  const xml = spMetadataXml({
    entityId: s.value.spEntityId,
    signingCertificatePem: s.value.signingCertPem,
    ...(s.value.encryptionCertPem ? { encryptionCertificatePem: s.value.encryptionCertPem } : {}),
    acsUrls: [...ownHostnames(c.env)].map((host) => `https://${host}/oauth/authn/return`),
  });
  return new Response(xml, { status: 200, headers: { "content-type": "application/samlmetadata+xml; charset=utf-8", "cache-control": "public, max-age=300", "x-content-type-options": "nosniff" } });
}
