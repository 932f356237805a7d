// A DigiD-like SAML 2.0 identity provider for tests and `npm run simulate` (SPEC S-6, X-3). Independent of
// the product: messages are parsed with @xmldom/xmldom, signed and verified with xml-crypto, encrypted with
// xml-encryption, and the redirect-binding signature is checked with Node's crypto. It runs in Node and the
// local network routes `digid-idp.medmij.localhost` to `handle` (a Miniflare service function), so the
// DVZA reaches it exactly as it would reach DigiD: the browser over the front channel, ArtifactResolve over
// SOAP with the DVZA's client certificate (request.cf.tlsClientAuth, as the edge reports it).
//
// `behaviour` is mutable so a test can make the IdP misbehave in one specific way (wrong audience,
// SHA-1, wrapped assertion, ...) for the next artifact it resolves.
import { DOMParser, XMLSerializer } from "@xmldom/xmldom";
import { createHash, createPublicKey, randomBytes, verify as rsaVerify } from "node:crypto";
import { inflateRawSync } from "node:zlib";
import { SignedXml } from "xml-crypto";
import xmlenc from "xml-encryption";

export const SAML = "urn:oasis:names:tc:SAML:2.0:assertion";
export const SAMLP = "urn:oasis:names:tc:SAML:2.0:protocol";
const SOAP = "http://schemas.xmlsoap.org/soap/envelope/";
const DSIG = "http://www.w3.org/2000/09/xmldsig#";
const ARTIFACT_BINDING = "urn:oasis:names:tc:SAML:2.0:bindings:HTTP-Artifact";
const EXC_C14N = "http://www.w3.org/2001/10/xml-exc-c14n#";
const ENVELOPED = "http://www.w3.org/2000/09/xmldsig#enveloped-signature";

/** DigiD's levels of assurance and their AuthnContextClassRef (Koppelvlakspecificatie DigiD SAML). */
export const LEVELS = {
  Basis: "urn:oasis:names:tc:SAML:2.0:ac:classes:PasswordProtectedTransport",
  Midden: "urn:oasis:names:tc:SAML:2.0:ac:classes:MobileTwoFactorContract",
  Substantieel: "urn:oasis:names:tc:SAML:2.0:ac:classes:Smartcard",
  Hoog: "urn:oasis:names:tc:SAML:2.0:ac:classes:SmartcardPKI",
};

const STATUS = {
  cancel: ["urn:oasis:names:tc:SAML:2.0:status:Responder", "urn:oasis:names:tc:SAML:2.0:status:AuthnFailed", "Authentication cancelled"],
  AuthnFailed: ["urn:oasis:names:tc:SAML:2.0:status:Responder", "urn:oasis:names:tc:SAML:2.0:status:AuthnFailed"],
  NoAvailableIDP: ["urn:oasis:names:tc:SAML:2.0:status:Responder", "urn:oasis:names:tc:SAML:2.0:status:NoAvailableIDP"],
  RequestDenied: ["urn:oasis:names:tc:SAML:2.0:status:Requester", "urn:oasis:names:tc:SAML:2.0:status:RequestDenied"],
  RequestUnsupported: ["urn:oasis:names:tc:SAML:2.0:status:Requester", "urn:oasis:names:tc:SAML:2.0:status:RequestUnsupported"],
};

