/**
 * The local network's front door (scripts/local-network-front.mjs): what browsers and tools connect to.
 * Busy keep-alive connections are never reset, a redirect_uri with an explicit :443 (valid under L-8 and
 * AS-17) reaches the browser as a usable URL, and the headers a browser acts on are mapped back to it.
 */
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { fullFlow } from "../../bench/flow.mjs";
import { agent, request } from "../../bench/http.mjs";
import { toBrowser } from "../../scripts/local-network-front.mjs";
import { HOSTS, startNetwork, type LocalNetwork } from "../../scripts/local-network.mjs";
import { NetBrowser, expectOversizedPublicationRefused, field } from "./browser.ts";

let net: LocalNetwork;
beforeAll(async () => {
  net = await startNetwork({ port: 0, dvzaBindings: { RATE_LIMITS: JSON.stringify({ authorize: { ratePerSecond: 1e6, burst: 1e6 }, token: { ratePerSecond: 1e6, burst: 1e6 }, resource: { ratePerSecond: 1e6, burst: 1e6 } }) } });
}, 120_000);
afterAll(async () => net?.dispose());

describe("the front door", () => {
  it("concurrent full flows over kept-alive connections: no connection is reset", async () => {
    const errors: string[] = [];
    let flows = 0;
    await Promise.all(
      Array.from({ length: 40 }, async () => {
        for (let i = 0; i < 8; i++) {
          try {
            await fullFlow(net.port);
            flows++;
          } catch (e) {
            errors.push((e as Error).message);
          }
        }
      }),
    );
    expect(errors).toEqual([]);
    expect(flows).toBe(320);
    // The connections were reused, not opened per request.
    expect(Object.values(agent.freeSockets).flat().length).toBeGreaterThan(0);
  }, 120_000);

  it("POSTs refused before their body is read (whitelist gate 403, S-3 query string) do not cost the next requests their connection", async () => {
    // workerd drops a kept-alive connection after a response to an unread body; the front door must not
    // send the next request on it. Refusals interleave with complete flows on the same front-door pool.
    const statuses: Record<string, number> = {};
    const errors: string[] = [];
    const count = (s: number | string) => (statuses[s] = (statuses[s] ?? 0) + 1);
    const body = "grant_type=authorization_code&code=abc&redirect_uri=https%3A%2F%2Fdvp.gezondheidskluis.localhost%2Foauth%2Fcallback";
    await Promise.all(
      Array.from({ length: 50 }, async (_, u) => {
        for (let i = 0; i < (u % 5 === 0 ? 4 : 40); i++) {
          try {
            if (u % 5 === 0) await fullFlow(net.port);
            else {
              const noCert = u % 5 === 1;
              const r = await request(net.port, HOSTS.umcharderwijk, noCert ? "/oauth/token" : "/oauth/token?code=abc", {
                method: "POST",
                headers: { "content-type": "application/x-www-form-urlencoded", ...(noCert ? {} : { "x-local-network-client-cert": HOSTS.dvpKluis }) },
                body,
              });
              count(r.status);
            }
          } catch (e) {
            errors.push((e as Error).message);
          }
        }
      }),
    );
    // Before the fix, about one request in ten after an S-3 refusal was lost ("other side closed").
    expect(errors).toEqual([]);
    // W-1: no certificate, refused at the gate; S-3: parameters in the query string, invalid_request.
    expect(statuses).toEqual({ 403: 400, 400: 1200 });
  }, 120_000);

  it("a connection left idle longer than workerd keeps one (5 s) is not reused", async () => {
    await fullFlow(net.port);
    await new Promise((r) => setTimeout(r, 5_500));
    await expect(fullFlow(net.port)).resolves.toBeGreaterThan(0);
  }, 30_000);

  it("L-8/AS-17: a redirect_uri with an explicit :443 reaches the browser as http://<host>:<port>/...", async () => {
    const b = new NetBrowser(net);
    const redirectUri = `https://${HOSTS.dvpKluis}:443/oauth/callback`;
    const q = new URLSearchParams({ response_type: "code", client_id: HOSTS.dvpKluis, redirect_uri: redirectUri, scope: "umcharderwijk~48", state: "st-443" });
    const authorize = `${net.base(HOSTS.umcharderwijk)}/oauth/authorize?${q}`;
    const toDigid = await b.follow(await b.get(authorize), authorize);
    const form = await toDigid.final.text();
    const back = await b.post(`${net.base(HOSTS.digid)}/login`, { bsn: "999990019", RelayState: field(form, "RelayState"), return: field(form, "return") });
    const consent = await b.follow(back, `${net.base(HOSTS.digid)}/login`);
    const decided = await b.post(consent.url, { csrf: field(await consent.final.text(), "csrf"), decision: "ja" });
    const location = decided.headers.get("location")!;
    expect(location.startsWith(`http://${HOSTS.dvpKluis}:${net.port}/oauth/callback?`)).toBe(true);
    expect(() => new URL(location)).not.toThrow();
  });

  it("maps https URLs of local hosts to the browser's http port, with or without :443, and leaves others alone", () => {
    const hosts = ["dvp.gezondheidskluis.localhost", "umcharderwijk.zorgbridge.localhost"];
    expect(toBrowser("https://dvp.gezondheidskluis.localhost/oauth/callback?code=x", hosts, 8787)).toBe("http://dvp.gezondheidskluis.localhost:8787/oauth/callback?code=x");
    expect(toBrowser("https://dvp.gezondheidskluis.localhost:443/oauth/callback", hosts, 8787)).toBe("http://dvp.gezondheidskluis.localhost:8787/oauth/callback");
    expect(toBrowser("form-action 'self' https://umcharderwijk.zorgbridge.localhost https://evil.localhost", hosts, 9000)).toBe("form-action 'self' http://umcharderwijk.zorgbridge.localhost:9000 https://evil.localhost");
    // A longer name that merely starts with a local host is not that host.
    expect(toBrowser("https://dvp.gezondheidskluis.localhost.evil.nl/", hosts, 8787)).toBe("https://dvp.gezondheidskluis.localhost.evil.nl/");
    expect(toBrowser("https://dvp.gezondheidskluis.localhost:4443/x", hosts, 8787)).toBe("https://dvp.gezondheidskluis.localhost:4443/x");
  });

  it("issue 19 #4: a 50 MB publication that Registratie refuses before reading it is a 413, as the edge answers, not a 502 or a reset", async () => {
    await expectOversizedPublicationRefused(net, 3);
  });

  it("a client's own CF-Connecting-IP is replaced, and the client-certificate stand-in works only through the front", async () => {
    const res = await net.browse(HOSTS.umcharderwijk, "/oauth/token", { method: "POST", headers: { "cf-connecting-ip": "6.6.6.6", "content-type": "application/x-www-form-urlencoded" }, body: "grant_type=authorization_code&code=x&redirect_uri=y" });
    // No certificate: the whitelist gate's bare 403 (W-2).
    expect(res.status).toBe(403);
    expect(await res.text()).toBe("");
    const withCert = await net.browse(HOSTS.umcharderwijk, "/oauth/token", { method: "POST", headers: { "x-local-network-client-cert": HOSTS.dvpKluis, "content-type": "application/x-www-form-urlencoded" }, body: "grant_type=authorization_code&code=x&redirect_uri=y" });
    expect(withCert.status).toBe(400);
  });
});
