/**
 * Log output on Deno: the workers' structured log lines (workers/shared/log.ts writes one JSON line per event with
 * console.log / console.warn / console.error) written in batches, one write per stream per event-loop turn instead
 * of one per line. Deno's console writes synchronously, so on the token path a line per request was a system call
 * per request. Lines keep their order within each stream; what is buffered is written within a turn, and at exit.
 * Anything but a single string goes to the console unchanged.
 */
const encoder = new TextEncoder();

interface Stream {
  writeSync(p: Uint8Array): number;
}

export function batchConsole(): void {
  const pending: { out: string[]; err: string[] } = { out: [], err: [] };
  let scheduled = false;
  const write = (stream: Stream, lines: string[]) => {
    if (lines.length === 0) return;
    const bytes = encoder.encode(lines.join("\n") + "\n");
    lines.length = 0;
    for (let off = 0; off < bytes.length; ) off += stream.writeSync(bytes.subarray(off));
  };
  const flush = () => {
    scheduled = false;
    write(Deno.stdout, pending.out);
    write(Deno.stderr, pending.err);
  };
  const queue = (lines: string[], original: (...a: unknown[]) => void) => (...args: unknown[]) => {
    if (args.length !== 1 || typeof args[0] !== "string") {
      flush();
      return original(...args);
    }
    lines.push(args[0]);
    if (!scheduled) {
      scheduled = true;
      setTimeout(flush, 0);
    }
  };
  const c = console as unknown as Record<"log" | "info" | "warn" | "error", (...a: unknown[]) => void>;
  c.log = queue(pending.out, c.log.bind(console));
  c.info = queue(pending.out, c.info.bind(console));
  c.warn = queue(pending.err, c.warn.bind(console));
  c.error = queue(pending.err, c.error.bind(console));
  (globalThis as unknown as { addEventListener(type: "unload", listener: () => void): void }).addEventListener("unload", flush);
}
