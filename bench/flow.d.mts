// Types for bench/flow.mjs.
/** One authorize -> DigiD simulator -> consent -> token -> resource run; the number of HTTP requests made. */
export declare function fullFlow(port: number, bsn?: string): Promise<number>;
/** `users` Persons running full flows for `seconds`: flows/s (rps), p50/p99 in ms, errors. */
export declare function runFlows(port: number, users: number, seconds: number): Promise<{ rps: number; flows: number; httpRequestsPerSecond: number; p50: number; p99: number; requests: number; errors: number; non2xx: number; firstErrors?: string[] }>;
