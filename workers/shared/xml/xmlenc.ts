/**
 * XML Encryption (xmlenc-core1) decryption of one encrypted element, for SAML's EncryptedAssertion and
 * EncryptedID (SPEC X-3). The DVZA is only ever the recipient: it unwraps the content key with its RSA
 * private key and decrypts the element. Accepted, everything else refused with a reason:
 *
 *   key transport: rsa-oaep-mgf1p (SHA-1 digest, the xmlenc default) and xmlenc11 rsa-oaep whose digest
 *                  and MGF1 hash are equal (what Web Crypto's RSA-OAEP implements);
 *   content:       AES-128/256-GCM (xmlenc11) and AES-128/256-CBC (xmlenc, ISO 10126 padding).
 *
 * RSA PKCS#1 v1.5 key transport is refused (Bleichenbacher). The decrypted element is parsed by the same
 * strict scanner, in the namespace context of the element it replaces.
 */
import { importPKCS8 } from "jose";
import { base64Decode } from "../base64.ts";
import { DSIG_NS } from "./dsig.ts";
import { attribute, childrenNamed, elementChildren, onlyChild, optionalChild, textOnly, XmlShapeError } from "./dom.ts";
import { parseXml } from "./parse.ts";
import { XmlSyntaxError, type XmlElement } from "./types.ts";

export const XENC_NS = "http://www.w3.org/2001/04/xmlenc#";
const XENC11_NS = "http://www.w3.org/2009/xmlenc11#";
const TYPE_ELEMENT = "http://www.w3.org/2001/04/xmlenc#Element";

const CONTENT: Readonly<Record<string, { name: "AES-GCM" | "AES-CBC"; bits: number }>> = {
  "http://www.w3.org/2009/xmlenc11#aes256-gcm": { name: "AES-GCM", bits: 256 },
  "http://www.w3.org/2009/xmlenc11#aes128-gcm": { name: "AES-GCM", bits: 128 },
  "http://www.w3.org/2001/04/xmlenc#aes256-cbc": { name: "AES-CBC", bits: 256 },
  "http://www.w3.org/2001/04/xmlenc#aes128-cbc": { name: "AES-CBC", bits: 128 },
};

const DIGESTS: Readonly<Record<string, "SHA-1" | "SHA-256" | "SHA-384" | "SHA-512">> = {
  "http://www.w3.org/2000/09/xmldsig#sha1": "SHA-1",
  "http://www.w3.org/2001/04/xmlenc#sha256": "SHA-256",
  "http://www.w3.org/2001/04/xmldsig-more#sha384": "SHA-384",
  "http://www.w3.org/2001/04/xmlenc#sha512": "SHA-512",
};

const MGF1: Readonly<Record<string, string>> = {
  "http://www.w3.org/2009/xmlenc11#mgf1sha1": "SHA-1",
  "http://www.w3.org/2009/xmlenc11#mgf1sha256": "SHA-256",
  "http://www.w3.org/2009/xmlenc11#mgf1sha384": "SHA-384",
  "http://www.w3.org/2009/xmlenc11#mgf1sha512": "SHA-512",
};

const JOSE_OAEP: Readonly<Record<string, string>> = { "SHA-1": "RSA-OAEP", "SHA-256": "RSA-OAEP-256", "SHA-384": "RSA-OAEP-384", "SHA-512": "RSA-OAEP-512" };

export class DecryptionError extends Error {
  override readonly name = "DecryptionError";
}

const privateKeys = new Map<string, Promise<CryptoKey>>();

function oaepKey(pkcs8Pem: string, hash: string): Promise<CryptoKey> {
  const cacheKey = `${hash}\n${pkcs8Pem}`;
  let key = privateKeys.get(cacheKey);
  if (!key) {
    key = importPKCS8(pkcs8Pem, JOSE_OAEP[hash]!);
    privateKeys.set(cacheKey, key);
    key.catch(() => privateKeys.delete(cacheKey));
  }
  return key;
}

function cipherValue(parent: XmlElement): Uint8Array<ArrayBuffer> {
  const data = onlyChild(parent, XENC_NS, "CipherData");
  if (childrenNamed(data, XENC_NS, "CipherReference").length > 0) throw new DecryptionError("CipherReference is not supported");
  const value = base64Decode(textOnly(onlyChild(data, XENC_NS, "CipherValue")));
  if (!value) throw new DecryptionError("CipherValue is not base64");
  return value;
}

/** The OAEP hash of a key-transport EncryptionMethod, or a refusal. */
function oaepHash(method: XmlElement): string {
  const alg = attribute(method, "Algorithm") ?? "";
  const digestEl = optionalChild(method, DSIG_NS, "DigestMethod");
  const digest = digestEl ? DIGESTS[attribute(digestEl, "Algorithm") ?? ""] : "SHA-1";
  if (!digest) throw new DecryptionError("unsupported OAEP digest");
  if (alg === `${XENC_NS}rsa-oaep-mgf1p`) {
    // The algorithm fixes MGF1 to SHA-1; Web Crypto ties MGF1 to the digest, so only SHA-1 fits.
    if (digest !== "SHA-1") throw new DecryptionError("rsa-oaep-mgf1p with a digest other than SHA-1 is not supported");
    return digest;
  }
  if (alg === `${XENC11_NS}rsa-oaep`) {
    const mgfEl = optionalChild(method, XENC11_NS, "MGF");
    const mgf = mgfEl ? MGF1[attribute(mgfEl, "Algorithm") ?? ""] : "SHA-1";
    if (mgf !== digest) throw new DecryptionError("RSA-OAEP with different digest and MGF1 hashes is not supported");
    return digest;
  }
  throw new DecryptionError(alg === `${XENC_NS}rsa-1_5` ? "RSA PKCS#1 v1.5 key transport is refused" : `key transport '${alg}' is not supported`);
}