export const DEFAULT_BEHAVIOUR = Object.freeze({
  sigAlg: "http://www.w3.org/2001/04/xmldsig-more#rsa-sha256",
  digestAlg: "http://www.w3.org/2001/04/xmlenc#sha256",
  signArtifactResponse: true,
  signResponse: false,
  signAssertion: true,
  /** "idp" or "other": sign with a key that is not in the metadata. */
  signingKey: "idp",
  /** null, or an xmlenc content algorithm: the assertion arrives as EncryptedAssertion. */
  encrypt: null,
  /** The NameID arrives as EncryptedID (AES-256-GCM). */
  encryptNameId: false,
  keyTransport: "http://www.w3.org/2001/04/xmlenc#rsa-oaep-mgf1p",
  /** null (Success) or a key of STATUS. */
  status: null,
  /** null, "moved", "duplicated" or "sibling": signature-wrapping variants. */
  wrap: null,
  /** Shift of every timestamp the IdP writes, in seconds (negative = in the past). */
  clockShift: 0,
  validitySeconds: 300,
  notBeforeShift: 0,
  audience: null,
  recipient: null,
  destination: null,
  issuer: null,
  level: "Substantieel",
  nameId: null,
  inResponseTo: null,
  /** Tamper with the assertion after it was signed (a changed BSN). */
  tamper: false,
  /** null, or a fixed ID for every assertion it issues (the same assertion ID twice: a replay, SAML Profiles §4.1.4.5). */
  assertionId: null,
  /** Extra shift of the assertion's IssueInstant only, in seconds (issue 15 #5). */
  issueInstantShift: 0,
  resolveDelayMs: 0,
  resolveStatus: 200,
  /** A raw body instead of the real ArtifactResponse (oversized or deeply nested XML). */
  resolveBody: null,
});

