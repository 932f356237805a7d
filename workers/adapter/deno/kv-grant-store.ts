/**
 * The GrantStore on Deno KV, for several Deno instances sharing one Deno KV (GRANTS_BACKEND=deno-kv): the same
 * RPC surface as durable-objects/grant-store.ts (putCode, redeem, introspect) and the same decisions
 * (`redemptionRefusal`), with exactly-once redemption across processes from Deno KV's atomic `check()`: a
 * redemption commits only if the code entry is unchanged since it was read, so of any number of concurrent
 * redemptions, on any instances, exactly one commits (AS-10); the others read again and find it redeemed,
 * which is a replay: every token issued from the code is revoked (RFC 6749 §4.1.2).
 *
 * SQLite-backed Deno KV shared by processes answers a commit that meets another process's write lock with
 * "database is locked": nothing was written, so the operation is simply tried again.
 */
import { LIFETIME_MS, REMEMBER_CODE_MS, grantOf, redemptionRefusal, type CodeRow, type Grant, type Presented, type RedeemResult, type TokenGrant, type TokenRow } from "../../../durable-objects/grant-store.ts";

type Key = readonly (string | number)[];
interface Entry<T> {
  readonly key: Key;
  readonly value: T | null;
  readonly versionstamp: string | null;
}
interface Atomic {
  check(...entries: { key: Key; versionstamp: string | null }[]): Atomic;
  set(key: Key, value: unknown, options?: { expireIn?: number }): Atomic;
  commit(): Promise<{ ok: boolean }>;
}
/** The part of Deno.Kv this store uses. */
export interface DenoKvLike {
  get<T>(key: Key): Promise<Entry<T>>;
  atomic(): Atomic;
  close(): void;
}

interface KvCode extends CodeRow {
  /** The token issued from this code, once redeemed: revoked on a replay. */
  token_hash: string | null;
}

const codeKey = (codeHash: string): Key => ["medmij", "grants", "code", codeHash];
const tokenKey = (tokenHash: string): Key => ["medmij", "grants", "token", tokenHash];

const MAX_ATTEMPTS = 50;

/** Runs `attempt` until it decides (returns a result) or the KV stays locked too long. */
async function untilDecided<T>(attempt: () => Promise<T | undefined>): Promise<T> {
  for (let i = 0; i < MAX_ATTEMPTS; i++) {
    try {
      const decided = await attempt();
      if (decided !== undefined) return decided;
    } catch (e) {
      if (!/database is locked/i.test((e as Error).message)) throw e;
    }
    await new Promise((r) => setTimeout(r, Math.random() * 2 * (i + 1)));
  }
  throw new Error("Deno KV: no decision after repeated conflicts");
}

export class KvGrantStore {
  constructor(private readonly kv: DenoKvLike) {}

  async putCode(codeHash: string, grant: Grant): Promise<{ stored: boolean; expiresAt: number }> {
    const now = Date.now();
    const expiresAt = now + LIFETIME_MS;
    const row: KvCode = {
      client_id: grant.clientId, redirect_uri: grant.redirectUri, scope: grant.scope, zorgaanbieder: grant.zorgaanbieder, gegevensdienst: grant.gegevensdienstId,
      subject: grant.subject, token_endpoint: grant.tokenEndpoint, expires_at: expiresAt, redeemed_at: null, code_challenge: grant.codeChallenge ?? null, token_hash: null,
    };
    // AS-10: never two identical valid codes; a collision is refused and the caller draws again.
    return untilDecided(async () => {
      const r = await this.kv.atomic().check({ key: codeKey(codeHash), versionstamp: null }).set(codeKey(codeHash), row, { expireIn: REMEMBER_CODE_MS }).commit();
      return { stored: r.ok, expiresAt };
    });
  }

  async redeem(codeHash: string, tokenHash: string, presented: Presented): Promise<RedeemResult> {
    return untilDecided(async (): Promise<RedeemResult | undefined> => {
      const now = Date.now();
      const entry = await this.kv.get<KvCode>(codeKey(codeHash));
      const row = entry.value;
      if (!row) return { ok: false, refusal: "unknown", revokedTokens: 0 };
      if (row.redeemed_at !== null) {
        const token = row.token_hash ? await this.kv.get<TokenRow>(tokenKey(row.token_hash)) : undefined;
        if (!token?.value || token.value.revoked_at !== null) return { ok: false, refusal: "replayed", revokedTokens: 0 };
        const revoked = await this.kv.atomic().check(token).set(tokenKey(row.token_hash!), { ...token.value, revoked_at: now }, { expireIn: LIFETIME_MS }).commit();
        return revoked.ok ? { ok: false, refusal: "replayed", revokedTokens: 1 } : undefined;
      }
      const refusal = redemptionRefusal(row, presented, now);
      if (refusal) return { ok: false, refusal, revokedTokens: 0 };
      const expiresAt = now + LIFETIME_MS;
      const token: TokenRow = {
        client_id: row.client_id, redirect_uri: row.redirect_uri, scope: row.scope, zorgaanbieder: row.zorgaanbieder, gegevensdienst: row.gegevensdienst,
        subject: row.subject, token_endpoint: row.token_endpoint, expires_at: expiresAt, revoked_at: null,
      };
      const committed = await this.kv
        .atomic()
        .check(entry)
        .set(codeKey(codeHash), { ...row, redeemed_at: now, token_hash: tokenHash }, { expireIn: REMEMBER_CODE_MS })
        .set(tokenKey(tokenHash), token, { expireIn: LIFETIME_MS })
        .commit();
      // Someone else changed the code meanwhile: read again (it is now redeemed, so this is a replay).
      return committed.ok ? { ok: true, grant: grantOf(row), expiresAt } : undefined;
    });
  }

  async introspect(tokenHash: string): Promise<TokenGrant | null> {
    const row = (await this.kv.get<TokenRow>(tokenKey(tokenHash))).value;
    if (!row || row.revoked_at !== null || Date.now() >= row.expires_at) return null;
    return { ...grantOf(row), expiresAt: row.expires_at };
  }
}

/** A GRANTS binding over one KvGrantStore: every shard name reaches the same keyspace (hashes do not collide). */
export class KvGrantNamespace {
  constructor(private readonly store: KvGrantStore) {}
  idFromName(name: string): { name: string; toString(): string } {
    return { name, toString: () => name };
  }
  jurisdiction(_name: string): KvGrantNamespace {
    return this;
  }
  get(_id: unknown): KvGrantStore {
    return this.store;
  }
}
