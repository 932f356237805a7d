/** The Person's NEN 7513 log (SPEC LOG-1): one AuditLog object per Person, EU. */
import type { AuditInput, AuditLog } from "../../durable-objects/audit-log.ts";
import { placed } from "../shared/durable/placement.ts";
import type { Env } from "./env.ts";
import type { ObjectStub } from "../shared/ports.ts";

type AuditEnv = Pick<Env, "AUDIT" | "DO_JURISDICTION" | "DEPLOYMENT_ENV">;

export function auditOf(env: AuditEnv, personId: string): ObjectStub<AuditLog> {
  const ns = placed(env, env.AUDIT);
  return ns.get(ns.idFromName(personId));
}

export async function audit(env: AuditEnv, entry: AuditInput): Promise<void> {
  await auditOf(env, entry.person).append(entry);
}