function encryptedKeyOf(encryptedData: XmlElement, container: XmlElement): XmlElement {
  const keyInfo = optionalChild(encryptedData, DSIG_NS, "KeyInfo");
  const inline = keyInfo ? childrenNamed(keyInfo, XENC_NS, "EncryptedKey") : [];
  if (inline.length === 1) return inline[0]!;
  if (inline.length > 1) throw new DecryptionError("more than one EncryptedKey");
  // SAML §2.2.4 also allows the EncryptedKey beside the EncryptedData, inside the container.
  const beside = childrenNamed(container, XENC_NS, "EncryptedKey");
  if (beside.length !== 1) throw new DecryptionError("no single EncryptedKey for the EncryptedData");
  return beside[0]!;
}

async function decryptContent(alg: { name: "AES-GCM" | "AES-CBC"; bits: number }, rawKey: Uint8Array<ArrayBuffer>, data: Uint8Array<ArrayBuffer>): Promise<Uint8Array> {
  if (rawKey.length * 8 !== alg.bits) throw new DecryptionError("the content key has the wrong length");
  const key = await crypto.subtle.importKey("raw", rawKey, { name: alg.name }, false, ["encrypt", "decrypt"]);
  if (alg.name === "AES-GCM") {
    // xmlenc11 §5.2.4: a 96-bit IV, then the ciphertext with its 128-bit tag.
    if (data.length < 12 + 16) throw new DecryptionError("ciphertext too short");
    return new Uint8Array(await crypto.subtle.decrypt({ name: "AES-GCM", iv: data.subarray(0, 12), tagLength: 128 }, key, data.subarray(12)));
  }
  // xmlenc §5.2.1: a 128-bit IV, then blocks padded per ISO 10126 (only the last byte is defined).
  if (data.length < 32 || data.length % 16 !== 0) throw new DecryptionError("ciphertext is not whole AES blocks");
  const iv = data.subarray(0, 16);
  const blocks = data.subarray(16);
  // Web Crypto insists on PKCS#7 padding. Append one block that decrypts to a full PKCS#7 padding
  // block (the encryption of an empty message chained after the last ciphertext block), so Web Crypto
  // removes exactly that block and the original padding stays for the ISO 10126 rule below.
  const padBlock = new Uint8Array(await crypto.subtle.encrypt({ name: "AES-CBC", iv: blocks.subarray(blocks.length - 16) }, key, new Uint8Array(0)));
  const extended = new Uint8Array(blocks.length + 16);
  extended.set(blocks);
  extended.set(padBlock, blocks.length);
  const plain = new Uint8Array(await crypto.subtle.decrypt({ name: "AES-CBC", iv }, key, extended));
  const pad = plain[plain.length - 1]!;
  if (pad < 1 || pad > 16 || pad > plain.length) throw new DecryptionError("bad padding");
  return plain.subarray(0, plain.length - pad);
}

/**
 * Decrypts the one EncryptedData in `container` (an EncryptedAssertion or EncryptedID) with the RSA
 * private key (PKCS#8 PEM) and returns the element it held.
 */
export async function decryptElement(container: XmlElement, privateKeyPem: string): Promise<XmlElement> {
  try {
    const encryptedData = onlyChild(container, XENC_NS, "EncryptedData");
    const type = attribute(encryptedData, "Type");
    if (type !== undefined && type !== TYPE_ELEMENT) throw new DecryptionError("EncryptedData must hold an element");
    const contentAlgUri = attribute(onlyChild(encryptedData, XENC_NS, "EncryptionMethod"), "Algorithm") ?? "";
    const contentAlg = CONTENT[contentAlgUri];
    if (!contentAlg) throw new DecryptionError(`content encryption '${contentAlgUri}' is not supported`);

    const encryptedKey = encryptedKeyOf(encryptedData, container);
    const hash = oaepHash(onlyChild(encryptedKey, XENC_NS, "EncryptionMethod"));
    let rawKey: Uint8Array<ArrayBuffer>;
    try {
      rawKey = new Uint8Array(await crypto.subtle.decrypt({ name: "RSA-OAEP" }, await oaepKey(privateKeyPem, hash), cipherValue(encryptedKey)));
    } catch (e) {
      if (e instanceof DecryptionError) throw e;
      throw new DecryptionError("the content key cannot be decrypted with this service's key");
    }
    let plain: Uint8Array;
    try {
      plain = await decryptContent(contentAlg, rawKey, cipherValue(encryptedData));
    } catch (e) {
      if (e instanceof DecryptionError) throw e;
      throw new DecryptionError("the content cannot be decrypted");
    }
    const text = new TextDecoder("utf-8", { fatal: true, ignoreBOM: false }).decode(plain);
    const element = parseXml(text, { namespaces: container.namespaces, maxDepth: 32, maxNodes: 5_000 }).root;
    if (elementChildren(container).some((c) => c !== encryptedData && !(c.ns === XENC_NS && c.name === "EncryptedKey"))) {
      throw new DecryptionError("unexpected content beside the EncryptedData");
    }
    return element;
  } catch (e) {
    if (e instanceof XmlShapeError || e instanceof XmlSyntaxError) throw new DecryptionError(e.message);
    throw e;
  }
}
