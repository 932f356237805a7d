/**
 * The Deno APIs the Deno suite uses, for the project's type check (see workers/adapter/deno/deno.d.ts for why
 * Deno's own lib is not loaded). `deno test` runs these files against Deno's real APIs.
 */
declare namespace Deno {
  interface TestContext {
    step(name: string, fn: (t: TestContext) => void | Promise<void>): Promise<boolean>;
  }
  function test(name: string, fn: (t: TestContext) => void | Promise<void>): void;
  function test(options: { name: string; ignore?: boolean; fn: (t: TestContext) => void | Promise<void> }): void;
  function makeTempDir(options?: { prefix?: string }): Promise<string>;
  function uid(): number | null;
  function mkdir(path: string, options?: { recursive?: boolean }): Promise<void>;
  function remove(path: string, options?: { recursive?: boolean }): Promise<void>;
  function stat(path: string): Promise<unknown>;
  function readTextFile(path: string | URL): Promise<string>;
  function writeTextFile(path: string, data: string): Promise<void>;
  interface Conn {
    readonly readable: ReadableStream<Uint8Array>;
    readonly writable: WritableStream<Uint8Array>;
    read(buffer: Uint8Array): Promise<number | null>;
    write(data: Uint8Array): Promise<number>;
    close(): void;
  }
  interface TcpConn extends Conn {
    setNoDelay(noDelay?: boolean): void;
  }
  interface Listener {
    readonly addr: NetAddr;
    accept(): Promise<Conn>;
    close(): void;
  }
  function connect(options: { hostname: string; port: number }): Promise<TcpConn>;
  function listen(options: { hostname: string; port: number }): Listener;
  interface CommandOutput {
    success: boolean;
    stdout: Uint8Array;
    stderr: Uint8Array;
  }
  interface ChildProcess {
    kill(signal?: string): void;
    readonly status: Promise<{ success: boolean; code: number }>;
  }
  type Stdio = "piped" | "null" | "inherit";
  class Command {
    constructor(command: string, options?: { args?: string[]; cwd?: string; env?: Record<string, string>; stdout?: Stdio; stderr?: Stdio });
    output(): Promise<CommandOutput>;
    spawn(): ChildProcess;
  }
}
declare namespace Deno {
  function execPath(): string;
  interface ChildProcess {
    readonly stdout: ReadableStream<Uint8Array>;
  }
}
