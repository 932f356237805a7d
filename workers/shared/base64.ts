/** Base64 (RFC 4648 §4) and base64url (§5) for bytes, without Node's Buffer (workerd and Deno alike). */

export function base64Encode(bytes: Uint8Array): string {
  let bin = "";
  for (let i = 0; i < bytes.length; i += 0x8000) bin += String.fromCharCode(...bytes.subarray(i, i + 0x8000));
  return btoa(bin);
}

export function base64url(bytes: Uint8Array): string {
  return base64Encode(bytes).replace(/\+/g, "-").replace(/\//g, "_").replace(/=+$/, "");
}

const BASE64 = /^(?:[A-Za-z0-9+/]{4})*(?:[A-Za-z0-9+/]{2}==|[A-Za-z0-9+/]{3}=)?$/;

/**
 * Strict base64: white space (as XML and PEM wrap it) is ignored, anything else that is not base64
 * is an error rather than silently skipped. Returns undefined for invalid input.
 */
export function base64Decode(text: string): Uint8Array<ArrayBuffer> | undefined {
  const s = text.replace(/[\t\n\r ]+/g, "");
  if (!BASE64.test(s)) return undefined;
  const bin = atob(s);
  const out = new Uint8Array(bin.length);
  for (let i = 0; i < bin.length; i++) out[i] = bin.charCodeAt(i);
  return out;
}

export function base64urlDecode(text: string): Uint8Array<ArrayBuffer> | undefined {
  if (!/^[A-Za-z0-9_-]*$/.test(text)) return undefined;
  const b64 = text.replace(/-/g, "+").replace(/_/g, "/");
  return base64Decode(b64 + "=".repeat((4 - (b64.length % 4)) % 4));
}

/** A PEM block from base64 DER (X509Certificate element content), wrapped at 64 characters. */
export function pemFromBase64(der: string, label = "CERTIFICATE"): string {
  const body = der.replace(/\s+/g, "");
  return `-----BEGIN ${label}-----\n${body.replace(/(.{64})/g, "$1\n").replace(/\n$/, "")}\n-----END ${label}-----\n`;
}

/** The base64 body of the first PEM block with this label, without white space. */
export function pemBody(pem: string, label = "CERTIFICATE"): string | undefined {
  const m = new RegExp(`-----BEGIN ${label}-----([A-Za-z0-9+/=\\s]+)-----END ${label}-----`).exec(pem);
  return m?.[1]?.replace(/\s+/g, "");
}
