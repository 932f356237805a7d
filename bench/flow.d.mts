// Types for bench/flow.mjs.
/** One authorize -> DigiD simulator -> consent -> token -> resource run; the number of HTTP requests made. */
export declare function fullFlow(port: number, bsn?: string): Promise<number>;
