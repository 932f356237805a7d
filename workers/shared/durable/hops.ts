/**
 * Durable Object round trips, counted per isolate for the benchmarks' doHopsPerRequest (issue: on the real
 * edge every round trip is a network hop to wherever the object lives). Counting is off unless a
 * deployment turns it on (METRICS_TOKEN): then each stub's method calls are counted.
 */
import type { ObjectId } from "../ports.ts";

export interface HopCounters {
  requests: number;
  doCalls: number;
  /** Calls per RPC method (`redeem`, `lease`, ...): docs/capacity.md derives the load per object class from these. */
  byMethod: Record<string, number>;
}

export const counters: HopCounters = { requests: 0, doCalls: 0, byMethod: {} };

let counting = false;

export function setCounting(on: boolean): void {
  counting = on;
}

export function isCounting(): boolean {
  return counting;
}

function countingStub<S extends object>(stub: S): S {
  return new Proxy(stub, {
    get(target, prop) {
      const value = Reflect.get(target, prop) as unknown;
      if (typeof value !== "function" || prop === "fetch" || typeof prop === "symbol") return value;
      // Reflect.apply, not value.apply: on an RPC stub's method, `.apply` is itself a remote property.
      return (...args: unknown[]) => {
        counters.doCalls++;
        counters.byMethod[prop] = (counters.byMethod[prop] ?? 0) + 1;
        return Reflect.apply(value as (...a: unknown[]) => unknown, target, args);
      };
    },
  });
}

/** A namespace whose stubs count their calls (only built while counting is on). */
export function countingNamespace<N extends { get(id: ObjectId, options?: unknown): object }>(namespace: N): N {
  return new Proxy(namespace, {
    get(target, prop) {
      const value = Reflect.get(target, prop) as unknown;
      if (typeof value !== "function") return value;
      if (prop !== "get") return (value as (...a: unknown[]) => unknown).bind(target);
      return (...args: [ObjectId, unknown?]) => countingStub(Reflect.apply(value as (...a: unknown[]) => object, target, args));
    },
  });
}
