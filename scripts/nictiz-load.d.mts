// Types for scripts/nictiz-load.mjs (the qualification tests and `npm run load:nictiz`).
import type { RunOptions, ScriptReport } from "../test/testscript/index.mjs";

export declare const NICTIZ_DIR: string;
export declare const NICTIZ_STANDARDS: readonly string[];
export declare function withBsn(xml: string, bsn: string): string;
export declare function loadScripts(): string[];
export declare function loadNictiz(options: { baseUrl: string; operatorToken: string; fetch?: RunOptions["fetch"] }): Promise<ScriptReport[]>;
export declare function nictizResources(today?: string): Record<string, unknown>[];
