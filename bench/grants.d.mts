// Types for bench/grants.mjs (used by the benchmarks and the upstream e2e tests).
import type { Miniflare } from "miniflare";
import type { Grant } from "../durable-objects/grant-store.ts";

/** A grant as the consent step stores it (without PKCE: the bench's clients send none). */
export type GrantInput = Omit<Grant, "codeChallenge">;

export declare const SHARDS: number;
export declare function hashHandle(handle: string, shards?: number): { hash: string; shard: number };
/** Authorization codes issued straight into a DVZA's GrantStore, as the consent step would. */
export declare function issueCodes(mf: Miniflare, workerName: string, grant: GrantInput, count: number, options?: { concurrency?: number }): Promise<string[]>;
