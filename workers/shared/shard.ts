/**
 * Secret handles (codes, tokens, session ids, OAuth states) are stored only as SHA-256 hashes, in
 * the Durable Object shard the same digest selects: one hash, two uses, nothing else derived.
 */
import { hex, sha256 } from "./crypto";

export interface HashedHandle {
  readonly hash: string;
  readonly shard: number;
}

export const DEFAULT_SHARDS = 16;

/** A shard count from configuration: an integer in 1..256, else the default. */
export function shardCountOf(value: string | undefined): number {
  const n = Number(value ?? DEFAULT_SHARDS);
  return Number.isInteger(n) && n >= 1 && n <= 256 ? n : DEFAULT_SHARDS;
}

export async function hashHandle(handle: string, shards: number): Promise<HashedHandle> {
  const digest = await sha256(handle);
  return { hash: hex(digest), shard: digest[0]! % shards };
}
