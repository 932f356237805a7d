/** The Person's PersonStore (one Durable Object per Person, placed ). */
import type { PersonStore } from "../../durable-objects/person-store.ts";
import { placed } from "../shared/durable/placement.ts";
import type { Env } from "./env.ts";
import type { ObjectStub } from "../shared/ports.ts";

export function personStore(env: Env, personId: string): ObjectStub<PersonStore> {
  const ns = placed(env, env.PERSONS);
  return ns.get(ns.idFromName(personId));
}
