/** A KV namespace that counts the reads it serves, by method and key, to show what a cache saves. */
export function countingKv(kv: KVNamespace): { kv: KVNamespace; reads: string[] } {
  const reads: string[] = [];
  const wrapped = new Proxy(kv, {
    get(target, prop) {
      const value = Reflect.get(target, prop) as unknown;
      if (typeof value !== "function") return value;
      return (...args: unknown[]) => {
        if (prop === "get" || prop === "getWithMetadata") reads.push(`${String(prop)} ${String(args[0])}`);
        return (value as (...a: unknown[]) => unknown).apply(target, args);
      };
    },
  });
  return { kv: wrapped, reads };
}
