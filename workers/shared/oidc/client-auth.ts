/** How a relying party authenticates at the provider's token endpoint: private_key_jwt or client_secret_basic. */
import { SignJWT } from "jose";
import { randomHandle } from "../crypto.ts";
import type { OidcClientSettings } from "./settings.ts";

export async function clientAuthentication(s: OidcClientSettings, tokenEndpoint: string): Promise<{ headers: Record<string, string>; params: Record<string, string> }> {
  if (s.auth.method === "client_secret_basic") {
    // RFC 6749 §2.3.1: both parts form-urlencoded before the Basic encoding.
    const enc = (v: string) => encodeURIComponent(v).replace(/%20/g, "+");
    return { headers: { authorization: `Basic ${btoa(`${enc(s.clientId)}:${enc(s.auth.secret)}`)}` }, params: {} };
  }
  // RFC 7523 §3 / OIDC Core §9: a short-lived, single-use JWT signed with the client's key.
  const assertion = await new SignJWT({})
    .setProtectedHeader({ alg: s.auth.alg, ...(s.auth.kid ? { kid: s.auth.kid } : {}), typ: "JWT" })
    .setIssuer(s.clientId)
    .setSubject(s.clientId)
    .setAudience(tokenEndpoint)
    .setJti(randomHandle())
    .setIssuedAt()
    .setExpirationTime("60s")
    .sign(s.auth.key);
  return { headers: {}, params: { client_id: s.clientId, client_assertion_type: "urn:ietf:params:oauth:client-assertion-type:jwt-bearer", client_assertion: assertion } };
}
