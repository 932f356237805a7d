/**
 * Which logins a PGO deployment offers (SPEC X-9), decided from its configuration alone (pure):
 *
 *   PGO_LOGIN = "passkey,oidc"   any of `passkey`, `oidc`, `test-persons`, comma-separated
 *
 * Unset, a development deployment offers the fixed test Persons (the local network, tests); staging and
 * production must say what they offer, and never offer the test Persons: that is a configuration error,
 * refused at start-up and on every request, with no fallback to another login.
 *
 * Passkeys: the relying party ID is the DVP's hostname; a passkey is accepted from https://<hostname> and from
 * the origins in PASSKEY_ORIGINS, each of which must be that host or a subdomain of it (WebAuthn §5.1.4.1),
 * over https (in development also http on a `.localhost` name, which is loopback by definition, RFC 6761).
 */
import type { Configured } from "../../shared/configured.ts";

export type LoginMethod = "test-persons" | "passkey" | "oidc";

const METHODS: ReadonlySet<string> = new Set<LoginMethod>(["test-persons", "passkey", "oidc"]);
const PRODUCTION_LIKE: ReadonlySet<string> = new Set(["staging", "production"]);

export const isProductionLike = (deploymentEnv: string | undefined): boolean => PRODUCTION_LIKE.has(deploymentEnv ?? "");

export function loginMethods(pgoLogin: string | undefined, deploymentEnv: string | undefined): Configured<ReadonlySet<LoginMethod>> {
  const production = isProductionLike(deploymentEnv);
  if (pgoLogin === undefined || pgoLogin.trim() === "") {
    return production ? { ok: false, reason: `PGO_LOGIN is not set; ${deploymentEnv} must name its logins (passkey, oidc)` } : { ok: true, value: new Set<LoginMethod>(["test-persons"]) };
  }
  const named = pgoLogin.split(",").map((m) => m.trim()).filter((m) => m !== "");
  const unknown = named.filter((m) => !METHODS.has(m));
  if (unknown.length > 0) return { ok: false, reason: `PGO_LOGIN names '${unknown.join("', '")}'; use passkey, oidc or test-persons` };
  const methods = new Set(named as LoginMethod[]);
  if (production && methods.has("test-persons")) return { ok: false, reason: `PGO_LOGIN names test-persons: the fixed test Persons are refused in ${deploymentEnv} (X-9)` };
  return { ok: true, value: methods };
}

export interface PasskeyParty {
  /** The relying party ID: the DVP's hostname. */
  readonly rpId: string;
  /** Exact origins (scheme, host, port) a passkey is accepted from. */
  readonly origins: readonly string[];
}

const isLocalhost = (host: string): boolean => host === "localhost" || host.endsWith(".localhost");

export function passkeyParty(dvpHostname: string | undefined, extraOrigins: string | undefined, deploymentEnv: string | undefined): Configured<PasskeyParty> {
  const rpId = dvpHostname ?? "";
  let parsed: URL | undefined;
  try {
    parsed = new URL(`https://${rpId}`);
  } catch {
    parsed = undefined;
  }
  if (!parsed || rpId === "" || parsed.hostname !== rpId || /^[\d.]+$|^\[/.test(rpId)) return { ok: false, reason: "DVP_HOSTNAME is not a host name (the passkeys' relying party ID)" };
  const origins = [`https://${rpId}`];
  for (const o of (extraOrigins ?? "").split(",").map((s) => s.trim()).filter((s) => s !== "")) {
    let u: URL;
    try {
      u = new URL(o);
    } catch {
      return { ok: false, reason: `PASSKEY_ORIGINS: '${o}' is not an origin` };
    }
    if (u.origin !== o) return { ok: false, reason: `PASSKEY_ORIGINS: '${o}' is not an origin (scheme://host[:port], nothing after)` };
    if (u.hostname !== rpId && !u.hostname.endsWith(`.${rpId}`)) return { ok: false, reason: `PASSKEY_ORIGINS: '${o}' is not ${rpId} or a subdomain of it` };
    const plainAllowed = !isProductionLike(deploymentEnv) && isLocalhost(u.hostname);
    if (u.protocol !== "https:" && !(u.protocol === "http:" && plainAllowed)) return { ok: false, reason: `PASSKEY_ORIGINS: '${o}' is not https` };
    if (!origins.includes(o)) origins.push(o);
  }
  return { ok: true, value: { rpId, origins } };
}
