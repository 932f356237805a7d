// Types for bench/http.mjs.
import type http from "node:http";
export declare const agent: http.Agent;
export declare function request(port: number, host: string, path: string, init?: { method?: string; headers?: Record<string, string>; body?: string }): Promise<{ status: number; headers: http.IncomingHttpHeaders; body: string }>;
export declare function percentile(sorted: readonly number[], p: number): number;
/** `users` closed loops of `once` for `seconds` (bench/http.mjs). */
export declare function closedLoop(users: number, seconds: number, once: (user: number) => Promise<number>): Promise<{ rps: number; runs: number; httpRequestsPerSecond: number; p50: number; p99: number; requests: number; errors: number; non2xx: number; firstErrors?: string[] }>;
