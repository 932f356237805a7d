// One complete authorization run as a Person's browser plus a DVP Server would do it, against the
// local network: authorize -> DigiD simulator -> consent -> token (mTLS stand-in) -> resource.
import { randomUUID } from "node:crypto";
import { Jar, closedLoop, request } from "./http.mjs";

const UMC = "umcharderwijk.zorgbridge.localhost";
const DIGID = "digid.medmij.localhost";
const CLIENT = "dvp.gezondheidskluis.localhost";
const REDIRECT = `https://${CLIENT}/oauth/callback`;
const CERT = { "x-local-network-client-cert": CLIENT };

const field = (html, name) => new RegExp(`name="${name}" value="([^"]*)"`).exec(html)?.[1]?.replace(/&amp;/g, "&");

function expectStatus(res, status, step) {
  if (res.status !== status) throw new Error(`${step}: HTTP ${res.status}`);
  return res;
}

/** Runs one flow; throws on any unexpected answer. Returns the number of HTTP requests made. */
export async function fullFlow(port, bsn = "999990019") {
  const jar = new Jar();
  const get = async (host, path) => {
    const res = await request(port, host, path, { headers: jar.header(host) });
    jar.take(host, res);
    return res;
  };
  const post = async (host, path, fields, extra = {}) => {
    const res = await request(port, host, path, { method: "POST", headers: { "content-type": "application/x-www-form-urlencoded", ...jar.header(host), ...extra }, body: new URLSearchParams(fields).toString() });
    jar.take(host, res);
    return res;
  };
  const pathOf = (location) => {
    const u = new URL(location);
    return u.pathname + u.search;
  };
  const q = new URLSearchParams({ response_type: "code", client_id: CLIENT, redirect_uri: REDIRECT, scope: "umcharderwijk~48", state: randomUUID() });
  const toDigid = expectStatus(await get(UMC, `/oauth/authorize?${q}`), 302, "authorize");
  const loginPage = expectStatus(await get(DIGID, pathOf(toDigid.headers.location)), 200, "digid page");
  const back = expectStatus(await post(DIGID, "/login", { bsn, RelayState: field(loginPage.body, "RelayState"), return: field(loginPage.body, "return") }), 302, "digid login");
  expectStatus(await get(UMC, pathOf(back.headers.location)), 302, "authn return");
  const consent = expectStatus(await get(UMC, "/oauth/consent"), 200, "consent page");
  const decided = expectStatus(await post(UMC, "/oauth/consent", { csrf: field(consent.body, "csrf"), decision: "ja" }), 302, "consent");
  const code = new URL(decided.headers.location).searchParams.get("code");
  const token = expectStatus(await post(UMC, "/oauth/token", { grant_type: "authorization_code", code, redirect_uri: REDIRECT }, CERT), 200, "token");
  const { access_token } = JSON.parse(token.body);
  expectStatus(await request(port, UMC, "/48/fhir/Patient", { headers: { ...CERT, authorization: `Bearer ${access_token}`, "medmij-request-id": randomUUID() } }), 200, "resource");
  return 8;
}

/**
 * `users` Persons each running full flows one after the other for `seconds` against the front door on `port`:
 * flows/s, p50/p99 (ms) and the errors (the first three said).
 */
export async function runFlows(port, users, seconds) {
  const bsns = ["999990019", "999990020", "999990032"];
  const { runs, ...r } = await closedLoop(users, seconds, (u) => fullFlow(port, bsns[u % bsns.length]));
  return { ...r, flows: runs };
}