const iso = (ms) => new Date(ms).toISOString().replace(/\.\d{3}Z$/, "Z");
const newId = () => `_${randomBytes(16).toString("hex")}`;
const escapeXml = (s) => String(s).replace(/&/g, "&amp;").replace(/</g, "&lt;").replace(/>/g, "&gt;").replace(/"/g, "&quot;");

function findAll(node, ns, local, out = []) {
  for (let c = node.firstChild; c; c = c.nextSibling) {
    if (c.nodeType !== 1) continue;
    if (c.namespaceURI === ns && c.localName === local) out.push(c);
    findAll(c, ns, local, out);
  }
  return out;
}

/** Signs the document element of `xml` (enveloped, exclusive C14N), the Signature placed after its Issuer. */
export function signRoot(xml, { privateKey, certPem, sigAlg = DEFAULT_BEHAVIOUR.sigAlg, digestAlg = DEFAULT_BEHAVIOUR.digestAlg }) {
  const sig = new SignedXml({ privateKey, publicCert: certPem, signatureAlgorithm: sigAlg, canonicalizationAlgorithm: EXC_C14N });
  sig.addReference({ xpath: "/*", digestAlgorithm: digestAlg, transforms: [ENVELOPED, EXC_C14N] });
  sig.computeSignature(xml, { prefix: "ds", location: { reference: "/*/*[local-name(.)='Issuer']", action: "after" } });
  return sig.getSignedXml();
}

function encryptAssertion(xml, certPem, behaviour) {
  return new Promise((resolve, reject) =>
    xmlenc.encrypt(
      xml,
      {
        rsa_pub: createPublicKey(certPem).export({ type: "spki", format: "pem" }),
        pem: certPem,
        encryptionAlgorithm: behaviour.encrypt,
        keyEncryptionAlgorithm: behaviour.keyTransport,
        keyEncryptionDigest: "sha1",
        disallowEncryptionWithInsecureAlgorithm: false,
        warnInsecureAlgorithm: false,
      },
      (err, result) => (err ? reject(err) : resolve(result)),
    ),
  );
}

export function artifactFor(entityId, index = 0) {
  const sourceId = createHash("sha1").update(entityId).digest();
  const handle = randomBytes(20);
  return Buffer.concat([Buffer.from([0, 4, index >> 8, index & 0xff]), sourceId, handle]).toString("base64");
}

/**
 * @param {{ entityId?: string, host?: string, signing: {keyPem:string,certPem:string}, otherSigning: {keyPem:string,certPem:string},
 *           sp: { entityId: string, signingCertPem: string, encryptionCertPem?: string } }} options
 */
export function createSamlIdp({ host = "digid-idp.medmij.localhost", entityId = `https://${host}/saml/idp/metadata`, signing, otherSigning, sp }) {
  const base = `https://${host}`;
  const pending = new Map(); // AuthnRequest ID -> { acs, relayState, level }
  const artifacts = new Map(); // artifact -> { requestId, acs, bsn, status, level }
  const idp = {
    host,
    entityId,
    behaviour: { ...DEFAULT_BEHAVIOUR },
    /** What the IdP saw, for tests: parsed AuthnRequests and ArtifactResolves. */
    seen: { authnRequests: [], artifactResolves: [], refusals: [] },
    reset() {
      this.behaviour = { ...DEFAULT_BEHAVIOUR };
    },
    metadataXml: `<?xml version="1.0" encoding="UTF-8"?>
<md:EntityDescriptor xmlns:md="urn:oasis:names:tc:SAML:2.0:metadata" xmlns:ds="${DSIG}" entityID="${entityId}">
  <md:IDPSSODescriptor protocolSupportEnumeration="urn:oasis:names:tc:SAML:2.0:protocol" WantAuthnRequestsSigned="true">
    <md:KeyDescriptor use="signing"><ds:KeyInfo><ds:X509Data><ds:X509Certificate>${pemBase64(signing.certPem)}</ds:X509Certificate></ds:X509Data></ds:KeyInfo></md:KeyDescriptor>
    <md:ArtifactResolutionService Binding="urn:oasis:names:tc:SAML:2.0:bindings:SOAP" Location="${base}/saml/idp/resolve_artifact" index="0" isDefault="true"/>
    <md:SingleSignOnService Binding="urn:oasis:names:tc:SAML:2.0:bindings:HTTP-Redirect" Location="${base}/saml/idp/request_authentication"/>
  </md:IDPSSODescriptor>
</md:EntityDescriptor>
`,
    signingCertPem: signing.certPem,
    /** The Miniflare service function: requests arrive as https://<host>/... */
    async handle(request) {
      const url = new URL(request.url);
      try {
        if (request.method === "GET" && url.pathname === "/saml/idp/request_authentication") return authnRequest(url);
        if (request.method === "POST" && url.pathname === "/saml/idp/login") return login(new URLSearchParams(await request.text()));
        if (request.method === "POST" && url.pathname === "/saml/idp/resolve_artifact") return await resolve(request);
        return new Response("not found\n", { status: 404 });
      } catch (e) {
        idp.seen.refusals.push(String(e?.message ?? e));
        return new Response(`test IdP refused: ${e?.message ?? e}\n`, { status: 400 });
      }
    },
    /** Builds the SOAP ArtifactResponse the IdP would send; exported for the C14N oracle. */
    buildArtifactResponse,
  };

  function pemBase64(pem) {
    return pem.replace(/-----[^-]+-----/g, "").replace(/\s+/g, "");
  }

  /** SAML Bindings §3.4.4.1: the signature covers SAMLRequest, RelayState and SigAlg as they appear in the URL. */
  function authnRequest(url) {
    const raw = url.search.slice(1);
    const part = (name) => raw.split("&").find((p) => p.startsWith(`${name}=`));
    const signed = ["SAMLRequest", "RelayState", "SigAlg"].map(part).filter(Boolean).join("&");
    const sigAlg = url.searchParams.get("SigAlg");
    const signature = url.searchParams.get("Signature");
    if (sigAlg !== "http://www.w3.org/2001/04/xmldsig-more#rsa-sha256" || !signature) throw new Error("unsigned or not RSA-SHA256");
    if (!rsaVerify("sha256", Buffer.from(signed), sp.signingCertPem, Buffer.from(signature, "base64"))) throw new Error("AuthnRequest signature invalid");
    const xml = inflateRawSync(Buffer.from(url.searchParams.get("SAMLRequest"), "base64")).toString("utf8");
    const doc = new DOMParser().parseFromString(xml, "application/xml");
    const req = doc.documentElement;
    if (req.namespaceURI !== SAMLP || req.localName !== "AuthnRequest") throw new Error("not an AuthnRequest");
    const issuer = findAll(req, SAML, "Issuer")[0]?.textContent;
    const classRef = findAll(req, SAML, "AuthnContextClassRef")[0]?.textContent;
    const seen = {
      xml,
      id: req.getAttribute("ID"),
      version: req.getAttribute("Version"),
      issueInstant: req.getAttribute("IssueInstant"),
      destination: req.getAttribute("Destination"),
      protocolBinding: req.getAttribute("ProtocolBinding"),
      acs: req.getAttribute("AssertionConsumerServiceURL"),
      issuer,
      comparison: findAll(req, SAMLP, "RequestedAuthnContext")[0]?.getAttribute("Comparison"),
      classRef,
      relayState: url.searchParams.get("RelayState"),
    };
    idp.seen.authnRequests.push(seen);
    if (seen.destination !== `${base}/saml/idp/request_authentication`) throw new Error("wrong Destination");
    if (seen.protocolBinding !== ARTIFACT_BINDING) throw new Error("the response binding must be HTTP-Artifact");
    if (issuer !== sp.entityId) throw new Error("unknown service provider");
    if (!/^https:\/\/[^/]+\/oauth\/authn\/return$/.test(seen.acs ?? "")) throw new Error("unexpected AssertionConsumerServiceURL");
    pending.set(seen.id, { acs: seen.acs, relayState: seen.relayState, level: classRef });
    const persons = [
      ["999990019", "J. Jansen"],
      ["999990020", "P. de Vries"],
      ["999990032", "A. Bakker"],
    ];
    const html = `<!doctype html><html lang="nl"><head><meta charset="utf-8"><title>DigiD (test-IdP)</title></head><body>
<h1>Inloggen bij DigiD (test-IdP, SAML)</h1>
<form method="post" action="/saml/idp/login">
<input type="hidden" name="request" value="${escapeXml(seen.id)}">
<label for="bsn">Testpersoon</label>
<select id="bsn" name="bsn">${persons.map(([bsn, naam]) => `<option value="${bsn}">${naam} (${bsn})</option>`).join("")}</select>
<button type="submit" name="action" value="login">Inloggen</button>
<button type="submit" name="action" value="cancel">Annuleren</button>
</form></body></html>`;
    return new Response(html, { status: 200, headers: { "content-type": "text/html; charset=utf-8", "cache-control": "no-store" } });
  }

  /** The Person logged in (or cancelled): an artifact goes back through the browser (HTTP-Artifact binding). */
  function login(form) {
    const req = pending.get(form.get("request") ?? "");
    if (!req) throw new Error("unknown or used AuthnRequest");
    pending.delete(form.get("request"));
    const artifact = artifactFor(entityId);
    artifacts.set(artifact, { requestId: form.get("request"), acs: req.acs, bsn: form.get("bsn"), cancelled: form.get("action") === "cancel" });
    const location = new URL(req.acs);
    location.searchParams.set("SAMLart", artifact);
    if (req.relayState !== null) location.searchParams.set("RelayState", req.relayState);
    return new Response(null, { status: 302, headers: { location: location.href, "cache-control": "no-store" } });
  }

  async function resolve(request) {
    // The IdP's TLS terminator demands the service provider's client certificate (two-sided TLS).
    const tls = request.cf?.tlsClientAuth;
    if (tls?.certPresented !== "1" || tls?.certVerified !== "SUCCESS") {
      idp.seen.refusals.push("no client certificate on ArtifactResolve");
      return new Response(null, { status: 403 });
    }
    const xml = await request.text();
    const doc = new DOMParser().parseFromString(xml, "text/xml");
    const resolveEl = findAll(doc.documentElement, SAMLP, "ArtifactResolve")[0];
    if (!resolveEl) throw new Error("no ArtifactResolve");
    const signatureEl = findAll(resolveEl, DSIG, "Signature")[0];
    if (!signatureEl) throw new Error("ArtifactResolve is not signed");
    const check = new SignedXml({ publicCert: sp.signingCertPem });
    check.loadSignature(signatureEl);
    const resolveXml = new XMLSerializer().serializeToString(resolveEl);
    if (!check.checkSignature(resolveXml)) throw new Error("ArtifactResolve signature invalid");
    const artifact = findAll(resolveEl, SAMLP, "Artifact")[0]?.textContent ?? "";
    idp.seen.artifactResolves.push({ clientCertificate: tls.certSubjectDN, xml, id: resolveEl.getAttribute("ID"), issuer: findAll(resolveEl, SAML, "Issuer")[0]?.textContent, artifact, signatureAlgorithm: findAll(signatureEl, DSIG, "SignatureMethod")[0]?.getAttribute("Algorithm") });
    const b = idp.behaviour;
    if (b.resolveDelayMs) await new Promise((r) => setTimeout(r, b.resolveDelayMs));
    if (b.resolveStatus !== 200) return new Response("IdP failure\n", { status: b.resolveStatus });
    if (b.resolveBody !== null) return new Response(b.resolveBody, { status: 200, headers: { "content-type": "text/xml; charset=utf-8" } });
    const state = artifacts.get(artifact);
    artifacts.delete(artifact); // SAML Bindings §3.6.5.2: an artifact resolves once
    const body = await buildArtifactResponse({ resolveId: resolveEl.getAttribute("ID"), state });
    return new Response(body, { status: 200, headers: { "content-type": "text/xml; charset=utf-8", "cache-control": "no-store" } });
  }

  function statusXml(status) {
    if (!status) return `<samlp:Status><samlp:StatusCode Value="urn:oasis:names:tc:SAML:2.0:status:Success"/></samlp:Status>`;
    const [top, second, message] = STATUS[status];
    return `<samlp:Status><samlp:StatusCode Value="${top}"><samlp:StatusCode Value="${second}"/></samlp:StatusCode>${message ? `<samlp:StatusMessage>${message}</samlp:StatusMessage>` : ""}</samlp:Status>`;
  }

  async function subjectIdXml(nameId, b) {
    const plain = `<saml:NameID xmlns:saml="${SAML}">${escapeXml(nameId)}</saml:NameID>`;
    if (!b.encryptNameId) return plain;
    return `<saml:EncryptedID>${await encryptAssertion(plain, sp.encryptionCertPem, { ...b, encrypt: "http://www.w3.org/2009/xmlenc11#aes256-gcm" })}</saml:EncryptedID>`;
  }

  async function assertionXml({ id = newId(), bsn, requestId, acs, now, b }) {
    const t = (s) => iso(now + (b.clockShift + s) * 1000);
    const audience = b.audience ?? sp.entityId;
    const recipient = b.recipient ?? acs;
    const nameId = b.nameId ?? `s00000000:${bsn}`;
    return `<saml:Assertion xmlns:saml="${SAML}" ID="${b.assertionId ?? id}" Version="2.0" IssueInstant="${t(b.issueInstantShift)}"><saml:Issuer>${escapeXml(b.issuer ?? entityId)}</saml:Issuer><saml:Subject>${await subjectIdXml(nameId, b)}<saml:SubjectConfirmation Method="urn:oasis:names:tc:SAML:2.0:cm:bearer"><saml:SubjectConfirmationData InResponseTo="${escapeXml(b.inResponseTo ?? requestId)}" Recipient="${escapeXml(recipient)}" NotOnOrAfter="${t(b.validitySeconds)}"/></saml:SubjectConfirmation></saml:Subject><saml:Conditions NotBefore="${t(b.notBeforeShift)}" NotOnOrAfter="${t(b.validitySeconds)}"><saml:AudienceRestriction><saml:Audience>${escapeXml(audience)}</saml:Audience></saml:AudienceRestriction></saml:Conditions><saml:AuthnStatement AuthnInstant="${t(0)}" SessionIndex="${newId()}"><saml:AuthnContext><saml:AuthnContextClassRef>${LEVELS[b.level] ?? b.level}</saml:AuthnContextClassRef><saml:AuthenticatingAuthority>${escapeXml(entityId)}</saml:AuthenticatingAuthority></saml:AuthnContext></saml:AuthnStatement></saml:Assertion>`;
  }

  async function buildArtifactResponse({ resolveId, state, now = Date.now() }) {
    const b = idp.behaviour;
    const key = b.signingKey === "other" ? otherSigning : signing;
    const sign = (xml) => signRoot(xml, { privateKey: key.keyPem, certPem: key.certPem, sigAlg: b.sigAlg, digestAlg: b.digestAlg });
    const t = (s) => iso(now + (b.clockShift + s) * 1000);
    const issuer = `<saml:Issuer>${escapeXml(b.issuer ?? entityId)}</saml:Issuer>`;
    let inner = "";
    let status = b.status;
    if (!state) status = "RequestDenied"; // unknown, used or expired artifact
    else if (state.cancelled) status = "cancel";
    if (!status) {
      let assertion = await assertionXml({ bsn: state.bsn, requestId: state.requestId, acs: state.acs, now, b });
      if (b.signAssertion) assertion = sign(assertion);
      if (b.tamper) assertion = assertion.replace(`s00000000:${state.bsn}`, "s00000000:999990032");
      const forgedXml = await assertionXml({ bsn: "999990032", requestId: state.requestId, acs: state.acs, now, b });
      const forged = () => forgedXml;
      if (b.wrap === "moved") {
        inner = `<samlp:Extensions>${assertion}</samlp:Extensions>${statusXml(null)}${forged()}`;
      } else if (b.wrap === "duplicated") {
        inner = `${statusXml(null)}${assertion}${forged()}`;
      } else if (b.wrap === "sibling") {
        // The forged assertion takes the signed one's ID and Signature; the genuine one follows it.
        const id = /ID="([^"]+)"/.exec(assertion)[1];
        const signature = /<ds:Signature[\s\S]*<\/ds:Signature>/.exec(assertion)[0];
        const fake = forged().replace(/ID="[^"]+"/, `ID="${id}"`).replace("</saml:Issuer>", `</saml:Issuer>${signature}`);
        inner = `${statusXml(null)}${fake}${assertion}`;
      } else if (b.encrypt) {
        const encrypted = await encryptAssertion(assertion, sp.encryptionCertPem, b);
        inner = `${statusXml(null)}<saml:EncryptedAssertion>${encrypted}</saml:EncryptedAssertion>`;
      } else {
        inner = `${statusXml(null)}${assertion}`;
      }
    } else {
      inner = statusXml(status);
    }
    const destination = b.destination ?? state?.acs ?? "";
    let response = `<samlp:Response xmlns:samlp="${SAMLP}" xmlns:saml="${SAML}" ID="${newId()}" Version="2.0" IssueInstant="${t(0)}" InResponseTo="${escapeXml(b.inResponseTo ?? state?.requestId ?? "")}" Destination="${escapeXml(destination)}">${issuer}${inner}</samlp:Response>`;
    if (b.signResponse) response = sign(response);
    let artifactResponse = `<samlp:ArtifactResponse xmlns:samlp="${SAMLP}" xmlns:saml="${SAML}" ID="${newId()}" Version="2.0" IssueInstant="${t(0)}" InResponseTo="${escapeXml(resolveId)}">${issuer}${statusXml(null)}${response}</samlp:ArtifactResponse>`;
    if (b.signArtifactResponse) artifactResponse = sign(artifactResponse);
    return `<?xml version="1.0" encoding="UTF-8"?><soapenv:Envelope xmlns:soapenv="${SOAP}"><soapenv:Body>${artifactResponse}</soapenv:Body></soapenv:Envelope>`;
  }

  return idp;
}
