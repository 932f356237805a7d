// An OpenID Connect broker for tests and `npm run simulate` (SPEC X-3): node-oidc-provider 9, independent of
// the product, on a loopback HTTP server. The local network routes `oidc-broker.medmij.localhost` to
// `handle`, which forwards as a TLS-terminating proxy would (X-Forwarded-Proto/Host), so the broker's
// issuer is https://oidc-broker.medmij.localhost. Its login step is a small form (choose a test Person);
// consent is granted without a question (the MedMij consent follows at the AS).
//
// `behaviour` is mutable so a test can make the broker misbehave in one way for the next login:
// a lower acr, a BSN failing the eleven-test, another audience or issuer in the ID token, a wrong nonce.
//
// With `people`, the same provider is a PGO's own identity provider (SPEC X-9, test/peers/pgo-idp.mjs):
// its accounts are those people (an opaque `sub` and a `name`), and no BSN is ever in its tokens.
import { generateKeyPairSync, randomBytes, randomUUID } from "node:crypto";
import http from "node:http";
import { decodeJwt, decodeProtectedHeader, importJWK, SignJWT } from "jose";
import Provider, { errors } from "oidc-provider";

export const BROKER_HOST = "oidc-broker.medmij.localhost";

const LEVELS = {
  Basis: "urn:oasis:names:tc:SAML:2.0:ac:classes:PasswordProtectedTransport",
  Midden: "urn:oasis:names:tc:SAML:2.0:ac:classes:MobileTwoFactorContract",
  Substantieel: "urn:oasis:names:tc:SAML:2.0:ac:classes:Smartcard",
  Hoog: "urn:oasis:names:tc:SAML:2.0:ac:classes:SmartcardPKI",
};

export const DEFAULT_BROKER_BEHAVIOUR = Object.freeze({
  level: "Substantieel",
  bsn: null,
  delayMs: 0,
  tokenStatus: null,
  /**
   * A broker gone wrong, applied to the ID token in its token response: "signature" (one byte of the
   * signature flipped), "alg-none" (unsigned), or claims overridden and re-signed with the broker's own
   * key (so only the claim is wrong): { iss }, { aud }, { nonce }, { exp, iat }.
   */
  idToken: null,
  /** Another value for RFC 9207 `iss` in the authorization response. */
  authorizationIss: null,
});

function rsaJwkPair(kid, use) {
  const { publicKey, privateKey } = generateKeyPairSync("rsa", { modulusLength: 2048 });
  return {
    privatePem: privateKey.export({ type: "pkcs8", format: "pem" }),
    privateJwk: { ...privateKey.export({ format: "jwk" }), kid, use },
    publicJwk: { ...publicKey.export({ format: "jwk" }), kid, use },
  };
}

const DIGID_PEOPLE = [
  { sub: "999990019", label: "J. Jansen" },
  { sub: "999990020", label: "P. de Vries" },
  { sub: "999990032", label: "A. Bakker" },
];

/**
 * @param {{ redirectUris: string[], clientAuth?: "private_key_jwt" | "client_secret_basic", encryptIdToken?: boolean,
 *           host?: string, clientId?: string, title?: string,
 *           people?: { sub: string, label: string, claims: Record<string, string> }[] }} options
 */
