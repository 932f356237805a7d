/**
 * A WebAuthn authenticator and client written from the specification (WebAuthn Level 3 §6.1 authenticator
 * data, §6.5 attestation, §5.8.1 client data; RFC 8949 CBOR; RFC 9053 COSE keys; RFC 3279 ECDSA DER), with Web
 * Crypto only, so tests can forge exactly the answer they need: another key, another origin or RP ID, another
 * challenge, another counter, flags cleared. Nothing here comes from the verifier under test.
 */
import { base64url, base64urlDecode } from "../../workers/shared/base64.ts";

// --- CBOR (RFC 8949), the part attestation objects and COSE keys use ------------------------------

type Cbor = number | string | Uint8Array | Map<Cbor, Cbor>;

function head(major: number, n: number): number[] {
  if (n < 24) return [(major << 5) | n];
  if (n < 0x100) return [(major << 5) | 24, n];
  if (n < 0x10000) return [(major << 5) | 25, n >> 8, n & 0xff];
  return [(major << 5) | 26, (n >>> 24) & 0xff, (n >> 16) & 0xff, (n >> 8) & 0xff, n & 0xff];
}

export function cbor(v: Cbor): Uint8Array {
  const out: number[] = [];
  const put = (x: Cbor): void => {
    if (typeof x === "number") out.push(...(x >= 0 ? head(0, x) : head(1, -1 - x)));
    else if (typeof x === "string") {
      const b = new TextEncoder().encode(x);
      out.push(...head(3, b.length), ...b);
    } else if (x instanceof Uint8Array) out.push(...head(2, x.length), ...x);
    else {
      out.push(...head(5, x.size));
      for (const [k, val] of x) {
        put(k);
        put(val);
      }
    }
  };
  put(v);
  return new Uint8Array(out);
}

const concat = (...parts: Uint8Array[]): Uint8Array<ArrayBuffer> => {
  const out = new Uint8Array(parts.reduce((n, p) => n + p.length, 0));
  let at = 0;
  for (const p of parts) (out.set(p, at), (at += p.length));
  return out;
};
const u32 = (n: number): Uint8Array => new Uint8Array([(n >>> 24) & 0xff, (n >> 16) & 0xff, (n >> 8) & 0xff, n & 0xff]);
const sha256 = async (b: BufferSource | string): Promise<Uint8Array> => new Uint8Array(await crypto.subtle.digest("SHA-256", typeof b === "string" ? new TextEncoder().encode(b) : b));

/** ECDSA signatures are DER SEQUENCE { r INTEGER, s INTEGER } in WebAuthn (§6.5.6); Web Crypto gives r || s. */
function der(raw: Uint8Array): Uint8Array {
  const int = (b: Uint8Array): Uint8Array => {
    let i = 0;
    while (i < b.length - 1 && b[i] === 0) i++;
    const v = b.subarray(i);
    const body = v[0]! & 0x80 ? concat(new Uint8Array([0]), v) : v;
    return concat(new Uint8Array([0x02, body.length]), body);
  };
  const seq = concat(int(raw.subarray(0, 32)), int(raw.subarray(32)));
  return concat(new Uint8Array([0x30, seq.length]), seq);
}

/** Authenticator data flags (§6.1). */
export const FLAG = { UP: 0x01, UV: 0x04, BE: 0x08, BS: 0x10, AT: 0x40 } as const;

export interface Forgery {
  /** clientDataJSON.origin; default the DVP's https origin. */
  readonly origin?: string;
  /** The RP ID whose hash goes into authenticator data; default the one in the options. */
  readonly rpId?: string;
  /** Authenticator data flags; default UP | UV (and AT at registration). */
  readonly flags?: number;
  /** clientDataJSON.type; default webauthn.create / webauthn.get. */
  readonly type?: string;
  /** Another challenge than the options' one. */
  readonly challenge?: string;
  /** The signature counter to report; default one more than the last. */
  readonly counter?: number;
  /** Sign with this key instead of the credential's own. */
  readonly signWith?: CryptoKey;
  /** Another user handle than the credential's. */
  readonly userHandle?: string;
}

interface CreationOptions {
  challenge: string;
  rp: { id: string; name: string };
  user: { id: string; name: string };
}
interface RequestOptions {
  challenge: string;
  rpId: string;
}

