/**
 * XML Signature (XML-DSig 1.1) for SAML messages, as a deliberately narrow profile (SPEC X-3):
 *
 *   - enveloped signatures only: the Signature is a child of the element it signs, and its one Reference
 *     points at that element's own ID, which must be unique in the document. A verified signature
 *     therefore vouches for exactly the element the caller holds: no signature wrapping, because the
 *     caller never looks the signed element up by ID elsewhere (SAML Core §5.4, "XSW" attacks);
 *   - transforms exactly enveloped-signature then exclusive C14N (optionally with InclusiveNamespaces);
 *     canonicalization of SignedInfo exclusive C14N;
 *   - RSA-SHA256/384/512 or ECDSA-SHA256/384/512 over SHA-256/384/512 digests; SHA-1 is refused;
 *   - keys come from configuration (IdP metadata), never from the message's KeyInfo.
 *
 * Every crypto operation is Web Crypto; certificates and PKCS#8 keys are imported with jose.
 */
import { importPKCS8, importX509 } from "jose";
import { base64Decode, base64Encode } from "../base64.ts";
import { EXC_C14N, excC14n } from "./c14n.ts";
import { attribute, childrenNamed, descendants, elementChildren, textOnly } from "./dom.ts";
import { parseXml } from "./parse.ts";
import type { XmlElement } from "./types.ts";

export const DSIG_NS = "http://www.w3.org/2000/09/xmldsig#";
export const ENVELOPED = "http://www.w3.org/2000/09/xmldsig#enveloped-signature";
const SHA1_ALGORITHMS: ReadonlySet<string> = new Set([
  "http://www.w3.org/2000/09/xmldsig#sha1",
  "http://www.w3.org/2000/09/xmldsig#rsa-sha1",
  "http://www.w3.org/2000/09/xmldsig#dsa-sha1",
  "http://www.w3.org/2001/04/xmldsig-more#ecdsa-sha1",
]);

interface SignatureAlgorithm {
  readonly jose: "RS256" | "RS384" | "RS512" | "ES256" | "ES384" | "ES512";
  readonly params: { readonly name: string; readonly hash?: string };
}

const SIGNATURE_ALGORITHMS: Readonly<Record<string, SignatureAlgorithm>> = {
  "http://www.w3.org/2001/04/xmldsig-more#rsa-sha256": { jose: "RS256", params: { name: "RSASSA-PKCS1-v1_5" } },
  "http://www.w3.org/2001/04/xmldsig-more#rsa-sha384": { jose: "RS384", params: { name: "RSASSA-PKCS1-v1_5" } },
  "http://www.w3.org/2001/04/xmldsig-more#rsa-sha512": { jose: "RS512", params: { name: "RSASSA-PKCS1-v1_5" } },
  "http://www.w3.org/2001/04/xmldsig-more#ecdsa-sha256": { jose: "ES256", params: { name: "ECDSA", hash: "SHA-256" } },
  "http://www.w3.org/2001/04/xmldsig-more#ecdsa-sha384": { jose: "ES384", params: { name: "ECDSA", hash: "SHA-384" } },
  "http://www.w3.org/2001/04/xmldsig-more#ecdsa-sha512": { jose: "ES512", params: { name: "ECDSA", hash: "SHA-512" } },
};

export const RSA_SHA256 = "http://www.w3.org/2001/04/xmldsig-more#rsa-sha256";
export const SHA256 = "http://www.w3.org/2001/04/xmlenc#sha256";

const DIGEST_ALGORITHMS: Readonly<Record<string, string>> = {
  [SHA256]: "SHA-256",
  "http://www.w3.org/2001/04/xmldsig-more#sha384": "SHA-384",
  "http://www.w3.org/2001/04/xmlenc#sha512": "SHA-512",
};

export type SignatureVerdict = { ok: true } | { ok: false; reason: string };

/**
 * The IDs of a document. A document in which one ID value appears on two elements is refused as a
 * whole: which of the two a signature covers would be ambiguous.
 */
export class IdIndex {
  private readonly byId = new Map<string, XmlElement>();
  readonly duplicate: string | undefined;

  constructor(root: XmlElement) {
    let duplicate: string | undefined;
    for (const el of descendants(root)) {
      for (const a of el.attributes) {
        if (a.ns !== "" || (a.name !== "ID" && a.name !== "Id" && a.name !== "id")) continue;
        if (this.byId.has(a.value)) duplicate ??= a.value;
        this.byId.set(a.value, el);
      }
    }
    this.duplicate = duplicate;
  }

  get(id: string): XmlElement | undefined {
    return this.duplicate === undefined ? this.byId.get(id) : undefined;
  }
}

