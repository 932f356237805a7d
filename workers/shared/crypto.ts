/**
 * Randomness, hashing and comparison for secrets. Web Crypto only (runs on workerd and Deno).
 */

import { sha256 as sha256Sync } from "@noble/hashes/sha2";
import { base64url } from "./base64.ts";

export { base64url } from "./base64.ts";

const encoder = new TextEncoder();

export function hex(bytes: Uint8Array): string {
  let s = "";
  for (const b of bytes) s += b.toString(16).padStart(2, "0");
  return s;
}

/**
 * AS-8, AS-9: an opaque handle from a CSPRNG. 32 bytes = 256 bits, comfortably above the 2^-128
 * guessing bound, and meaningless: it encodes nothing about the grant.
 */
export function randomHandle(bytes = 32): string {
  return base64url(crypto.getRandomValues(new Uint8Array(bytes)));
}

export async function sha256(data: string | BufferSource): Promise<Uint8Array> {
  const input = typeof data === "string" ? encoder.encode(data) : data;
  return new Uint8Array(await crypto.subtle.digest("SHA-256", input));
}

export async function sha256Hex(data: string | BufferSource): Promise<string> {
  return hex(await sha256(data));
}

/**
 * Constant-time equality for secrets (admin tokens, CSRF tokens). Both sides are hashed first so
 * neither the length nor the position of the first difference leaks through timing.
 */
export async function timingSafeEqualString(a: string, b: string): Promise<boolean> {
  return timingSafeEqualHashes(...(await Promise.all([sha256(a), sha256(b)])));
}

/** The same comparison, synchronous (@noble/hashes), for paths that cannot await (a proxy's verdict per request). */
export function timingSafeEqualStringSync(a: string, b: string): boolean {
  return timingSafeEqualHashes(sha256Sync(encoder.encode(a)), sha256Sync(encoder.encode(b)));
}

function timingSafeEqualHashes(ha: Uint8Array, hb: Uint8Array): boolean {
  let diff = 0;
  for (let i = 0; i < ha.length; i++) diff |= ha[i]! ^ hb[i]!;
  return diff === 0;
}

export function uuidV4(): string {
  return crypto.randomUUID();
}

const UUID = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/i;

export function isUuid(s: string): boolean {
  return UUID.test(s);
}
