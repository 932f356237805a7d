/**
 * Passkeys (WebAuthn Level 3) for the PGO's own accounts (SPEC X-9): the ceremonies' options and the checks
 * of their answers, with @simplewebauthn/server (Web Crypto only: it runs on workerd and Deno). Decisions
 * only; the ceremonies' single use and the accounts are the Durable Objects'.
 *
 * Every ceremony requires user verification (the authenticator's PIN or biometric, not mere presence) and a
 * discoverable credential; the relying party ID is the DVP's hostname and the origin one of the configured
 * ones. An assertion must carry a counter above the stored one unless both are zero (WebAuthn §6.1.1): a
 * lower or equal counter means a cloned authenticator, and is refused.
 *
 * Reasons are a fixed vocabulary: never a challenge, credential id or origin value reaches a log.
 */
import {
  generateAuthenticationOptions,
  generateRegistrationOptions,
  verifyAuthenticationResponse,
  verifyRegistrationResponse,
  type AuthenticationResponseJSON,
  type PublicKeyCredentialCreationOptionsJSON,
  type PublicKeyCredentialRequestOptionsJSON,
  type RegistrationResponseJSON,
} from "@simplewebauthn/server";
import type { PasskeyInput, StoredPasskey } from "../../../durable-objects/pgo-accounts.ts";
import { base64url, base64urlDecode } from "../../shared/base64.ts";

export interface RelyingParty {
  readonly rpId: string;
  readonly rpName: string;
  readonly origins: readonly string[];
}

/** How long the browser may take; the ceremony's own lifetime matches it (login/ceremony.ts). */
export const CEREMONY_TIMEOUT_MS = 300_000;
/** EdDSA, ES256, RS256 (COSE): what passkey providers make. */
const ALGORITHMS = [-8, -7, -257];

export type Checked<T> = { readonly ok: true; readonly value: T } | { readonly ok: false; readonly reason: string };

const HANDLE = /^[A-Za-z0-9_-]{1,512}$/;

export function creationOptions(rp: RelyingParty, user: { accountId: string; naam: string }, existing: readonly StoredPasskey[] = []): Promise<PublicKeyCredentialCreationOptionsJSON> {
  return generateRegistrationOptions({
    rpName: rp.rpName,
    rpID: rp.rpId,
    // The user handle is the opaque account id: nothing personal (WebAuthn §14.6.1).
    userID: new Uint8Array(base64urlDecode(user.accountId)!),
    userName: user.naam,
    userDisplayName: user.naam,
    timeout: CEREMONY_TIMEOUT_MS,
    attestationType: "none",
    excludeCredentials: existing.map((p) => ({ id: p.credentialId, transports: [...p.transports] })),
    authenticatorSelection: { residentKey: "required", requireResidentKey: true, userVerification: "required" },
    supportedAlgorithmIDs: ALGORITHMS,
  });
}

export function requestOptions(rp: RelyingParty): Promise<PublicKeyCredentialRequestOptionsJSON> {
  // No allowCredentials: the authenticator offers the Person's discoverable passkey for this RP ID.
  return generateAuthenticationOptions({ rpID: rp.rpId, timeout: CEREMONY_TIMEOUT_MS, userVerification: "required" });
}

interface CredentialShape {
  readonly id: string;
  readonly rawId: string;
  readonly type: string;
  readonly response: Record<string, unknown>;
}

function credentialShape(value: unknown): CredentialShape | undefined {
  if (!value || typeof value !== "object") return undefined;
  const c = value as Record<string, unknown>;
  if (typeof c.id !== "string" || !HANDLE.test(c.id) || c.rawId !== c.id || c.type !== "public-key") return undefined;
  if (!c.response || typeof c.response !== "object" || typeof (c.response as Record<string, unknown>).clientDataJSON !== "string") return undefined;
  return c as unknown as CredentialShape;
}

/**
 * The challenge the browser says it answered, read from clientDataJSON before anything is verified: only to
 * find the ceremony (by its hash); the verification then compares it with the ceremony's own.
 */
