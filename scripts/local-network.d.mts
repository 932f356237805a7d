// Types for scripts/local-network.mjs (used by the e2e tests and benchmarks).
import type { Miniflare } from "miniflare";
import type { DenoNetwork, DenoNetworkOptions } from "./local-network-deno.mjs";

export declare const OPERATOR_TOKEN: string;
export declare const HOSTS: {
  readonly registratie: string;
  readonly digid: string;
  readonly umcharderwijk: string;
  readonly delinde: string;
  readonly ziekenhuisoost: string;
  readonly dvpKluis: string;
  readonly dvpApp: string;
  readonly operatorZorgbridge: string;
};

export interface LayoutEntry {
  readonly name: string;
  readonly hostnames: readonly string[];
  readonly script?: string;
  readonly source?: string;
  /** A worker from outside the product: its source file, bundled under the name `script`. */
  readonly entry?: string;
  readonly node?: boolean;
  readonly providers?: readonly string[];
  readonly options: Record<string, unknown>;
}

export interface LogEvent {
  readonly level: string;
  readonly event: string;
  readonly [field: string]: unknown;
}

export interface LocalNetwork {
  readonly mf: Miniflare;
  /** The Node-side identity provider when the network runs with authn "digid-saml" or "oidc". */
  readonly peers: { readonly kind: string; readonly idp?: any; readonly broker?: any } | undefined;
  /** The PGO's own OpenID Connect provider (test/peers/pgo-idp.mjs) when the network runs with `pgoIdp`. */
  readonly pgoIdp: any;
  /** The providers' own FHIR servers (test/peers/fhir-server.mjs) when the network runs with fhir "upstream". */
  readonly upstreams: Record<string, any>;
  /** Raw worker log lines (stdout and stderr of workerd), newest last. */
  readonly logs: string[];
  /** Worker log lines that are JSON, optionally only those of one event. */
  events(event?: string): LogEvent[];
  readonly port: number;
  readonly adminToken: string;
  /** The Zorgbridge DVZA's operator credential. */
  readonly operatorToken: string;
  readonly layout: readonly LayoutEntry[];
  base(hostname: string): string;
  /** A request through the front door, as a browser would make it (*.localhost is loopback); redirects are not followed. */
  fetch(url: string, init?: RequestInit): Promise<Response>;
  browse(hostname: string, path: string, init?: RequestInit): Promise<Response>;
  refreshLists(): Promise<void>;
  seedFhir(): Promise<void>;
  dispose(): Promise<void>;
}

export declare function networkLayout(options?: { only?: readonly string[] }): LayoutEntry[];

export interface NetworkOptions {
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
  /** How the DVZAs authenticate Persons: the DigiD simulator (default), the SAML test IdP, or the OIDC broker. */
  authn?: "digid-sim" | "digid-saml" | "oidc";
  authnOptions?: { oidc?: { clientAuth?: "private_key_jwt" | "client_secret_basic"; encryptIdToken?: boolean } };
  /** Where providers' data comes from: their FhirStore (default) or their own FHIR servers (X-4). */
  fhir?: "store" | "upstream";
  fhirOptions?: { providers?: string[]; tokenTtlSeconds?: number; extraResources?: Record<string, Record<string, unknown>[]> };
  /** More Node-side peers: hostname -> service function. */
  nodeServices?: Record<string, (request: Request) => Promise<Response>>;
  /** the PGO Gezondheidskluis also logs Persons in through its own OpenID Connect provider. */
  pgoIdp?: boolean;
}

/** The network in workerd (Miniflare); with `deno: true`, every role on Deno behind the same front door (local-network-deno.mjs). */
export declare function startNetwork(options: NetworkOptions & DenoNetworkOptions & { deno: true }): Promise<DenoNetwork>;
export declare function startNetwork(options?: NetworkOptions & { deno?: false }): Promise<LocalNetwork>;
