export declare const ENTRIES: Record<string, string>;
export declare const OUT_DIR: string;
export declare function buildWorkers(names?: readonly string[], extra?: Record<string, string>): Promise<void>;
