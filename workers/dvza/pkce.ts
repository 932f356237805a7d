/**
 * PKCE (RFC 7636) at the token endpoint (SPEC X-1): the verifier's shape, and its S256 transform, which
 * the GrantStore compares with the challenge bound into the code. SHA-256 is computed synchronously
 * (@noble/hashes), as for handle hashing on this path (shard.ts).
 */
import { sha256 } from "@noble/hashes/sha2";
import { base64url } from "../shared/base64.ts";

/** RFC 7636 §4.1: 43 to 128 characters of [A-Z] / [a-z] / [0-9] / "-" / "." / "_" / "~". */
const VERIFIER = /^[A-Za-z0-9\-._~]{43,128}$/;

export function isCodeVerifier(s: string): boolean {
  return VERIFIER.test(s);
}

/** RFC 7636 §4.2: BASE64URL-ENCODE(SHA256(ASCII(code_verifier))). */
export function s256(verifier: string): string {
  return base64url(sha256(new TextEncoder().encode(verifier)));
}
