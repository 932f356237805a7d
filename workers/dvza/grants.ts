/**
 * Worker side of the grant store: draws codes and tokens, hashes them, and finds their shard
 * (durable-objects/grant-store.ts explains the layout). Handles never leave this module in plain
 * form except towards the client that receives them.
 */
import type { Grant, GrantStore, Presented, RedeemResult, TokenGrant } from "../../durable-objects/grant-store.ts";
import { randomHandle } from "../shared/crypto.ts";
import { hashHandle, hashHandleSync, shardCountOf } from "../shared/shard.ts";
import { placed } from "../shared/durable/placement.ts";
import type { Env } from "./env.ts";
import type { ObjectStub } from "../shared/ports.ts";

export { hashHandle } from "../shared/shard.ts";

export function shardCount(env: Pick<Env, "GRANT_SHARDS">): number {
  return shardCountOf(env.GRANT_SHARDS);
}

export function grantStub(env: Pick<Env, "GRANTS" | "DO_JURISDICTION" | "DEPLOYMENT_ENV">, shard: number): ObjectStub<GrantStore> {
  const ns = placed(env, env.GRANTS);
  return ns.get(ns.idFromName(`grants-${shard}`));
}

/** AS-8, AS-9, AS-10: a fresh random code, stored hashed; redrawn in the (2^-256) event of a collision. */
export async function issueCode(env: Pick<Env, "GRANTS" | "GRANT_SHARDS" | "DO_JURISDICTION" | "DEPLOYMENT_ENV">, grant: Grant): Promise<{ code: string; expiresAt: number }> {
  const shards = shardCount(env);
  for (;;) {
    const code = randomHandle();
    const h = await hashHandle(code, shards);
    const put = await grantStub(env, h.shard).putCode(h.hash, grant);
    if (put.stored) return { code, expiresAt: put.expiresAt };
  }
}

/**
 * Draw an access token whose hash selects `shard`, so it is stored beside its code and a replay can
 * revoke it atomically. Rejection sampling keeps the token uniformly random among such handles; it
 * costs on average `shards` hashes and leaves 256 - log2(shards) bits of entropy (AS-8: >= 128).
 */
export function drawTokenForShard(shard: number, shards: number): { token: string; hash: string } {
  for (;;) {
    const token = randomHandle();
    const h = hashHandleSync(token, shards);
    if (h.shard === shard) return { token, hash: h.hash };
  }
}

export type Redemption = ({ token: string } & Extract<RedeemResult, { ok: true }>) | Extract<RedeemResult, { ok: false }>;

export async function redeemCode(
  env: Pick<Env, "GRANTS" | "GRANT_SHARDS" | "DO_JURISDICTION" | "DEPLOYMENT_ENV">,
  code: string,
  presented: Presented,
): Promise<Redemption> {
  const shards = shardCount(env);
  const c = await hashHandle(code, shards);
  const t = drawTokenForShard(c.shard, shards);
  const result = await grantStub(env, c.shard).redeem(c.hash, t.hash, presented);
  return result.ok ? { ...result, token: t.token } : result;
}

export async function introspectToken(env: Pick<Env, "GRANTS" | "GRANT_SHARDS" | "DO_JURISDICTION" | "DEPLOYMENT_ENV">, token: string): Promise<TokenGrant | null> {
  const h = await hashHandle(token, shardCount(env));
  return grantStub(env, h.shard).introspect(h.hash);
}
