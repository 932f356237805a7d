/**
 * Validation of DigiD's SOAP ArtifactResponse (SPEC S-6, X-3; SAML Core §3.2.2, §3.5; SAML Profiles §4.1.4.3).
 * Pure apart from Web Crypto: given the message text and what the AS expects, it returns the Person's BSN,
 * an IdP status for the Person to see, or a refusal with its reason (for our log only).
 *
 * Signature wrapping is impossible by construction: each element whose content is used (ArtifactResponse,
 * Response when signed, Assertion) is found by position (exactly one at its place in the tree), and its
 * own enveloped Signature must reference exactly that element (dsig.ts). Nothing is looked up by ID.
 */
import { bsnFrom } from "../../../shared/bsn.ts";
import { DSIG_NS, IdIndex, verifyEnvelopedSignature } from "../../../shared/xml/dsig.ts";
import { attribute, childrenNamed, elementChildren, onlyChild, optionalChild, textOnly, XmlShapeError } from "../../../shared/xml/dom.ts";
import { parseXml } from "../../../shared/xml/parse.ts";
import type { XmlElement } from "../../../shared/xml/types.ts";
import { DecryptionError, decryptElement } from "../../../shared/xml/xmlenc.ts";
import { atLeast, levelOf, type Level } from "../levels.ts";
import type { IdpMetadata } from "./metadata.ts";
import { CM_BEARER, SAML, SAMLP, SOAP_ENV, STATUS_SUCCESS } from "./names.ts";

/** At most 60 s between our clock and DigiD's (SPEC X-3). */
export const CLOCK_SKEW_MS = 60_000;
/**
 * How old a message may be when it arrives (issue 15 #5): DigiD resolves an artifact within seconds of issuing
 * it, and its assertions are valid for minutes; an IssueInstant further back is not this login's.
 */
export const MAX_MESSAGE_AGE_MS = 10 * 60_000;
/** Bounds on what an ArtifactResponse may be; DigiD's are a few kilobytes. */
export const RESPONSE_LIMITS = { maxBytes: 256 * 1024, maxDepth: 24, maxNodes: 2_000 } as const;

export interface Expected {
  readonly idp: IdpMetadata;
  readonly spEntityId: string;
  /** The ID of the ArtifactResolve this answers. */
  readonly artifactResolveId: string;
  /** The ID of the AuthnRequest the session is waiting for (single use: the session holds it once). */
  readonly authnRequestId: string;
  readonly acsUrl: string;
  readonly minimumLevel: Level;
  /** PKCS#8 PEM for EncryptedAssertion / EncryptedID, when the deployment configured one. */
  readonly decryptionKeyPem: string | undefined;
  readonly now: number;
}

export type SamlOutcome =
  | {
      readonly kind: "authenticated";
      readonly bsn: string;
      readonly level: Level;
      /** The assertion's ID and until when it could be presented: the caller uses it once (SAML Profiles §4.1.4.5). */
      readonly assertionId: string;
      readonly usableUntil: number;
    }
  /** The IdP answered with an error status (cancelled, failed, ...): the Person is told, nothing is kept. */
  | { readonly kind: "idp-status"; readonly status: readonly string[]; readonly message: string | undefined }
  | { readonly kind: "refused"; readonly reason: string };

class Refusal extends Error {
  override readonly name = "Refusal";
}

function refuseUnless(condition: boolean, reason: string): asserts condition {
  if (!condition) throw new Refusal(reason);
}

function instant(value: string | undefined, what: string): number {
  const ms = value === undefined ? NaN : Date.parse(value);
  refuseUnless(value !== undefined && /^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}(\.\d+)?Z$/.test(value) && !Number.isNaN(ms), `${what} is not a UTC xs:dateTime`);
  return ms;
}

/**
 * SAML Core §1.3.4, §3.2.2: every message and assertion carries an IssueInstant. It must not lie in the future
 * beyond the skew, nor further back than MAX_MESSAGE_AGE_MS, nor after `validUntil` (the assertion's own end).
 */
