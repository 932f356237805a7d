/**
 * SAML 2.0 metadata (SPEC X-3): the IdP's, from configuration (DIGID_IDP_METADATA), read for its entity ID,
 * signing certificates, SingleSignOnService (HTTP-Redirect) and ArtifactResolutionService (SOAP) endpoints;
 * and the SP's own, generated for onboarding at DigiD (GET /saml/metadata).
 */
import { pemFromBase64 } from "../../../shared/base64.ts";
import { DSIG_NS } from "../../../shared/xml/dsig.ts";
import { attribute, childrenNamed, textOnly, XmlShapeError } from "../../../shared/xml/dom.ts";
import { parseXml } from "../../../shared/xml/parse.ts";
import { escapeAttribute } from "../../../shared/xml/write.ts";
import { BINDING_ARTIFACT, BINDING_REDIRECT, BINDING_SOAP, MD } from "./names.ts";

export interface ArtifactResolutionService {
  readonly index: number;
  readonly location: string;
  readonly isDefault: boolean;
}

export interface IdpMetadata {
  readonly entityId: string;
  /** PEM certificates whose keys may sign the IdP's messages. */
  readonly signingCertificates: readonly string[];
  readonly singleSignOnUrl: string;
  readonly artifactResolution: readonly ArtifactResolutionService[];
}

function httpsUrl(value: string | undefined, what: string): string {
  try {
    const u = new URL(value ?? "");
    if (u.protocol === "https:") return u.href;
  } catch {
    // fall through
  }
  throw new XmlShapeError(`${what} is not an https URL`);
}

export function readIdpMetadata(xml: string): IdpMetadata {
  const root = parseXml(xml, { maxDepth: 16, maxNodes: 2_000 }).root;
  if (root.ns !== MD || root.name !== "EntityDescriptor") throw new XmlShapeError("the IdP metadata must be one md:EntityDescriptor");
  const entityId = attribute(root, "entityID");
  if (!entityId) throw new XmlShapeError("the IdP metadata has no entityID");
  const descriptors = childrenNamed(root, MD, "IDPSSODescriptor");
  if (descriptors.length !== 1) throw new XmlShapeError("the IdP metadata must hold one IDPSSODescriptor");
  const idp = descriptors[0]!;
  const signingCertificates = childrenNamed(idp, MD, "KeyDescriptor")
    .filter((k) => (attribute(k, "use") ?? "signing") === "signing")
    .flatMap((k) => childrenNamed(k, DSIG_NS, "KeyInfo"))
    .flatMap((ki) => childrenNamed(ki, DSIG_NS, "X509Data"))
    .flatMap((d) => childrenNamed(d, DSIG_NS, "X509Certificate"))
    .map((c) => pemFromBase64(textOnly(c)));
  if (signingCertificates.length === 0) throw new XmlShapeError("the IdP metadata names no signing certificate");
  const sso = childrenNamed(idp, MD, "SingleSignOnService").find((s) => attribute(s, "Binding") === BINDING_REDIRECT);
  if (!sso) throw new XmlShapeError("the IdP metadata has no HTTP-Redirect SingleSignOnService");
  const artifactResolution = childrenNamed(idp, MD, "ArtifactResolutionService")
    .filter((s) => attribute(s, "Binding") === BINDING_SOAP)
    .map((s) => ({
      index: Number(attribute(s, "index") ?? "NaN"),
      location: httpsUrl(attribute(s, "Location"), "an ArtifactResolutionService"),
      isDefault: attribute(s, "isDefault") === "true",
    }));
  if (artifactResolution.length === 0 || artifactResolution.some((s) => !Number.isInteger(s.index) || s.index < 0 || s.index > 0xffff)) {
    throw new XmlShapeError("the IdP metadata needs SOAP ArtifactResolutionServices with valid indexes");
  }
  return { entityId, signingCertificates, singleSignOnUrl: httpsUrl(attribute(sso, "Location"), "the SingleSignOnService"), artifactResolution };
}

export interface SpMetadataInput {
  readonly entityId: string;
  readonly signingCertificatePem: string;
  readonly encryptionCertificatePem?: string;
  /** One AssertionConsumerService per hostname this deployment answers for. */
  readonly acsUrls: readonly string[];
}

const base64Body = (pem: string): string => pem.replace(/-----[^-]+-----/g, "").replace(/\s+/g, "");

/** The SP's EntityDescriptor: signed AuthnRequests, signed assertions wanted, the artifact binding. */
export function spMetadataXml(m: SpMetadataInput): string {
  const key = (use: string, pem: string, extra = "") =>
    `    <md:KeyDescriptor use="${use}">\n      <ds:KeyInfo><ds:X509Data><ds:X509Certificate>${base64Body(pem)}</ds:X509Certificate></ds:X509Data></ds:KeyInfo>${extra}\n    </md:KeyDescriptor>\n`;
  const encryptionMethods =
    '\n      <md:EncryptionMethod Algorithm="http://www.w3.org/2009/xmlenc11#aes256-gcm"/>\n      <md:EncryptionMethod Algorithm="http://www.w3.org/2001/04/xmlenc#aes256-cbc"/>\n      <md:EncryptionMethod Algorithm="http://www.w3.org/2001/04/xmlenc#rsa-oaep-mgf1p"/>';
  return (
    `<?xml version="1.0" encoding="UTF-8"?>\n<md:EntityDescriptor xmlns:md="${MD}" xmlns:ds="${DSIG_NS}" entityID="${escapeAttribute(m.entityId)}">\n` +
    `  <md:SPSSODescriptor protocolSupportEnumeration="urn:oasis:names:tc:SAML:2.0:protocol" AuthnRequestsSigned="true" WantAssertionsSigned="true">\n` +
    key("signing", m.signingCertificatePem) +
    (m.encryptionCertificatePem ? key("encryption", m.encryptionCertificatePem, encryptionMethods) : "") +
    m.acsUrls.map((url, i) => `    <md:AssertionConsumerService Binding="${BINDING_ARTIFACT}" Location="${escapeAttribute(url)}" index="${i}"${i === 0 ? ' isDefault="true"' : ""}/>\n`).join("") +
    `  </md:SPSSODescriptor>\n</md:EntityDescriptor>\n`
  );
}

