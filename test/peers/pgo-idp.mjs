// A PGO's own OpenID Connect provider for tests and `npm run simulate` (SPEC X-9): node-oidc-provider 9 through
// test/peers/oidc-broker.mjs, on its own host, with its own people (an opaque subject and a name, no BSN).
// The DVP that uses it logs Persons in with it (PGO_LOGIN ... oidc) beside passkeys.
import { createOidcBroker } from "./oidc-broker.mjs";

export const PGO_IDP_HOST = "login.gezondheidskluis.localhost";

export const PGO_IDP_PEOPLE = [
  { sub: "gk-7f3a91c2", label: "Sanne Visser", claims: { name: "Sanne Visser" } },
  { sub: "gk-0b44de17", label: "Karim El Amrani", claims: { name: "Karim El Amrani" } },
];

/** @param {{ dvpHostnames: string[] }} options */
export async function createPgoIdp({ dvpHostnames }) {
  const idp = await createOidcBroker({
    host: PGO_IDP_HOST,
    clientId: "gezondheidskluis-pgo",
    redirectUris: dvpHostnames.map((h) => `https://${h}/login/oidc/return`),
    title: "Gezondheidskluis ID (test, OpenID Connect)",
    people: PGO_IDP_PEOPLE,
  });
  return {
    idp,
    nodeServices: { [idp.host]: (r) => idp.handle(r) },
    /** The DVP's settings: its login methods with this provider among them. */
    dvpBindings: { PGO_LOGIN: "test-persons,passkey,oidc", OIDC_PROVIDER_NAME: "Gezondheidskluis ID", ...idp.clientBindings },
    dispose: () => idp.dispose(),
  };
}
