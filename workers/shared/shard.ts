/**
 * Secret handles (codes, tokens, session ids, OAuth states) are stored only as SHA-256 hashes, in
 * the Durable Object shard the same digest selects: one hash, two uses, nothing else derived.
 *
 * The digest is computed synchronously with @noble/hashes (audited, pure JS, so it runs on workerd
 * and Deno alike): drawing an access token into its code's shard hashes ~2×shards candidates, and
 * through Web Crypto each digest costs a native round trip that measured ~30 µs here (bench/).
 */
import { sha256 } from "@noble/hashes/sha2";
import { hex } from "./crypto.ts";

export interface HashedHandle {
  readonly hash: string;
  readonly shard: number;
}

/**
 * One shard is one Durable Object, and one object handles well over a thousand redemptions per
 * second; MedMij's national token rate is orders of magnitude below four. More shards cost more
 * hashes per token drawn (one per shard on average).
 */
export const DEFAULT_SHARDS = 4;

/** A shard count from configuration: an integer in 1..256, else the default. */
export function shardCountOf(value: string | undefined): number {
  const n = Number(value ?? DEFAULT_SHARDS);
  return Number.isInteger(n) && n >= 1 && n <= 256 ? n : DEFAULT_SHARDS;
}

const encoder = new TextEncoder();

export function hashHandleSync(handle: string, shards: number): HashedHandle {
  const digest = sha256(encoder.encode(handle));
  return { hash: hex(digest), shard: digest[0]! % shards };
}

export async function hashHandle(handle: string, shards: number): Promise<HashedHandle> {
  return hashHandleSync(handle, shards);
}
