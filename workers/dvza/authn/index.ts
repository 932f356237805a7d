/**
 * Which authenticator a deployment uses (env AUTHENTICATOR). Unknown or unconfigured: none, and the
 * authorize endpoint refuses to start (fail closed rather than authenticate nobody).
 */
import type { Env } from "../env.ts";
import type { Authenticator } from "./authenticator.ts";
import { DigidSimAuthenticator } from "./digid-sim.ts";

export function authenticatorFor(env: Pick<Env, "AUTHENTICATOR" | "DIGID_SIM_URL" | "DIGID_SIM">): Authenticator | undefined {
  if (env.AUTHENTICATOR === "digid-sim" && env.DIGID_SIM_URL) {
    const binding = env.DIGID_SIM;
    return new DigidSimAuthenticator(env.DIGID_SIM_URL, binding ? (r) => binding.fetch(r) : (r) => fetch(r));
  }
  return undefined;
}
