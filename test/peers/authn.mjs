// The identity providers of the local network besides the DigiD simulator (SPEC X-3): the SAML test IdP
// and the OIDC broker, with the keys and settings a DVZA needs to use them. Shared by the e2e tests and by
// `AUTHN=digid-saml npm run simulate` / `AUTHN=oidc npm run simulate`.
import { createPki } from "./pki.mjs";
import { createSamlIdp } from "./saml-idp.mjs";

export const SP_ENTITY_ID = "https://zorgbridge.medmij.localhost/saml/sp";

/**
 * @param {"digid-saml" | "oidc"} kind
 * @param {{ dvzaHostnames: string[], oidc?: { clientAuth?: string, encryptIdToken?: boolean } }} options
 * @returns {Promise<{ kind: string, nodeServices: Record<string, (r: Request) => Promise<Response>>, dvzaBindings: Record<string, string>, dvzaMtlsBinding?: string, idp?: any, broker?: any, dispose(): Promise<void> }>}
 */
export async function createAuthnPeers(kind, { dvzaHostnames, oidc = {} }) {
  if (kind === "digid-saml") {
    const pki = createPki("medmij-saml-");
    const signing = pki.selfSigned("digid-idp-signing", { cn: "digid-idp.medmij.localhost" });
    const otherSigning = pki.selfSigned("not-digid", { cn: "digid-idp.medmij.localhost" });
    const spSigning = pki.selfSigned("sp-signing", { cn: "zorgbridge.medmij.localhost" });
    const spEncryption = pki.selfSigned("sp-encryption", { cn: "zorgbridge.medmij.localhost" });
    pki.dispose();
    const idp = createSamlIdp({ signing, otherSigning, sp: { entityId: SP_ENTITY_ID, signingCertPem: spSigning.certPem, encryptionCertPem: spEncryption.certPem } });
    return {
      kind,
      idp,
      nodeServices: { [idp.host]: (r) => idp.handle(r) },
      dvzaBindings: {
        AUTHENTICATOR: "digid-saml",
        SAML_SP_ENTITY_ID: SP_ENTITY_ID,
        SAML_SP_SIGNING_KEY: spSigning.keyPem,
        SAML_SP_SIGNING_CERT: spSigning.certPem,
        SAML_SP_ENCRYPTION_KEY: spEncryption.keyPem,
        SAML_SP_ENCRYPTION_CERT: spEncryption.certPem,
        DIGID_IDP_METADATA: idp.metadataXml,
        DIGID_TIMEOUT_MS: "2000",
      },
      // The DVZA's client certificate towards DigiD: the local network's mTLS entrypoint (as for a DVP).
      dvzaMtlsBinding: "DIGID_MTLS",
      async dispose() {},
    };
  }
  if (kind === "oidc") {
    const { createOidcBroker } = await import("./oidc-broker.mjs");
    const broker = await createOidcBroker({ redirectUris: dvzaHostnames.map((h) => `https://${h}/oauth/authn/return`), ...oidc });
    return { kind, broker, nodeServices: { [broker.host]: (r) => broker.handle(r) }, dvzaBindings: broker.dvzaBindings, dispose: () => broker.dispose() };
  }
  throw new Error(`no peers for authenticator '${kind}'`);
}
