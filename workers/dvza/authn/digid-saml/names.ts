/** SAML 2.0 names used by the DigiD adapter (SAML Core, Bindings, Metadata; OASIS 2005). */
export const SAML = "urn:oasis:names:tc:SAML:2.0:assertion";
export const SAMLP = "urn:oasis:names:tc:SAML:2.0:protocol";
export const MD = "urn:oasis:names:tc:SAML:2.0:metadata";
export const SOAP_ENV = "http://schemas.xmlsoap.org/soap/envelope/";

export const BINDING_REDIRECT = "urn:oasis:names:tc:SAML:2.0:bindings:HTTP-Redirect";
export const BINDING_ARTIFACT = "urn:oasis:names:tc:SAML:2.0:bindings:HTTP-Artifact";
export const BINDING_SOAP = "urn:oasis:names:tc:SAML:2.0:bindings:SOAP";

export const STATUS_SUCCESS = "urn:oasis:names:tc:SAML:2.0:status:Success";
export const CM_BEARER = "urn:oasis:names:tc:SAML:2.0:cm:bearer";

/** SAML Bindings §3.6.4: the artifact type code of SAML 2.0 artifacts. */
export const ARTIFACT_TYPE_CODE = 0x0004;

/** A SAML ID: an xs:ID (NCName) with 128 random bits, so it is unguessable as SAML Core §1.3.4 asks. */
export function samlId(): string {
  const bytes = crypto.getRandomValues(new Uint8Array(16));
  let hex = "";
  for (const b of bytes) hex += b.toString(16).padStart(2, "0");
  return `_${hex}`;
}

/** xs:dateTime in UTC without milliseconds, as SAML messages carry it. */
export function samlInstant(ms: number): string {
  return new Date(ms).toISOString().replace(/\.\d{3}Z$/, "Z");
}
