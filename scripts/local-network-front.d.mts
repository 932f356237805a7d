// Types for scripts/local-network-front.mjs.
export declare function toBrowser(value: string, hostnames: readonly string[], port: number): string;