function issuedRecently(el: XmlElement, now: number, validUntil?: number): void {
  const issued = instant(attribute(el, "IssueInstant"), `${el.name} IssueInstant`);
  refuseUnless(issued <= now + CLOCK_SKEW_MS, `${el.name} was issued in the future`);
  refuseUnless(issued >= now - MAX_MESSAGE_AGE_MS - CLOCK_SKEW_MS, `${el.name} was issued too long ago`);
  if (validUntil !== undefined) refuseUnless(issued < validUntil, `${el.name} was issued after it stopped being valid`);
}

function issuerIs(el: XmlElement, entityId: string, required: boolean): void {
  const issuer = optionalChild(el, SAML, "Issuer");
  if (!issuer) return refuseUnless(!required, `${el.name} has no Issuer`);
  const format = attribute(issuer, "Format");
  refuseUnless(format === undefined || format === "urn:oasis:names:tc:SAML:2.0:nameid-format:entity", `${el.name} Issuer has an unexpected Format`);
  refuseUnless(textOnly(issuer).trim() === entityId, `${el.name} comes from another issuer`);
}

function statusCodes(container: XmlElement): { codes: string[]; message: string | undefined } {
  const status = onlyChild(container, SAMLP, "Status");
  const codes: string[] = [];
  let code: XmlElement | undefined = onlyChild(status, SAMLP, "StatusCode");
  while (code) {
    codes.push(attribute(code, "Value") ?? "");
    code = optionalChild(code, SAMLP, "StatusCode");
  }
  const messageEl = optionalChild(status, SAMLP, "StatusMessage");
  return { codes, message: messageEl ? textOnly(messageEl).slice(0, 200) : undefined };
}

async function signed(el: XmlElement, ids: IdIndex, idp: IdpMetadata, required: boolean): Promise<void> {
  const hasSignature = childrenNamed(el, DSIG_NS, "Signature").length > 0;
  if (!hasSignature && !required) return;
  const verdict = await verifyEnvelopedSignature(el, ids, idp.signingCertificates);
  refuseUnless(verdict.ok, `${el.name}: ${verdict.ok ? "" : verdict.reason}`);
}

/** SAML Core §2.5.1.1: every AudienceRestriction must name us; NotBefore/NotOnOrAfter with skew. Returns NotOnOrAfter. */
function checkConditions(assertion: XmlElement, e: Expected): number {
  const conditions = onlyChild(assertion, SAML, "Conditions");
  const notBefore = attribute(conditions, "NotBefore");
  const notOnOrAfter = attribute(conditions, "NotOnOrAfter");
  if (notBefore !== undefined) refuseUnless(e.now + CLOCK_SKEW_MS >= instant(notBefore, "Conditions NotBefore"), "the assertion is not yet valid");
  refuseUnless(notOnOrAfter !== undefined, "the assertion has no NotOnOrAfter");
  const end = instant(notOnOrAfter, "Conditions NotOnOrAfter");
  refuseUnless(e.now - CLOCK_SKEW_MS < end, "the assertion has expired");
  const restrictions = childrenNamed(conditions, SAML, "AudienceRestriction");
  refuseUnless(restrictions.length > 0, "the assertion is not restricted to an audience");
  for (const r of restrictions) {
    refuseUnless(childrenNamed(r, SAML, "Audience").some((a) => textOnly(a).trim() === e.spEntityId), "the assertion is meant for another audience");
  }
  return end;
}