export async function createOidcBroker({ redirectUris, clientAuth = "private_key_jwt", encryptIdToken = false, host = BROKER_HOST, clientId = "medmij-dvza", title = "Inloggen via de inlogmakelaar (test, OpenID Connect)", people }) {
  const issuer = `https://${host}`;
  // A DigiD broker answers with a BSN; a PGO's own provider with its people's own claims (X-8: never a BSN).
  const claimNames = people ? [...new Set(people.flatMap((p) => Object.keys(p.claims)))] : ["bsn"];
  const field = people ? { name: "account", label: "Account" } : { name: "bsn", label: "Testpersoon" };
  const choices = people ?? DIGID_PEOPLE;
  const clientSecret = randomBytes(32).toString("base64url");
  const clientKey = rsaJwkPair("dvza-client-1", "sig");
  const clientEncKey = rsaJwkPair("dvza-enc-1", "enc");
  let signingKeys = [rsaJwkPair(`broker-${randomUUID()}`, "sig")];

  const broker = {
    host,
    issuer,
    clientId,
    behaviour: { ...DEFAULT_BROKER_BEHAVIOUR },
    seen: { authorizationRequests: [], tokenRequests: [] },
    reset() {
      this.behaviour = { ...DEFAULT_BROKER_BEHAVIOUR };
    },
    /** The relying party's client settings (workers/shared/oidc/settings.ts), for whichever worker is the client. */
    clientBindings: {
      OIDC_ISSUER: issuer,
      OIDC_CLIENT_ID: clientId,
      OIDC_CLIENT_AUTH: clientAuth,
      ...(clientAuth === "private_key_jwt" ? { OIDC_CLIENT_PRIVATE_KEY: clientKey.privatePem, OIDC_CLIENT_KEY_ID: clientKey.publicJwk.kid, OIDC_CLIENT_KEY_ALG: "RS256" } : { OIDC_CLIENT_SECRET: clientSecret }),
      ...(encryptIdToken ? { OIDC_ID_TOKEN_DECRYPTION_KEY: clientEncKey.privatePem, OIDC_ID_TOKEN_ENC_ALG: "RSA-OAEP-256" } : {}),
      OIDC_JWKS_COOLDOWN_MS: "0",
      OIDC_TIMEOUT_MS: "3000",
    },
    /** Settings for the DVZA worker (AUTHENTICATOR=oidc). */
    get dvzaBindings() {
      return { AUTHENTICATOR: "oidc", ...this.clientBindings, OIDC_BSN_CLAIM: "bsn" };
    },
    /** Rotate the signing key: the next ID token is signed with a key the AS has not seen yet. */
    async rotateKeys() {
      signingKeys = [rsaJwkPair(`broker-${randomUUID()}`, "sig"), ...signingKeys];
      await restart();
    },
    async handle(request) {
      const url = new URL(request.url);
      if (url.pathname === "/auth" && url.search) broker.seen.authorizationRequests.push(Object.fromEntries(url.searchParams));
      if (broker.behaviour.delayMs) await new Promise((r) => setTimeout(r, broker.behaviour.delayMs));
      const headers = new Headers(request.headers);
      headers.set("x-forwarded-proto", "https");
      // Node's fetch would decode a compressed answer but keep its Content-Encoding: ask for none.
      headers.set("accept-encoding", "identity");
      headers.set("x-forwarded-host", url.host);
      headers.delete("host");
      const init = { method: request.method, headers, redirect: "manual" };
      if (request.method !== "GET" && request.method !== "HEAD") init.body = await request.arrayBuffer();
      const response = await fetch(`http://127.0.0.1:${port}${url.pathname}${url.search}`, init);
      return misbehave(url, response);
    },
    async dispose() {
      await new Promise((r) => server.close(r));
    },
  };

  /** The broker's answers as a broken or malicious broker would give them (behaviour.idToken, authorizationIss). */
  async function misbehave(url, response) {
    const b = broker.behaviour;
    const location = response.headers.get("location");
    if (b.authorizationIss && location && redirectUris.some((u) => location.startsWith(u))) {
      const to = new URL(location);
      to.searchParams.set("iss", b.authorizationIss);
      const headers = new Headers(response.headers);
      headers.set("location", to.href);
      return new Response(null, { status: response.status, headers });
    }
    if (!b.idToken || url.pathname !== "/token" || response.status !== 200) return response;
    const body = await response.json();
    const [h, p, sig] = body.id_token.split(".");
    if (b.idToken === "signature") body.id_token = `${h}.${p}.${sig.slice(0, 10)}${sig[10] === "A" ? "B" : "A"}${sig.slice(11)}`;
    else if (b.idToken === "alg-none") body.id_token = `${Buffer.from(JSON.stringify({ alg: "none", typ: "JWT" })).toString("base64url")}.${p}.`;
    else {
      const key = signingKeys[0];
      const claims = { ...decodeJwt(body.id_token), ...b.idToken };
      body.id_token = await new SignJWT(claims).setProtectedHeader({ ...decodeProtectedHeader(body.id_token) }).sign(await importJWK(key.privateJwk, "RS256"));
    }
    const headers = new Headers(response.headers);
    headers.delete("content-length");
    return new Response(JSON.stringify(body), { status: 200, headers });
  }

  let provider;
  function makeProvider() {
    const p = new Provider(issuer, {
      clients: [
        {
          client_id: clientId,
          ...(clientAuth === "private_key_jwt" ? { token_endpoint_auth_method: "private_key_jwt" } : { client_secret: clientSecret, token_endpoint_auth_method: "client_secret_basic" }),
          jwks: { keys: [clientKey.publicJwk, clientEncKey.publicJwk] },
          redirect_uris: redirectUris,
          response_types: ["code"],
          grant_types: ["authorization_code"],
          id_token_signed_response_alg: "RS256",
          ...(encryptIdToken ? { id_token_encrypted_response_alg: "RSA-OAEP-256", id_token_encrypted_response_enc: "A256GCM" } : {}),
        },
      ],
      jwks: { keys: signingKeys.map((k) => k.privateJwk) },
      acrValues: Object.values(LEVELS),
      claims: { openid: ["sub", ...claimNames] },
      conformIdTokenClaims: false,
      features: { devInteractions: { enabled: false }, encryption: { enabled: encryptIdToken } },
      pkce: { required: () => true },
      cookies: { keys: [randomBytes(32).toString("hex")] },
      findAccount: (_ctx, sub) => ({
        accountId: sub,
        claims: () => (people ? { ...people.find((p) => p.sub === sub)?.claims, sub } : { sub, bsn: broker.behaviour.bsn ?? `s00000000:${sub}` }),
      }),
      interactions: { url: (_ctx, interaction) => `/interaction/${interaction.uid}` },
      ttl: { AuthorizationCode: 60, AccessToken: 300, IdToken: 300, Interaction: 900, Session: 3600, Grant: 3600 },
      renderError: (ctx, out) => {
        ctx.type = "text/plain";
        ctx.body = `broker error: ${out.error}\n`;
      },
    });
    p.proxy = true;
    p.on("grant.success", (ctx) => broker.seen.tokenRequests.push({ clientAuth: ctx.oidc.client?.tokenEndpointAuthMethod }));
    return p;
  }

  async function interaction(req, res) {
    const url = new URL(req.url, issuer);
    const details = await provider.interactionDetails(req, res);
    if (details.prompt.name === "consent") {
      const grant = new provider.Grant({ accountId: details.session.accountId, clientId });
      grant.addOIDCScope("openid");
      grant.addOIDCClaims(claimNames);
      await provider.interactionFinished(req, res, { consent: { grantId: await grant.save() } }, { mergeWithLastSubmission: true });
      return;
    }
    if (req.method === "POST" && url.pathname.endsWith("/login")) {
      const body = await new Promise((resolve) => {
        let s = "";
        req.on("data", (c) => (s += c));
        req.on("end", () => resolve(new URLSearchParams(s)));
      });
      if (body.get("action") === "cancel") {
        await provider.interactionFinished(req, res, { error: "access_denied", error_description: "the Person cancelled" }, { mergeWithLastSubmission: false });
        return;
      }
      await provider.interactionFinished(req, res, { login: { accountId: body.get(field.name), acr: LEVELS[broker.behaviour.level] ?? broker.behaviour.level } }, { mergeWithLastSubmission: false });
      return;
    }
    res.writeHead(200, { "content-type": "text/html; charset=utf-8", "cache-control": "no-store" });
    res.end(`<!doctype html><html lang="nl"><head><meta charset="utf-8"><title>${title}</title></head><body>
<h1>${title}</h1>
<form method="post" action="/interaction/${details.uid}/login">
<label for="${field.name}">${field.label}</label>
<select id="${field.name}" name="${field.name}">${choices.map((p) => `<option value="${p.sub}">${p.label}</option>`).join("")}</select>
<button type="submit" name="action" value="login">Inloggen</button>
<button type="submit" name="action" value="cancel">Annuleren</button>
</form></body></html>`);
  }

  const server = http.createServer(async (req, res) => {
    try {
      if (req.url.startsWith("/interaction/")) return await interaction(req, res);
      if (req.url.startsWith("/token") && broker.behaviour.tokenStatus) {
        res.writeHead(broker.behaviour.tokenStatus, { "content-type": "application/json" });
        return res.end(JSON.stringify({ error: "server_error" }));
      }
      return provider.callback()(req, res);
    } catch (e) {
      if (!res.headersSent) res.writeHead(e instanceof errors.SessionNotFound ? 400 : 500, { "content-type": "text/plain" });
      res.end(`broker: ${e.message}\n`);
    }
  });
  async function restart() {
    provider = makeProvider();
  }
  await restart();
  const port = await new Promise((resolve) => server.listen(0, "127.0.0.1", () => resolve(server.address().port)));
  return broker;
}
