// Types for bench/http.mjs.
import type http from "node:http";
export declare const agent: http.Agent;
export declare function request(port: number, host: string, path: string, init?: { method?: string; headers?: Record<string, string>; body?: string }): Promise<{ status: number; headers: http.IncomingHttpHeaders; body: string }>;
export declare function percentile(sorted: readonly number[], p: number): number;