/** SAML Profiles §4.1.4.3: a bearer SubjectConfirmation for our ACS, our request, still valid. Returns its NotOnOrAfter. */
function checkSubjectConfirmation(subject: XmlElement, e: Expected): number {
  const bearer = childrenNamed(subject, SAML, "SubjectConfirmation").filter((c) => attribute(c, "Method") === CM_BEARER);
  refuseUnless(bearer.length > 0, "no bearer SubjectConfirmation");
  const problems: string[] = [];
  for (const c of bearer) {
    const data = optionalChild(c, SAML, "SubjectConfirmationData");
    if (!data) {
      problems.push("no SubjectConfirmationData");
      continue;
    }
    const notOnOrAfter = attribute(data, "NotOnOrAfter");
    const notBefore = attribute(data, "NotBefore");
    if (attribute(data, "Recipient") !== e.acsUrl) problems.push("the SubjectConfirmation is for another recipient");
    else if (attribute(data, "InResponseTo") !== e.authnRequestId) problems.push("the SubjectConfirmation answers another request");
    else if (notOnOrAfter === undefined || e.now - CLOCK_SKEW_MS >= instant(notOnOrAfter, "SubjectConfirmationData NotOnOrAfter")) problems.push("the SubjectConfirmation has expired");
    else if (notBefore !== undefined) problems.push("a bearer SubjectConfirmationData must not carry NotBefore");
    else return instant(notOnOrAfter, "SubjectConfirmationData NotOnOrAfter");
  }
  throw new Refusal(problems[0] ?? "no usable SubjectConfirmation");
}

async function nameIdOf(subject: XmlElement, e: Expected): Promise<string> {
  const plain = optionalChild(subject, SAML, "NameID");
  const encrypted = optionalChild(subject, SAML, "EncryptedID");
  refuseUnless((plain === undefined) !== (encrypted === undefined), "the Subject must hold one NameID or EncryptedID");
  if (plain) return textOnly(plain).trim();
  refuseUnless(e.decryptionKeyPem !== undefined, "an EncryptedID arrived but no decryption key is configured");
  const id = await decryptElement(encrypted!, e.decryptionKeyPem);
  refuseUnless(id.ns === SAML && id.name === "NameID", "the EncryptedID does not hold a NameID");
  return textOnly(id).trim();
}

async function checkAssertion(assertion: XmlElement, ids: IdIndex, e: Expected): Promise<SamlOutcome> {
  refuseUnless(attribute(assertion, "Version") === "2.0", "the assertion is not SAML 2.0");
  issuerIs(assertion, e.idp.entityId, true);
  await signed(assertion, ids, e.idp, true);
  const assertionId = attribute(assertion, "ID");
  refuseUnless(assertionId !== undefined && /^[A-Za-z_][\w.-]{0,255}$/.test(assertionId), "the assertion has no usable ID");
  const subject = onlyChild(assertion, SAML, "Subject");
  const confirmedUntil = checkSubjectConfirmation(subject, e);
  const validUntil = checkConditions(assertion, e);
  issuedRecently(assertion, e.now, validUntil);
  const statements = childrenNamed(assertion, SAML, "AuthnStatement");
  refuseUnless(statements.length === 1, "the assertion must hold one AuthnStatement");
  const sessionEnd = attribute(statements[0]!, "SessionNotOnOrAfter");
  if (sessionEnd !== undefined) refuseUnless(e.now - CLOCK_SKEW_MS < instant(sessionEnd, "SessionNotOnOrAfter"), "the DigiD session has ended");
  const classRef = onlyChild(onlyChild(statements[0]!, SAML, "AuthnContext"), SAML, "AuthnContextClassRef");
  const level = levelOf(textOnly(classRef).trim());
  refuseUnless(level !== undefined, "the AuthnContextClassRef is not a DigiD level");
  refuseUnless(atLeast(level, e.minimumLevel), `authenticated at level ${level}, below the minimum ${e.minimumLevel}`);
  const bsn = bsnFrom(await nameIdOf(subject, e));
  // Never the value itself in a reason: it may be a BSN.
  refuseUnless(bsn !== undefined, "the NameID is not a DigiD BSN sector identifier passing the eleven-test");
  // The replay window: as long as any of its time limits (with the skew) would still let it through.
  return { kind: "authenticated", bsn, level, assertionId, usableUntil: Math.max(confirmedUntil, validUntil) + CLOCK_SKEW_MS };
}

