/**
 * The runtime's services as the workers use them (issue 19): small interfaces of web-standard types, so the
 * same code type-checks on the edge (tsc with the Workers types) and on Deno (`deno check`). Each port is the
 * subset of Cloudflare's binding the code calls; Cloudflare's real objects satisfy them structurally (proved
 * in workers/cloudflare.ts, which only tsc reads), the Deno adapter's stand-ins implement them
 * (workers/adapter/deno/).
 */
import type { ExecutionContext } from "hono";

/** A Workers KV namespace as the lists (L-3, L-4) and Registratie's publications use it. */
export interface KvStore {
  get(key: string): Promise<string | null>;
  get(key: string, type: "text"): Promise<string | null>;
  get<T>(key: string, type: "json"): Promise<T | null>;
  getWithMetadata<M>(key: string, type: "text"): Promise<{ value: string | null; metadata: M | null }>;
  put(key: string, value: string, options?: { metadata?: unknown }): Promise<void>;
}

/** A value in a Durable Object's SQLite storage, as the edge hands it out. */
export type SqlValue = ArrayBuffer | string | number | null;

export interface SqlCursor<T> extends Iterable<T> {
  toArray(): T[];
  /** The single row; throws when there is none or more than one. */
  one(): T;
  readonly rowsWritten: number;
}

/** `ctx.storage.sql`: synchronous statements on the object's own database. */
export interface SqlStore {
  exec<T extends Record<string, SqlValue>>(query: string, ...bindings: unknown[]): SqlCursor<T>;
}

/** `ctx.storage`: SQL, all-or-nothing transactions and the object's one alarm. */
export interface ObjectStorage {
  readonly sql: SqlStore;
  transactionSync<T>(fn: () => T): T;
  getAlarm(): Promise<number | null>;
  setAlarm(at: number | Date): Promise<void>;
}

export interface ObjectId {
  toString(): string;
}

type Method = (...args: never[]) => unknown;

/** The handlers the runtime calls itself: no stub offers them. */
type Lifecycle = "alarm" | "webSocketMessage" | "webSocketClose" | "webSocketError";

/** The RPC methods of T: its public methods (a `never` brand member is none). */
type RpcKey<T, K extends keyof T> = K extends string ? (K extends Lifecycle ? never : [T[K]] extends [never] ? never : T[K] extends Method ? K : never) : never;

/** A stub of object class T: each public method, called over RPC, answers a promise of a copy of its result. */
export type ObjectStub<T> = {
  readonly [K in keyof T as RpcKey<T, K>]: T[K] extends (...args: infer A) => infer R ? (...args: A) => Promise<Awaited<R>> : never;
};

/** A Durable Object namespace binding of class T. */
export interface ObjectNamespace<T> {
  idFromName(name: string): ObjectId;
  get(id: ObjectId): ObjectStub<T>;
  /** the namespace restricted to a jurisdiction (shared/durable/placement.ts). */
  jurisdiction(name: "eu"): ObjectNamespace<T>;
}

/** A service binding or an `mtls_certificates` binding: a fetch that leaves through it. */
export interface ServiceBinding {
  fetch(request: Request): Promise<Response>;
}

/** A cron trigger's event (the edge's ScheduledController, Deno.cron in workers/adapter/deno/serve.ts). */
export interface CronEvent {
  readonly cron: string;
  readonly scheduledTime: number;
}

/** A worker's entry point: the request handler and, for the roles with a cron trigger, its scheduled work. */
export interface WorkerHandler<Env> {
  fetch(request: Request, env: Env, ctx: ExecutionContext): Response | Promise<Response>;
  scheduled?(event: CronEvent, env: Env, ctx: ExecutionContext): void | Promise<void>;
}
