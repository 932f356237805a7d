// Types for bench/grants.mjs (used by the benchmarks and the upstream e2e tests).
import type { Miniflare } from "miniflare";

export interface GrantInput {
  readonly clientId: string;
  readonly redirectUri: string;
  readonly scope: string;
  readonly zorgaanbieder: string;
  readonly gegevensdienstId: string;
  readonly subject: string;
  readonly tokenEndpoint: string;
}

export declare const SHARDS: number;
export declare function hashHandle(handle: string, shards?: number): { hash: string; shard: number };
/** Authorization codes issued straight into a DVZA's GrantStore, as the consent step would. */
export declare function issueCodes(mf: Miniflare, workerName: string, grant: GrantInput, count: number, options?: { concurrency?: number }): Promise<string[]>;