export function claimedChallenge(credential: unknown): string | undefined {
  const c = credentialShape(credential);
  const bytes = c && base64urlDecode(c.response.clientDataJSON as string);
  if (!bytes || bytes.length > 4096) return undefined;
  try {
    const data = JSON.parse(new TextDecoder("utf-8", { fatal: true, ignoreBOM: false }).decode(bytes)) as { challenge?: unknown };
    return typeof data.challenge === "string" && HANDLE.test(data.challenge) ? data.challenge : undefined;
  } catch {
    return undefined;
  }
}

/** The credential id and user handle an assertion names (both unsigned: they only select what to verify with). */
export function assertionSubject(credential: unknown): { credentialId: string; userHandle: string } | undefined {
  const c = credentialShape(credential);
  const userHandle = c?.response.userHandle;
  if (!c || typeof userHandle !== "string" || !/^[A-Za-z0-9_-]{43}$/.test(userHandle)) return undefined;
  return { credentialId: c.id, userHandle };
}

/** Why simplewebauthn refused, in words of our own (its messages carry the values compared). */
export function refusalOf(e: unknown): string {
  const m = e instanceof Error ? e.message : String(e);
  if (/counter/i.test(m)) return "the signature counter did not increase: a cloned authenticator";
  if (/user verification/i.test(m)) return "no user verification";
  if (/user not present|presence/i.test(m)) return "no user presence";
  if (/RP ID/i.test(m)) return "another relying party ID";
  if (/origin/i.test(m)) return "another origin";
  if (/challenge/i.test(m)) return "another challenge";
  if (/response type/i.test(m)) return "another ceremony type";
  if (/alg|public key|COSE/i.test(m)) return "an unsupported public key";
  if (/signature/i.test(m)) return "the signature does not verify";
  return "a malformed response";
}

/** What every answer is checked against: this ceremony's challenge, this RP ID, these origins. */
const expected = (rp: RelyingParty, expectedChallenge: string) => ({ expectedChallenge, expectedOrigin: [...rp.origins], expectedRPID: rp.rpId });

export async function checkRegistration(rp: RelyingParty, credential: unknown, expectedChallenge: string): Promise<Checked<PasskeyInput>> {
  if (!credentialShape(credential)) return { ok: false, reason: "a malformed response" };
  try {
    const v = await verifyRegistrationResponse({
      response: credential as RegistrationResponseJSON,
      ...expected(rp, expectedChallenge),
      requireUserPresence: true,
      requireUserVerification: true,
      supportedAlgorithmIDs: ALGORITHMS,
    });
    if (!v.verified) return { ok: false, reason: "the attestation does not verify" };
    const info = v.registrationInfo;
    return {
      ok: true,
      value: {
        credentialId: info.credential.id,
        publicKey: base64url(info.credential.publicKey),
        counter: info.credential.counter,
        transports: (info.credential.transports ?? []).filter((t) => /^[a-z-]{1,20}$/.test(t)).slice(0, 8),
        backedUp: info.credentialBackedUp,
      },
    };
  } catch (e) {
    return { ok: false, reason: refusalOf(e) };
  }
}

export async function checkAssertion(rp: RelyingParty, credential: unknown, expectedChallenge: string, stored: StoredPasskey): Promise<Checked<{ counter: number }>> {
  if (!credentialShape(credential)) return { ok: false, reason: "a malformed response" };
  const decoded = base64urlDecode(stored.publicKey);
  if (!decoded) return { ok: false, reason: "the stored public key is unreadable" };
  const publicKey = new Uint8Array(decoded);
  try {
    const v = await verifyAuthenticationResponse({
      response: credential as AuthenticationResponseJSON,
      ...expected(rp, expectedChallenge),
      credential: { id: stored.credentialId, publicKey, counter: stored.counter, transports: [...stored.transports] },
      requireUserVerification: true,
    });
    if (!v.verified) return { ok: false, reason: "the signature does not verify" };
    return { ok: true, value: { counter: v.authenticationInfo.newCounter } };
  } catch (e) {
    return { ok: false, reason: refusalOf(e) };
  }
}
