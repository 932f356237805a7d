/**
 * The artifact the browser brings back, and its resolution (SAML Bindings §3.6): the artifact names the
 * IdP (SourceID = SHA-1 of its entity ID) and the ArtifactResolutionService index; the AS sends a signed
 * ArtifactResolve over SOAP on the back channel, with its client certificate (mutual TLS).
 */
import { base64Decode } from "../../../shared/base64.ts";
import { SIGNATURE_PLACEHOLDER, signEnveloped } from "../../../shared/xml/dsig.ts";
import { escapeAttribute, escapeText } from "../../../shared/xml/write.ts";
import type { ArtifactResolutionService, IdpMetadata } from "./metadata.ts";
import { ARTIFACT_TYPE_CODE, SAML, SAMLP, SOAP_ENV, samlId, samlInstant } from "./names.ts";

export interface ParsedArtifact {
  readonly endpointIndex: number;
  readonly sourceId: Uint8Array;
}

/** SAML Bindings §3.6.4: TypeCode (2) EndpointIndex (2) SourceID (20) MessageHandle (20), base64. */
export function parseArtifact(text: string): ParsedArtifact | undefined {
  if (text.length > 100) return undefined;
  const bytes = base64Decode(text);
  if (!bytes || bytes.length !== 44) return undefined;
  if (((bytes[0]! << 8) | bytes[1]!) !== ARTIFACT_TYPE_CODE) return undefined;
  return { endpointIndex: (bytes[2]! << 8) | bytes[3]!, sourceId: bytes.slice(4, 24) };
}

/** The resolution service the artifact points at, if the artifact comes from this IdP. */
export async function resolutionServiceFor(artifact: ParsedArtifact, idp: IdpMetadata): Promise<ArtifactResolutionService | undefined> {
  const expected = new Uint8Array(await crypto.subtle.digest("SHA-1", new TextEncoder().encode(idp.entityId)));
  if (expected.some((b, i) => b !== artifact.sourceId[i])) return undefined;
  return idp.artifactResolution.find((s) => s.index === artifact.endpointIndex);
}

/** The signed SOAP ArtifactResolve and its ID (the ArtifactResponse must answer exactly it). */
export async function artifactResolveEnvelope(
  artifact: string,
  service: ArtifactResolutionService,
  spEntityId: string,
  signingKey: CryptoKey,
  now: number,
): Promise<{ body: string; id: string }> {
  const id = samlId();
  const unsigned =
    `<samlp:ArtifactResolve xmlns:samlp="${SAMLP}" xmlns:saml="${SAML}" ID="${id}" Version="2.0" IssueInstant="${samlInstant(now)}" Destination="${escapeAttribute(service.location)}">` +
    `<saml:Issuer>${escapeText(spEntityId)}</saml:Issuer>${SIGNATURE_PLACEHOLDER}<samlp:Artifact>${escapeText(artifact)}</samlp:Artifact></samlp:ArtifactResolve>`;
  const signed = await signEnveloped(unsigned, signingKey);
  return { id, body: `<?xml version="1.0" encoding="UTF-8"?><soapenv:Envelope xmlns:soapenv="${SOAP_ENV}"><soapenv:Body>${signed}</soapenv:Body></soapenv:Envelope>` };
}
