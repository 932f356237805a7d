// The authorization side of Nictiz's test system for the PHR-side qualification (issue 17): where a PGO under
// test gets a token for one of the qualification patients, as it would at a provider. It plays MedMij's
// authorization code flow just far enough for the PGO's own side to be real (SPEC AS-3..AS-17: response_type
// code, client_id the PGO's hostname, its exact redirect_uri, state, PKCE S256, one scope, RFC 9207 `iss`, a
// single-use code bound to all of them, the token request over mutual TLS from that client), and then hands out
// the token the FHIR double (nictiz-sim.mjs) knows for the chosen patient. The tester picks the patient on a page,
// as a tester logs in as a test patient in Nictiz's environment. Nothing here is the product's code.
import { createHash, randomBytes } from "node:crypto";

/**
 * @param {{ host: string, tokenFor: Record<string, string>, tokenTtlSeconds?: number }} options
 *   tokenFor: patient resource id -> "Bearer <token>" (the double's)
 */
export function createNictizAs({ host, tokenFor, tokenTtlSeconds = 900 }) {
  const issuer = `https://${host}`;
  /** pending authorizations and issued codes */
  const pending = new Map();
  const codes = new Map();
  const html = (body, status = 200) => new Response(`<!doctype html><html lang="nl"><head><meta charset="utf-8"><title>Nictiz testomgeving</title></head><body>${body}</body></html>`, { status, headers: { "content-type": "text/html; charset=utf-8", "cache-control": "no-store" } });
  const esc = (s) => String(s).replace(/[&<>"']/g, (c) => `&#${c.charCodeAt(0)};`);
  const json = (body, status = 200) => new Response(JSON.stringify(body), { status, headers: { "content-type": "application/json", "cache-control": "no-store" } });

  return {
    host,
    issuer,
    authorizationEndpoint: `${issuer}/oauth/authorize`,
    tokenEndpoint: `${issuer}/oauth/token`,
    /** @param {Request} request */
    async handle(request) {
      const url = new URL(request.url);
      if (url.pathname === "/oauth/authorize" && request.method === "GET") {
        const q = url.searchParams;
        const one = (n) => (q.getAll(n).length === 1 ? q.get(n) : null);
        const [responseType, clientId, redirectUri, scope, state, challenge, method] = ["response_type", "client_id", "redirect_uri", "scope", "state", "code_challenge", "code_challenge_method"].map(one);
        if (responseType !== "code" || !clientId || redirectUri !== `https://${clientId}/oauth/callback` || !scope || /\s/.test(scope) || !state || !challenge || method !== "S256") return html("<p>Ongeldig autorisatieverzoek.</p>", 400);
        const id = randomBytes(16).toString("base64url");
        pending.set(id, { clientId, redirectUri, scope, state, challenge });
        const options = Object.keys(tokenFor).map((p) => `<option value="${esc(p)}">${esc(p)}</option>`).join("");
        return html(`<form method="post" action="/oauth/authorize"><input type="hidden" name="request" value="${id}"><label for="patient">Testpatiënt</label><select id="patient" name="patient">${options}</select><button type="submit">Toestemming geven</button></form>`);
      }
      if (url.pathname === "/oauth/authorize" && request.method === "POST") {
        const form = new URLSearchParams(await request.text());
        const p = pending.get(form.get("request") ?? "");
        pending.delete(form.get("request") ?? "");
        const patient = form.get("patient") ?? "";
        if (!p || !Object.hasOwn(tokenFor, patient)) return html("<p>Onbekend verzoek of onbekende testpatiënt.</p>", 400);
        const code = randomBytes(32).toString("base64url");
        codes.set(code, { ...p, patient, expires: Date.now() + 60_000 });
        const to = new URL(p.redirectUri);
        to.searchParams.set("code", code);
        to.searchParams.set("state", p.state);
        to.searchParams.set("iss", issuer);
        return new Response(null, { status: 302, headers: { location: to.href } });
      }
      if (url.pathname === "/oauth/token" && request.method === "POST") {
        const form = new URLSearchParams(await request.text());
        // The PGO's client certificate, as the local network's mutual TLS reports it (request.cf.tlsClientAuth).
        const tls = request.cf?.tlsClientAuth;
        const client = tls?.certVerified === "SUCCESS" ? /CN=([^,]+)/.exec(tls.certSubjectDN ?? "")?.[1] : undefined;
        const code = form.get("code") ?? "";
        const c = codes.get(code);
        codes.delete(code);
        if (!client) return json({ error: "invalid_client" }, 401);
        if (!c || c.expires < Date.now() || form.get("grant_type") !== "authorization_code" || form.get("redirect_uri") !== c.redirectUri || c.clientId !== client || (form.get("client_id") ?? client) !== client) return json({ error: "invalid_grant" }, 400);
        const verifier = form.get("code_verifier") ?? "";
        if (createHash("sha256").update(verifier).digest("base64url") !== c.challenge) return json({ error: "invalid_grant" }, 400);
        return json({ access_token: tokenFor[c.patient].replace(/^Bearer /, ""), token_type: "Bearer", expires_in: tokenTtlSeconds, scope: c.scope });
      }
      return new Response("not found", { status: 404 });
    },
  };
}
