// Types for scripts/local-network-deno.mjs (the whole local network on Deno).
import type { LocalNetwork, NetworkOptions } from "./local-network.mjs";

export declare const NGINX: string;

export interface DenoNetworkOptions {
  /** A PostgreSQL server URL whose user may create databases: each deployment's shared state in a database of its own. */
  postgres?: string;
}

export interface DenoNetwork extends Pick<LocalNetwork, "peers" | "pgoIdp" | "upstreams" | "logs" | "events" | "port" | "adminToken" | "operatorToken" | "layout" | "base" | "fetch" | "browse" | "dispose"> {
  readonly runtime: "deno";
  /** Every host:port the nodes asked the egress proxy for, newest last. */
  readonly egressTargets: readonly string[];
  /** The network's CA (PEM). */
  readonly caPem: string;
  /** FhirStore.search on a provider's store at a DVZA deployment (a reader beside the DVZA process). */
  fhirSearch(deployment: string, zorgaanbieder: string, scope: unknown, query: unknown): Promise<{ matches: { text: string }[] }>;
}

export declare function startDenoNetwork(options?: NetworkOptions & DenoNetworkOptions): Promise<DenoNetwork>;
