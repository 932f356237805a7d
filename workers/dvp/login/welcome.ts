/** The end of every login (SPEC X-9, LOG-1): a session bound to the Person, the log entry, the ceremony cookie gone. */
import { audit } from "../audit.ts";
import type { Env } from "../env.ts";
import { login } from "../session.ts";
import { clearBrowserBinding } from "./ceremony.ts";

/** The Set-Cookie values of the response that completes a login. */
export async function welcome(env: Env, personId: string): Promise<string[]> {
  const cookie = await login(env, personId);
  await audit(env, { person: personId, action: "login", zorgaanbieder: null, gegevensdienstId: null, requestIds: [], outcome: "ok" });
  return [cookie, clearBrowserBinding()];
}