const verificationKeys = new Map<string, Promise<CryptoKey>>();

/** A certificate's public key for one algorithm, imported once per isolate. */
function verificationKey(certificatePem: string, alg: SignatureAlgorithm["jose"]): Promise<CryptoKey> {
  const cacheKey = `${alg}\n${certificatePem}`;
  let key = verificationKeys.get(cacheKey);
  if (!key) {
    key = importX509(certificatePem, alg);
    verificationKeys.set(cacheKey, key);
    key.catch(() => verificationKeys.delete(cacheKey));
  }
  return key;
}

function fail(reason: string): SignatureVerdict {
  return { ok: false, reason };
}

function only(parent: XmlElement, name: string): XmlElement | undefined {
  const found = childrenNamed(parent, DSIG_NS, name);
  return found.length === 1 ? found[0] : undefined;
}

function inclusivePrefixes(method: XmlElement): string[] | "invalid" {
  const kids = elementChildren(method);
  if (kids.length === 0) return [];
  const inc = kids[0]!;
  if (kids.length > 1 || inc.ns !== EXC_C14N || inc.name !== "InclusiveNamespaces") return "invalid";
  return (attribute(inc, "PrefixList") ?? "").split(/\s+/).filter((p) => p !== "");
}

const bytes = (s: string) => new TextEncoder().encode(s);

function sameBytes(a: Uint8Array, b: Uint8Array): boolean {
  if (a.length !== b.length) return false;
  let diff = 0;
  for (let i = 0; i < a.length; i++) diff |= a[i]! ^ b[i]!;
  return diff === 0;
}

/**
 * Verifies the enveloped signature of `signed` against any of the trusted certificates (PEM).
 * `ids` is the index of the whole document `signed` belongs to.
 */
export async function verifyEnvelopedSignature(signed: XmlElement, ids: IdIndex, trustedCertificates: readonly string[]): Promise<SignatureVerdict> {
  if (ids.duplicate !== undefined) return fail(`the ID '${ids.duplicate}' appears more than once in the document`);
  const signatures = childrenNamed(signed, DSIG_NS, "Signature");
  if (signatures.length === 0) return fail(`${signed.name} is not signed`);
  if (signatures.length > 1) return fail(`${signed.name} holds more than one Signature`);
  const signature = signatures[0]!;
  const parts = elementChildren(signature);
  const signedInfo = parts[0];
  const signatureValue = parts[1];
  if (signedInfo?.ns !== DSIG_NS || signedInfo.name !== "SignedInfo" || signatureValue?.ns !== DSIG_NS || signatureValue.name !== "SignatureValue") {
    return fail("Signature must start with SignedInfo and SignatureValue");
  }

  const c14nMethod = only(signedInfo, "CanonicalizationMethod");
  const signatureMethod = only(signedInfo, "SignatureMethod");
  const references = childrenNamed(signedInfo, DSIG_NS, "Reference");
  if (!c14nMethod || !signatureMethod) return fail("SignedInfo needs one CanonicalizationMethod and one SignatureMethod");
  if (attribute(c14nMethod, "Algorithm") !== EXC_C14N) return fail("SignedInfo must be canonicalized with exclusive C14N");
  const signedInfoPrefixes = inclusivePrefixes(c14nMethod);
  if (signedInfoPrefixes === "invalid") return fail("unexpected content in CanonicalizationMethod");
  const sigAlgUri = attribute(signatureMethod, "Algorithm") ?? "";
  if (SHA1_ALGORITHMS.has(sigAlgUri)) return fail("SHA-1 signatures are not accepted");
  const sigAlg = SIGNATURE_ALGORITHMS[sigAlgUri];
  if (!sigAlg) return fail(`signature algorithm '${sigAlgUri}' is not accepted`);

  // One Reference, to the signed element itself.
  if (references.length !== 1) return fail("SignedInfo must hold exactly one Reference");
  const reference = references[0]!;
  const id = attribute(signed, "ID") ?? attribute(signed, "Id");
  if (id === undefined || id === "") return fail(`${signed.name} has no ID`);
  if (attribute(reference, "URI") !== `#${id}`) return fail("the signature does not reference the element it is in");
  if (ids.get(id) !== signed) return fail("the referenced ID does not identify the signed element");

  const transforms = only(reference, "Transforms");
  const steps = transforms ? elementChildren(transforms) : [];
  if (
    steps.length !== 2 ||
    !steps.every((s) => s.ns === DSIG_NS && s.name === "Transform") ||
    attribute(steps[0]!, "Algorithm") !== ENVELOPED ||
    elementChildren(steps[0]!).length !== 0 ||
    attribute(steps[1]!, "Algorithm") !== EXC_C14N
  ) {
    return fail("the Reference must use exactly the enveloped-signature and exclusive C14N transforms");
  }
  const referencePrefixes = inclusivePrefixes(steps[1]!);
  if (referencePrefixes === "invalid") return fail("unexpected content in the C14N transform");
  const digestMethod = only(reference, "DigestMethod");
  const digestValue = only(reference, "DigestValue");
  const digestUri = digestMethod ? (attribute(digestMethod, "Algorithm") ?? "") : "";
  if (SHA1_ALGORITHMS.has(digestUri)) return fail("SHA-1 digests are not accepted");
  const digestAlg = DIGEST_ALGORITHMS[digestUri];
  if (!digestAlg || !digestValue) return fail(`digest algorithm '${digestUri}' is not accepted`);
  const expectedDigest = base64Decode(textOnly(digestValue));
  if (!expectedDigest) return fail("DigestValue is not base64");

  const canonical = excC14n(signed, { omit: new Set([signature]), inclusivePrefixes: referencePrefixes });
  const digest = new Uint8Array(await crypto.subtle.digest(digestAlg, bytes(canonical)));
  if (!sameBytes(digest, expectedDigest)) return fail("the digest does not match: the signed element was changed");

  const value = base64Decode(textOnly(signatureValue));
  if (!value) return fail("SignatureValue is not base64");
  const signedInfoBytes = bytes(excC14n(signedInfo, { inclusivePrefixes: signedInfoPrefixes }));
  for (const pem of trustedCertificates) {
    let key: CryptoKey;
    try {
      key = await verificationKey(pem, sigAlg.jose);
    } catch {
      continue; // a certificate for another key type or curve
    }
    if (await crypto.subtle.verify(sigAlg.params, key, value, signedInfoBytes)) return { ok: true };
  }
  return fail("the signature does not verify with the trusted certificates");
}

