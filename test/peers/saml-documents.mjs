// SAML messages as the test IdP produces them (signed by xml-crypto, encrypted by xml-encryption), for
// the C14N oracle: plain, with a signed Response, with an encrypted assertion (GCM and CBC), each error
// status and each signature-wrapping variant, all inside their SOAP envelope.
import { createPki } from "./pki.mjs";
import { createSamlIdp } from "./saml-idp.mjs";

export async function samlTestDocuments() {
  const pki = createPki();
  try {
    const signing = pki.selfSigned("idp-signing");
    const otherSigning = pki.selfSigned("idp-other");
    const spSigning = pki.selfSigned("sp-signing");
    const spEncryption = pki.selfSigned("sp-encryption");
    const idp = createSamlIdp({ signing, otherSigning, sp: { entityId: "https://sp.example.nl/saml", signingCertPem: spSigning.certPem, encryptionCertPem: spEncryption.certPem } });
    const state = () => ({ requestId: "_req1", acs: "https://umcharderwijk.zorgbridge.localhost/oauth/authn/return", bsn: "999990019" });
    const variants = [
      {},
      { signResponse: true },
      { encrypt: "http://www.w3.org/2009/xmlenc11#aes256-gcm" },
      { encrypt: "http://www.w3.org/2001/04/xmlenc#aes256-cbc" },
      { encryptNameId: true },
      { status: "cancel" },
      { status: "NoAvailableIDP" },
      { wrap: "moved" },
      { wrap: "duplicated" },
      { wrap: "sibling" },
      { level: "Hoog", signResponse: true, signAssertion: false },
    ];
    const docs = [idp.metadataXml];
    for (const v of variants) {
      idp.behaviour = { ...idp.behaviour, ...v };
      docs.push(await idp.buildArtifactResponse({ resolveId: "_resolve1", state: state() }));
      idp.reset();
    }
    return docs;
  } finally {
    pki.dispose();
  }
}
