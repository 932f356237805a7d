/**
 * The PGO's own accounts (SPEC X-9): where an account's object is, how a session's Person is found again on
 * every request, and how an account ends (P-2).
 *
 * An account id is 256 random bits (43 base64url characters): opaque, never derived from a name or a
 * provider's subject. Test Persons have short names and exist only where the configuration offers them.
 */
import type { PgoAccounts } from "../../durable-objects/pgo-accounts.ts";
import { randomHandle, sha256Hex } from "../shared/crypto.ts";
import { placed } from "../shared/durable/placement.ts";
import type { Env } from "./env.ts";
import type { LoginConfig } from "./login/config.ts";
import { personById, type PgoPerson } from "./persons.ts";
import type { ObjectStub } from "../shared/ports.ts";

type AccountsEnv = Pick<Env, "ACCOUNTS" | "DO_JURISDICTION" | "DEPLOYMENT_ENV">;

const ACCOUNT_ID = /^[A-Za-z0-9_-]{43}$/;

export const isAccountId = (id: string): boolean => ACCOUNT_ID.test(id);
export const newAccountId = (): string => randomHandle();

export function accountOf(env: AccountsEnv, accountId: string): ObjectStub<PgoAccounts> {
  const ns = placed(env, env.ACCOUNTS);
  return ns.get(ns.idFromName(accountId));
}

/** The link object of an OIDC subject: named by a hash of issuer and subject, never by the subject itself. */
export async function subjectOf(env: AccountsEnv, issuer: string, subject: string): Promise<{ key: string; stub: ObjectStub<PgoAccounts> }> {
  const key = `subject:${await sha256Hex(`${issuer}\n${subject}`)}`;
  const ns = placed(env, env.ACCOUNTS);
  return { key, stub: ns.get(ns.idFromName(key)) };
}

/** The Person a session names, if they may still be logged in: their account exists, or test Persons are offered. */
export async function personOf(env: AccountsEnv, config: LoginConfig, personId: string): Promise<PgoPerson | undefined> {
  if (isAccountId(personId)) {
    const profile = await accountOf(env, personId).profile();
    return profile ? { id: personId, naam: profile.naam, kind: "account" } : undefined;
  }
  // X-9: never a test Person where the configuration does not offer them, whatever a session says.
  return config.methods.has("test-persons") ? personById(personId) : undefined;
}

/** P-2: the account's OIDC subject no longer leads to it, then the account and its passkeys go. */
export async function endAccount(env: AccountsEnv, accountId: string): Promise<void> {
  const account = accountOf(env, accountId);
  const oidcSubject = (await account.profile())?.oidcSubject;
  if (oidcSubject) {
    const ns = placed(env, env.ACCOUNTS);
    await ns.get(ns.idFromName(oidcSubject)).releaseSubject(accountId);
  }
  await account.erase();
}