const signingKeys = new Map<string, Promise<CryptoKey>>();

/** An RSA private key (PKCS#8 PEM) for RSA-SHA256, imported once per isolate. */
export function rsaSigningKey(pkcs8Pem: string): Promise<CryptoKey> {
  let key = signingKeys.get(pkcs8Pem);
  if (!key) {
    key = importPKCS8(pkcs8Pem, "RS256");
    signingKeys.set(pkcs8Pem, key);
    key.catch(() => signingKeys.delete(pkcs8Pem));
  }
  return key;
}

export const SIGNATURE_PLACEHOLDER = "<!--ds:Signature-->";

/**
 * Signs an element this project built, as an enveloped RSA-SHA256 signature with exclusive C14N.
 * `xml` is a complete document whose root carries an ID and contains SIGNATURE_PLACEHOLDER where the
 * Signature belongs (after the Issuer, as SAML's schema wants). The placeholder is a comment, so
 * canonicalization ignores it and the digest covers the element as it is sent.
 */
export async function signEnveloped(xml: string, key: CryptoKey): Promise<string> {
  if (!xml.includes(SIGNATURE_PLACEHOLDER)) throw new Error("no signature placeholder");
  const root = parseXml(xml).root;
  const id = attribute(root, "ID");
  if (!id) throw new Error("the element to sign has no ID");
  const digest = base64Encode(new Uint8Array(await crypto.subtle.digest("SHA-256", bytes(excC14n(root)))));
  const signedInfo =
    `<ds:SignedInfo xmlns:ds="${DSIG_NS}"><ds:CanonicalizationMethod Algorithm="${EXC_C14N}"/>` +
    `<ds:SignatureMethod Algorithm="${RSA_SHA256}"/><ds:Reference URI="#${id}"><ds:Transforms>` +
    `<ds:Transform Algorithm="${ENVELOPED}"/><ds:Transform Algorithm="${EXC_C14N}"/></ds:Transforms>` +
    `<ds:DigestMethod Algorithm="${SHA256}"/><ds:DigestValue>${digest}</ds:DigestValue></ds:Reference></ds:SignedInfo>`;
  const canonicalSignedInfo = excC14n(parseXml(signedInfo).root);
  const value = base64Encode(new Uint8Array(await crypto.subtle.sign("RSASSA-PKCS1-v1_5", key, bytes(canonicalSignedInfo))));
  const signature = `<ds:Signature xmlns:ds="${DSIG_NS}">${canonicalSignedInfo}<ds:SignatureValue>${value}</ds:SignatureValue></ds:Signature>`;
  return xml.replace(SIGNATURE_PLACEHOLDER, signature);
}