export async function validateArtifactResponse(text: string, e: Expected): Promise<SamlOutcome> {
  try {
    refuseUnless(new TextEncoder().encode(text).length <= RESPONSE_LIMITS.maxBytes, "the ArtifactResponse is too large");
    const envelope = parseXml(text, { maxDepth: RESPONSE_LIMITS.maxDepth, maxNodes: RESPONSE_LIMITS.maxNodes }).root;
    refuseUnless(envelope.ns === SOAP_ENV && envelope.name === "Envelope", "not a SOAP 1.1 envelope");
    const body = onlyChild(envelope, SOAP_ENV, "Body");
    const bodyParts = elementChildren(body);
    refuseUnless(bodyParts.length === 1 && bodyParts[0]!.ns === SAMLP && bodyParts[0]!.name === "ArtifactResponse", "the SOAP Body must hold one ArtifactResponse");
    const artifactResponse = bodyParts[0]!;
    const ids = new IdIndex(envelope);
    refuseUnless(ids.duplicate === undefined, "an ID appears more than once in the message");

    refuseUnless(attribute(artifactResponse, "Version") === "2.0", "the ArtifactResponse is not SAML 2.0");
    refuseUnless(attribute(artifactResponse, "InResponseTo") === e.artifactResolveId, "the ArtifactResponse answers another ArtifactResolve");
    issuedRecently(artifactResponse, e.now);
    issuerIs(artifactResponse, e.idp.entityId, true);
    await signed(artifactResponse, ids, e.idp, true);
    const resolution = statusCodes(artifactResponse);
    refuseUnless(resolution.codes[0] === STATUS_SUCCESS, "artifact resolution failed");

    const responses = childrenNamed(artifactResponse, SAMLP, "Response");
    // SAML Bindings §3.6.5.2: an unknown or used artifact resolves to a Success without a message.
    refuseUnless(responses.length === 1, responses.length === 0 ? "the artifact was unknown, used or expired" : "more than one Response");
    const response = responses[0]!;
    refuseUnless(attribute(response, "Version") === "2.0", "the Response is not SAML 2.0");
    refuseUnless(attribute(response, "InResponseTo") === e.authnRequestId, "the Response answers another AuthnRequest");
    refuseUnless(attribute(response, "Destination") === e.acsUrl, "the Response is meant for another destination");
    issuedRecently(response, e.now);
    issuerIs(response, e.idp.entityId, false);
    await signed(response, ids, e.idp, false);
    const kinds = elementChildren(response).map((c) => `${c.ns === SAML ? "saml" : c.ns === SAMLP ? "samlp" : c.ns === DSIG_NS ? "ds" : "?"}:${c.name}`);
    refuseUnless(kinds.every((k) => ["saml:Issuer", "ds:Signature", "samlp:Status", "saml:Assertion", "saml:EncryptedAssertion"].includes(k)), "the Response holds unexpected elements");

    const status = statusCodes(response);
    if (status.codes[0] !== STATUS_SUCCESS) return { kind: "idp-status", status: status.codes, message: status.message };

    const plain = childrenNamed(response, SAML, "Assertion");
    const encrypted = childrenNamed(response, SAML, "EncryptedAssertion");
    refuseUnless(plain.length + encrypted.length === 1, "the Response must hold exactly one assertion");
    if (plain.length === 1) return await checkAssertion(plain[0]!, ids, e);
    refuseUnless(e.decryptionKeyPem !== undefined, "an EncryptedAssertion arrived but no decryption key is configured");
    const assertion = await decryptElement(encrypted[0]!, e.decryptionKeyPem);
    refuseUnless(assertion.ns === SAML && assertion.name === "Assertion", "the EncryptedAssertion does not hold an Assertion");
    // The decrypted assertion is its own document: its IDs and signature stand on their own.
    return await checkAssertion(assertion, new IdIndex(assertion), e);
  } catch (err) {
    if (err instanceof Refusal || err instanceof XmlShapeError || err instanceof DecryptionError) return { kind: "refused", reason: err.message };
    if (err instanceof Error && err.name === "XmlSyntaxError") return { kind: "refused", reason: `not well-formed: ${err.message}` };
    throw err;
  }
}
