/**
 * The part of `node:sqlite` the Deno adapter uses (Deno implements the module; the project's @types/node is
 * Node 20's, which predates it). deno.json's compilerOptions.types loads this for `deno check`.
 */
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
