/**
 * Where Durable Objects live (SPEC X-5): every object that holds personal data, grants, sessions, rate
 * state or audit records is created in the EU jurisdiction. Every namespace a worker uses goes through
 * `placed()`; tests prove it by handing the workers namespaces that refuse to be used any other way.
 *
 * DO_JURISDICTION: `eu` (the default, and the only choice in staging and production) or `none` (local
 * development and tests: workerd does not implement jurisdictions and throws when asked).
 *
 * A deployment that switches an existing namespace to `eu` starts new objects: grants and sessions
 * (minutes) simply expire; the DVP's PersonStore and AuditLog must be migrated (README, "Data residency").
 */
import { countingNamespace, isCounting } from "./hops.ts";
import type { ObjectNamespace } from "../ports.ts";

export type Jurisdiction = "eu" | "none";

const PRODUCTION_LIKE: ReadonlySet<string> = new Set(["staging", "production"]);

export interface PlacementEnv {
  readonly DO_JURISDICTION?: string;
  readonly DEPLOYMENT_ENV?: string;
}

export function jurisdictionOf(env: PlacementEnv): Jurisdiction {
  if (PRODUCTION_LIKE.has(env.DEPLOYMENT_ENV ?? "")) return "eu";
  return env.DO_JURISDICTION === "none" ? "none" : "eu";
}

const placedCache = new WeakMap<object, { jurisdiction: Jurisdiction; counting: boolean; namespace: unknown }>();

/** The namespace restricted to the deployment's jurisdiction; computed once per isolate and binding. */
export function placed<T>(env: PlacementEnv, namespace: ObjectNamespace<T>): ObjectNamespace<T> {
  const jurisdiction = jurisdictionOf(env);
  const counting = isCounting();
  const hit = placedCache.get(namespace);
  if (hit && hit.jurisdiction === jurisdiction && hit.counting === counting) return hit.namespace as ObjectNamespace<T>;
  const inJurisdiction = jurisdiction === "eu" ? namespace.jurisdiction("eu") : namespace;
  const inPlace = counting ? countingNamespace(inJurisdiction) : inJurisdiction;
  placedCache.set(namespace, { jurisdiction, counting, namespace: inPlace });
  return inPlace;
}
