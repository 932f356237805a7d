/**
 * The AuthnRequest (SAML Core §3.4.1) over the HTTP-Redirect binding (SAML Bindings §3.4), signed per
 * §3.4.4.1: RSA-SHA256 over `SAMLRequest=...&RelayState=...&SigAlg=...` exactly as they appear in the URL.
 * The response is asked for over the artifact binding, at the minimum level of assurance (SPEC X-3).
 */
import { base64Encode } from "../../../shared/base64.ts";
import { RSA_SHA256 } from "../../../shared/xml/dsig.ts";
import { escapeAttribute, escapeText } from "../../../shared/xml/write.ts";
import { DIGID_CLASS_REF, type Level } from "../levels.ts";
import { BINDING_ARTIFACT, SAML, SAMLP, samlId, samlInstant } from "./names.ts";

export interface AuthnRequestInput {
  readonly spEntityId: string;
  readonly singleSignOnUrl: string;
  /** The AssertionConsumerService: this host's /oauth/authn/return. */
  readonly acsUrl: string;
  readonly minimumLevel: Level;
  /** The session's one-time relay value (SAML RelayState, at most 80 bytes: Bindings §3.4.3). */
  readonly relayState: string;
  readonly signingKey: CryptoKey;
  readonly now: number;
}

export function authnRequestXml(id: string, i: Omit<AuthnRequestInput, "relayState" | "signingKey">): string {
  return (
    `<samlp:AuthnRequest xmlns:samlp="${SAMLP}" xmlns:saml="${SAML}" ID="${id}" Version="2.0" IssueInstant="${samlInstant(i.now)}"` +
    ` Destination="${escapeAttribute(i.singleSignOnUrl)}" ProtocolBinding="${BINDING_ARTIFACT}" AssertionConsumerServiceURL="${escapeAttribute(i.acsUrl)}">` +
    `<saml:Issuer>${escapeText(i.spEntityId)}</saml:Issuer>` +
    `<samlp:RequestedAuthnContext Comparison="minimum"><saml:AuthnContextClassRef>${DIGID_CLASS_REF[i.minimumLevel]}</saml:AuthnContextClassRef></samlp:RequestedAuthnContext>` +
    `</samlp:AuthnRequest>`
  );
}

async function deflateRaw(text: string): Promise<Uint8Array> {
  const stream = new Blob([text]).stream().pipeThrough(new CompressionStream("deflate-raw"));
  return new Uint8Array(await new Response(stream).arrayBuffer());
}

/** The URL the Person's browser is sent to, and the request ID the response must answer (single use). */
export async function authnRedirect(i: AuthnRequestInput): Promise<{ url: string; requestId: string }> {
  if (new TextEncoder().encode(i.relayState).length > 80) throw new Error("RelayState exceeds 80 bytes");
  const requestId = samlId();
  const samlRequest = base64Encode(await deflateRaw(authnRequestXml(requestId, i)));
  const signed = `SAMLRequest=${encodeURIComponent(samlRequest)}&RelayState=${encodeURIComponent(i.relayState)}&SigAlg=${encodeURIComponent(RSA_SHA256)}`;
  const signature = new Uint8Array(await crypto.subtle.sign("RSASSA-PKCS1-v1_5", i.signingKey, new TextEncoder().encode(signed)));
  const separator = i.singleSignOnUrl.includes("?") ? "&" : "?";
  return { url: `${i.singleSignOnUrl}${separator}${signed}&Signature=${encodeURIComponent(base64Encode(signature))}`, requestId };
}
