/**
 * Durable Objects on Deno, in process: the `cloudflare:workers` module the object classes import (deno.json
 * maps the specifier here) and a DurableObjectNamespace that runs them.
 *
 * One instance per object id, created on first use, with its own SQLite database under
 * `<dataDir>/<namespace>/<id>.sqlite` (":memory:" for tests). A call through a stub is a plain method call on
 * that instance with arguments and result structured-cloned, as RPC does on the edge: no caller can hold a
 * reference into an object's state. JavaScript's single thread plus synchronous SQLite give each object the
 * edge's single-threaded semantics: a method's synchronous stretch (a `transactionSync`) never interleaves.
 *
 * Jurisdictions are where the machine stands: `jurisdiction()` answers the same namespace.
 *
 * Output gate: a call's result is handed back only once the object's storage has committed what was written up to
 * then (group commit, sql-storage.ts), as workerd holds a Durable Object's outgoing messages until its writes are
 * confirmed: a token is never in an answer before it is on disk.
 */
import { sha256 } from "@noble/hashes/sha2";
import { hex } from "../../shared/crypto.ts";
import { SqlStorage, type SqlOptions } from "./sql-storage.ts";

export interface DenoObjectState {
  readonly id: DenoObjectId;
  readonly storage: SqlStorage;
}

/** The base class of every object (the edge's `DurableObject` from `cloudflare:workers`). */
export class DurableObject<Env = unknown> {
  protected readonly ctx: DenoObjectState;
  protected readonly env: Env;
  constructor(ctx: DenoObjectState, env: Env) {
    this.ctx = ctx;
    this.env = env;
  }
  /** Called when the object's alarm is due (an object that sets one implements it, as on the edge). */
  alarm?(): void | Promise<void>;
}

/** Only objects run on Deno; a WorkerEntrypoint (the local network's mTLS stand-in) has no place here. */
export class WorkerEntrypoint {
  constructor() {
    throw new Error("WorkerEntrypoint is not available on Deno");
  }
}

const encoder = new TextEncoder();

/**
 * A deep copy, as RPC's structured clone makes one: plain objects, arrays and primitives are copied here (the
 * objects' arguments and results are such data, and this costs a fraction of a trip through the native
 * serialiser); anything else (a Date, a typed array, a Map...) goes through structuredClone itself.
 */
export function rpcClone<T>(value: T): T {
  if (value === null || typeof value !== "object") return value;
  if (Array.isArray(value)) return value.map(rpcClone) as T;
  if (Object.getPrototypeOf(value) !== Object.prototype) return structuredClone(value);
  const out: Record<string, unknown> = {};
  for (const key of Object.keys(value)) {
    const v = (value as Record<string, unknown>)[key];
    // As structured clone does: a function cannot be sent.
    if (typeof v === "function") throw new DOMException("A function could not be cloned", "DataCloneError");
    out[key] = rpcClone(v);
  }
  return out as T;
}

export class DenoObjectId {
  constructor(
    readonly name: string | undefined,
    private readonly hexId: string,
  ) {}
  toString(): string {
    return this.hexId;
  }
  equals(other: { toString(): string }): boolean {
    return other.toString() === this.hexId;
  }
}

type ObjectClass = new (ctx: DenoObjectState, env: never) => object;

export interface NamespaceOptions extends SqlOptions {
  /** Directory of the namespace's databases; ":memory:" keeps them in memory (tests). */
  readonly dataDir: string;
}

export class DenoNamespace {
  readonly #instances = new Map<string, { instance: Record<string, unknown>; storage: SqlStorage }>();

  constructor(
    readonly name: string,
    private readonly objectClass: ObjectClass,
    private readonly env: unknown,
    private readonly options: NamespaceOptions,
  ) {
    if (options.dataDir !== ":memory:") {
      Deno.mkdirSync(this.#dir(), { recursive: true });
      // Alarms set before a restart: open those objects so their timers run again.
      for (const entry of Deno.readDirSync(this.#dir())) {
        const m = /^([0-9a-f]{64})\.sqlite$/.exec(entry.name);
        if (m) this.#pendingAlarm(m[1]!);
      }
    }
  }

  #dir(): string {
    return `${this.options.dataDir}/${this.name}`;
  }

  #pendingAlarm(id: string): void {
    const probe = new SqlStorage(`${this.#dir()}/${id}.sqlite`, this.options);
    const at = probe.sql.exec<{ at: number }>("SELECT at FROM _cf_alarm WHERE id = 1").toArray()[0]?.at;
    probe.close();
    if (at !== undefined) this.#open(new DenoObjectId(undefined, id)).storage.schedule(at);
  }

  /** Names seen recently: a stub per request (grants, rate state) would otherwise hash its object's name each time. */
  readonly #ids = new Map<string, DenoObjectId>();

  idFromName(name: string): DenoObjectId {
    let id = this.#ids.get(name);
    if (!id) {
      id = new DenoObjectId(name, hex(sha256(encoder.encode(`${this.name}\n${name}`))));
      if (this.#ids.size >= 10_000) this.#ids.clear();
      this.#ids.set(name, id);
    }
    return id;
  }

  idFromString(id: string): DenoObjectId {
    if (!/^[0-9a-f]{64}$/.test(id)) throw new TypeError("Invalid Durable Object ID");
    return new DenoObjectId(undefined, id);
  }

  newUniqueId(): DenoObjectId {
    return new DenoObjectId(undefined, hex(crypto.getRandomValues(new Uint8Array(32))));
  }

  jurisdiction(_name: string): DenoNamespace {
    return this;
  }

  #open(id: DenoObjectId): { instance: Record<string, unknown>; storage: SqlStorage } {
    const key = id.toString();
    let entry = this.#instances.get(key);
    if (!entry) {
      const storage = new SqlStorage(this.options.dataDir === ":memory:" ? ":memory:" : `${this.#dir()}/${key}.sqlite`, this.options);
      const instance = new this.objectClass({ id, storage }, this.env as never) as Record<string, unknown>;
      storage.onAlarm = typeof instance.alarm === "function" ? () => (instance.alarm as () => Promise<void>).call(instance) : undefined;
      entry = { instance, storage };
      this.#instances.set(key, entry);
    }
    return entry;
  }

  /** A stub: every method is an async call on the object's one instance, arguments and result cloned. */
  get(id: DenoObjectId): Record<string, (...args: unknown[]) => Promise<unknown>> {
    return new Proxy({} as Record<string, (...args: unknown[]) => Promise<unknown>>, {
      get: (_target, prop) => {
        // Not thenable, not iterable: a stub is awaited and spread like an object.
        if (typeof prop === "symbol" || prop === "then") return undefined;
        if (prop === "id") return id;
        return async (...args: unknown[]) => {
          const { instance, storage } = this.#open(id);
          const method = instance[prop];
          if (typeof method !== "function") throw new TypeError(`The RPC receiver does not implement the method "${prop}".`);
          const result = rpcClone(await (method as (...a: unknown[]) => unknown).apply(instance, rpcClone(args)));
          // The output gate (sql-storage.ts): nothing leaves the object before the writes it saw are durable.
          await storage.committed();
          return result;
        };
      },
    });
  }

  /** Closes every open database (tests, shutdown). */
  close(): void {
    for (const { storage } of this.#instances.values()) storage.close();
    this.#instances.clear();
  }
}
