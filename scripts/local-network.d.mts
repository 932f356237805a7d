// Types for scripts/local-network.mjs (used by the e2e tests and benchmarks).
import type { Miniflare, RequestInit as MfRequestInit, Response as MfResponse } from "miniflare";

export declare const HOSTS: {
  readonly registratie: string;
  readonly digid: string;
  readonly umcharderwijk: string;
  readonly delinde: string;
  readonly ziekenhuisoost: string;
  readonly dvpKluis: string;
  readonly dvpApp: string;
};

export interface LayoutEntry {
  readonly name: string;
  readonly hostnames: readonly string[];
  readonly script?: string;
  readonly source?: string;
  readonly node?: boolean;
  readonly providers?: readonly string[];
  readonly options: Record<string, unknown>;
}

export interface LocalNetwork {
  readonly mf: Miniflare;
  readonly port: number;
  readonly adminToken: string;
  readonly layout: readonly LayoutEntry[];
  base(hostname: string): string;
  browse(hostname: string, path: string, init?: MfRequestInit): Promise<MfResponse>;
  refreshLists(): Promise<void>;
  seedFhir(): Promise<void>;
  dispose(): Promise<void>;
}

export declare function networkLayout(options?: { only?: readonly string[] }): LayoutEntry[];

export declare function startNetwork(options?: {
  port?: number;
  host?: string;
  only?: readonly string[];
  build?: boolean;
  seed?: boolean;
  verbose?: boolean;
  extraWorkers?: readonly LayoutEntry[];
  dvzaBindings?: Record<string, string>;
  /** { hostname: probability } of injected failures on the workers' own requests to that host. */
  faults?: Record<string, number>;
}): Promise<LocalNetwork>;
