/**
 * What the runtime hands an object's constructor: Cloudflare's DurableObjectState on the edge, the Deno
 * adapter's state on Deno (deno.json maps `cloudflare:workers` to workers/adapter/deno/durable-object.ts).
 * An object keeps only its storage, typed by the port (workers/shared/ports.ts): assigning it there checks
 * that either runtime's storage offers what the objects use.
 */
import type { DurableObject } from "cloudflare:workers";

export type RuntimeState = ConstructorParameters<typeof DurableObject>[0];