export const newEcKey = (): Promise<CryptoKeyPair> => crypto.subtle.generateKey({ name: "ECDSA", namedCurve: "P-256" }, true, ["sign", "verify"]) as Promise<CryptoKeyPair>;

/** One discoverable ES256 credential, as a platform authenticator would hold it. */
export class SoftAuthenticator {
  counter = 0;
  userHandle = "";
  private constructor(
    readonly key: CryptoKeyPair,
    readonly credentialId: Uint8Array,
  ) {}

  static async create(): Promise<SoftAuthenticator> {
    return new SoftAuthenticator(await newEcKey(), crypto.getRandomValues(new Uint8Array(32)));
  }

  get id(): string {
    return base64url(this.credentialId);
  }

  /** RFC 9053 §7.1.1: the EC2 public key as a COSE_Key. */
  private async coseKey(): Promise<Uint8Array> {
    const raw = new Uint8Array((await crypto.subtle.exportKey("raw", this.key.publicKey)) as ArrayBuffer);
    return cbor(new Map<Cbor, Cbor>([[1, 2], [3, -7], [-1, 1], [-2, raw.subarray(1, 33)], [-3, raw.subarray(33, 65)]]));
  }

  private clientData(type: string, challenge: string, origin: string) {
    return new TextEncoder().encode(JSON.stringify({ type, challenge, origin, crossOrigin: false }));
  }

  /** navigator.credentials.create(): a "none" attestation (§8.7) with the attested credential data. */
  async attest(options: CreationOptions, f: Forgery = {}): Promise<Record<string, unknown>> {
    this.userHandle = options.user.id;
    const origin = f.origin ?? `https://${options.rp.id}`;
    const flags = f.flags ?? FLAG.UP | FLAG.UV | FLAG.AT;
    this.counter = f.counter ?? 0;
    const attested = concat(new Uint8Array(16), new Uint8Array([this.credentialId.length >> 8, this.credentialId.length & 0xff]), this.credentialId, await this.coseKey());
    const authData = concat(await sha256(f.rpId ?? options.rp.id), new Uint8Array([flags]), u32(this.counter), flags & FLAG.AT ? attested : new Uint8Array(0));
    const attestationObject = cbor(new Map<Cbor, Cbor>([["fmt", "none"], ["attStmt", new Map()], ["authData", authData]]));
    return {
      id: this.id,
      rawId: this.id,
      type: "public-key",
      response: { clientDataJSON: base64url(this.clientData(f.type ?? "webauthn.create", f.challenge ?? options.challenge, origin)), attestationObject: base64url(attestationObject), transports: ["internal"] },
      authenticatorAttachment: "platform",
      clientExtensionResults: {},
    };
  }

  /** navigator.credentials.get(): the signature is over authenticatorData || SHA-256(clientDataJSON) (§6.3.3). */
  async assert(options: RequestOptions, f: Forgery & { origin?: string } = {}): Promise<Record<string, unknown>> {
    const rpId = f.rpId ?? options.rpId;
    const origin = f.origin ?? `https://${options.rpId}`;
    const counter = f.counter ?? this.counter + 1;
    this.counter = Math.max(this.counter, counter);
    const authData = concat(await sha256(rpId), new Uint8Array([f.flags ?? FLAG.UP | FLAG.UV]), u32(counter));
    const clientDataJSON = this.clientData(f.type ?? "webauthn.get", f.challenge ?? options.challenge, origin);
    const signed = concat(authData, await sha256(clientDataJSON));
    const raw = new Uint8Array(await crypto.subtle.sign({ name: "ECDSA", hash: "SHA-256" }, f.signWith ?? this.key.privateKey, signed));
    return {
      id: this.id,
      rawId: this.id,
      type: "public-key",
      response: { clientDataJSON: base64url(clientDataJSON), authenticatorData: base64url(authData), signature: base64url(der(raw)), userHandle: f.userHandle ?? this.userHandle },
      authenticatorAttachment: "platform",
      clientExtensionResults: {},
    };
  }
}

/** The 32 bytes of a base64url user handle. */
export const handleBytes = (h: string): Uint8Array => base64urlDecode(h)!;
