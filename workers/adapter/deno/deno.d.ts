/**
 * The few Deno APIs the Deno adapter uses, declared for the project's type check (tsc with the Workers types):
 * Deno's own lib cannot be loaded beside @cloudflare/workers-types (both declare the web globals). Deno checks
 * these calls against its real types when it runs the adapter.
 */
declare namespace Deno {
  interface NetAddr {
    transport: "tcp" | "udp";
    hostname: string;
    port: number;
  }
  interface ServeHandlerInfo {
    remoteAddr: NetAddr | { transport: "unix"; path: string };
  }
  interface HttpServer {
    finished: Promise<void>;
    addr: NetAddr;
    shutdown(): Promise<void>;
  }
  interface HttpClient {
    close(): void;
  }
  function serve(
    options: { port?: number; hostname?: string; path?: string; signal?: AbortSignal; onListen?: (addr: NetAddr) => void },
    handler: (request: Request, info: ServeHandlerInfo) => Response | Promise<Response>,
  ): HttpServer;
  function cron(name: string, schedule: string, handler: () => Promise<void> | void): Promise<void>;
  function createHttpClient(options: { cert?: string; key?: string; caCerts?: string[]; proxy?: { url: string } }): HttpClient;
  function addSignalListener(signal: "SIGTERM" | "SIGINT", handler: () => void): void;
  function mkdirSync(path: string, options?: { recursive?: boolean }): void;
  function readDirSync(path: string): Iterable<{ name: string; isFile: boolean }>;
  function readTextFileSync(path: string): string;
  function exit(code?: number): never;
  function unrefTimer(id: number): void;
  const args: string[];
  const stdout: { writeSync(p: Uint8Array): number };
  const stderr: { writeSync(p: Uint8Array): number };
  const env: { get(key: string): string | undefined; toObject(): Record<string, string> };
}

interface RequestInit {
  /** Deno: the HttpClient an outbound request uses (client certificates). */
  client?: Deno.HttpClient;
}

interface ImportMeta {
  main: boolean;
}

declare module "node:sqlite" {
  type SqlValue = null | number | bigint | string | Uint8Array;
  export class StatementSync {
    all(...params: SqlValue[]): unknown[];
    get(...params: SqlValue[]): unknown;
    run(...params: SqlValue[]): { changes: number | bigint; lastInsertRowid: number | bigint };
  }
  export class DatabaseSync {
    constructor(path: string);
    exec(sql: string): void;
    prepare(sql: string): StatementSync;
    close(): void;
  }
}
