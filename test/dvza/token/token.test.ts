/**
 * Token endpoint (SPEC AS-4, AS-7, AS-10, AS-11, AS-12, AS-14, S-3; RFC 6749 §4.1.3, §5).
 */
import { SELF, abortAllDurableObjects, env, runInDurableObject } from "cloudflare:test";
import { afterEach, beforeEach, describe, expect, it, vi } from "vitest";
import type { GrantStore } from "../../../durable-objects/grant-store.ts";
import { grantStub, hashHandle, introspectToken, shardCount } from "../../../workers/dvza/grants.ts";
import worker from "../../../workers/dvza/index.ts";
import { DELINDE_HOST, DVP_APP, DVP_KLUIS, storeLists, WHITELIST } from "../../helpers/network.ts";
import { REDIRECT, TOKEN_URL, dvzaEnv, newCode, redeem, tokenRequest } from "./helpers.ts";

beforeEach(async () => {
  // Rate-limit buckets live in Durable Object memory; start each test with fresh objects.
  await abortAllDurableObjects();
  await storeLists(dvzaEnv.LISTS);
});
afterEach(() => {
  vi.useRealTimers();
  vi.restoreAllMocks();
});

describe("successful redemption", () => {
  it("AS-5/AS-7: returns a bearer token for 900 s with the code's single scope, not cacheable", async () => {
    const code = await newCode();
    const res = await redeem(code);
    expect(res.status).toBe(200);
    expect(res.headers.get("cache-control")).toBe("no-store");
    expect(res.headers.get("pragma")).toBe("no-cache");
    expect(res.headers.get("content-type")).toMatch(/^application\/json/);
    const body = (await res.json()) as Record<string, unknown>;
    expect(Object.keys(body).sort()).toEqual(["access_token", "expires_in", "scope", "token_type"]);
    expect(body.token_type).toBe("bearer");
    expect(body.expires_in).toBe(900);
    expect(body.scope).toBe("umcharderwijk~48");
    // AS-8/AS-9: 256 random bits, base64url, no structure.
    expect(body.access_token).toMatch(/^[A-Za-z0-9_-]{43}$/);
    expect(body.access_token).not.toBe(code);
    const grant = await introspectToken(dvzaEnv, body.access_token as string);
    expect(grant?.subject).toBe("999990019");
  });

  it("AS-14: a client_id equal to the certificate CN is accepted", async () => {
    const res = await redeem(await newCode(), { client_id: DVP_KLUIS });
    expect(res.status).toBe(200);
  });

  it("AS-8: codes and tokens are stored only as hashes", async () => {
    const code = await newCode();
    const token = ((await (await redeem(code)).json()) as { access_token: string }).access_token;
    const h = await hashHandle(code, shardCount(dvzaEnv));
    const rows = await runInDurableObject(grantStub(dvzaEnv, h.shard) as DurableObjectStub<GrantStore>, (_o, state) =>
      state.storage.sql.exec("SELECT * FROM codes UNION ALL SELECT code_hash, client_id, redirect_uri, scope, zorgaanbieder, gegevensdienst, subject, token_endpoint, issued_at, expires_at, NULL, revoked_at, NULL FROM tokens").toArray(),
    );
    const dump = JSON.stringify(rows);
    expect(dump).not.toContain(code);
    expect(dump).not.toContain(token);
    expect(dump).toContain(h.hash);
  });
});

describe("AS-10: single use, also under concurrency", () => {
  it("50 concurrent redemptions of one code yield exactly one token, and the replays revoke it", async () => {
    const code = await newCode();
    const responses = await Promise.all(Array.from({ length: 50 }, () => redeem(code)));
    const ok = responses.filter((r) => r.status === 200);
    expect(ok).toHaveLength(1);
    for (const r of responses.filter((r) => r.status !== 200)) {
      expect(r.status).toBe(400);
      expect(((await r.json()) as { error: string }).error).toBe("invalid_grant");
    }
    const token = ((await ok[0]!.json()) as { access_token: string }).access_token;
    // RFC 6749 §4.1.2: the other 49 were replays, so the token issued from the code is revoked.
    expect(await introspectToken(dvzaEnv, token)).toBeNull();
  });

  it("a replayed code is refused with invalid_grant and the token issued from it is revoked", async () => {
    const code = await newCode();
    const first = await redeem(code);
    const token = ((await first.json()) as { access_token: string }).access_token;
    expect(await introspectToken(dvzaEnv, token)).not.toBeNull();
    const replay = await redeem(code);
    expect(replay.status).toBe(400);
    expect(await replay.json()).toMatchObject({ error: "invalid_grant" });
    expect(await introspectToken(dvzaEnv, token)).toBeNull();
  });

  it("an unknown code is invalid_grant", async () => {
    const res = await redeem("A".repeat(43));
    expect(res.status).toBe(400);
    expect(await res.json()).toMatchObject({ error: "invalid_grant" });
  });
});

describe("AS-7: exactly 900 s", () => {
  it("a code is redeemable 899.999 s after issue and not at 900 s", async () => {
    vi.useFakeTimers({ toFake: ["Date"] });
    const t0 = new Date("2026-11-23T12:00:00.000Z").getTime();
    vi.setSystemTime(t0);
    const early = await newCode();
    const late = await newCode();
    vi.setSystemTime(t0 + 899_999);
    expect((await redeem(early)).status).toBe(200);
    vi.setSystemTime(t0 + 900_000);
    const res = await redeem(late);
    expect(res.status).toBe(400);
    expect(await res.json()).toMatchObject({ error: "invalid_grant" });
  });

  it("a token is valid for 900 s after issue and not a millisecond longer", async () => {
    vi.useFakeTimers({ toFake: ["Date"] });
    const t0 = new Date("2026-11-23T13:00:00.000Z").getTime();
    vi.setSystemTime(t0);
    const token = ((await (await redeem(await newCode())).json()) as { access_token: string }).access_token;
    vi.setSystemTime(t0 + 899_999);
    expect(await introspectToken(dvzaEnv, token)).not.toBeNull();
    vi.setSystemTime(t0 + 900_000);
    expect(await introspectToken(dvzaEnv, token)).toBeNull();
  });
});

describe("AS-11/AS-12/AS-14: the client is the certificate", () => {
  it("a code issued to one client is refused over another whitelisted client's certificate, and stays usable", async () => {
    const code = await newCode();
    const stolen = await redeem(code, {}, { from: DVP_APP });
    expect(stolen.status).toBe(400);
    expect(await stolen.json()).toMatchObject({ error: "invalid_grant" });
    expect((await redeem(code)).status).toBe(200);
  });

  it("a client_id different from the certificate CN is invalid_client (401)", async () => {
    const res = await redeem(await newCode(), { client_id: DVP_APP });
    expect(res.status).toBe(401);
    expect(await res.json()).toMatchObject({ error: "invalid_client" });
  });

  it("a whitelisted certificate that is not an OAuth client is invalid_client", async () => {
    const res = await redeem(await newCode(), {}, { from: DELINDE_HOST });
    expect(res.status).toBe(401);
    expect(await res.json()).toMatchObject({ error: "invalid_client" });
  });

  it("AS-14: one switch makes client_id mandatory", async () => {
    const code = await newCode();
    const strictEnv = { ...dvzaEnv, REQUIRE_CLIENT_ID_IN_TOKEN_REQUEST: "true" };
    const request = (extra: Record<string, string>) =>
      new Request(TOKEN_URL, {
        method: "POST",
        headers: { "content-type": "application/x-www-form-urlencoded" },
        body: new URLSearchParams({ grant_type: "authorization_code", code, redirect_uri: REDIRECT, ...extra }).toString(),
        cf: { tlsClientAuth: { certPresented: "1", certVerified: "SUCCESS", certSubjectDN: `CN=${DVP_KLUIS}` } } as unknown as IncomingRequestCfProperties,
      });
    const ctx = { waitUntil() {}, passThroughOnException() {}, props: {} } as unknown as ExecutionContext;
    const missing = await worker.fetch(request({}), strictEnv, ctx);
    expect(missing.status).toBe(400);
    expect(await missing.json()).toMatchObject({ error: "invalid_request", error_description: "client_id is missing" });
    expect((await worker.fetch(request({ client_id: DVP_KLUIS }), strictEnv, ctx)).status).toBe(200);
  });
});

describe("code binding (RFC 6749 §4.1.3, AS-17)", () => {
  it.each([
    ["trailing slash", `${REDIRECT}/`],
    ["other path", `https://${DVP_KLUIS}/oauth/callback2`],
    ["explicit port", `https://${DVP_KLUIS}:443/oauth/callback`],
    ["added query", `${REDIRECT}?x=1`],
    ["upper-case host", `https://DVP.gezondheidskluis.localhost/oauth/callback`],
  ])("a redirect_uri that differs from the authorization request's (%s) is invalid_grant", async (_name, uri) => {
    const code = await newCode();
    const res = await redeem(code, { redirect_uri: uri });
    expect(res.status).toBe(400);
    expect(await res.json()).toMatchObject({ error: "invalid_grant" });
  });

  it("a code is redeemable only at the token endpoint of its own Zorgaanbieder", async () => {
    const code = await newCode();
    const res = await redeem(code, {}, { url: `https://${DELINDE_HOST}/oauth/token` });
    expect(res.status).toBe(400);
    expect(await res.json()).toMatchObject({ error: "invalid_grant" });
    expect((await redeem(code)).status).toBe(200);
  });
});

describe("AS-3/AS-4: request syntax per RFC 6749 §3.2, §5.2", () => {
  it.each([
    [{ grant_type: "password", username: "x", password: "y" }, "unsupported_grant_type"],
    [{ grant_type: "client_credentials" }, "unsupported_grant_type"],
    [{ grant_type: "refresh_token", refresh_token: "x" }, "unsupported_grant_type"],
    [{ code: "x", redirect_uri: REDIRECT }, "invalid_request"],
    [{ grant_type: "authorization_code", redirect_uri: REDIRECT }, "invalid_request"],
    [{ grant_type: "authorization_code", code: "x" }, "invalid_request"],
  ])("%j -> %s", async (params, error) => {
    const res = await tokenRequest(params);
    expect(res.status).toBe(400);
    expect(res.headers.get("cache-control")).toBe("no-store");
    expect(await res.json()).toMatchObject({ error });
  });

  it("S-3: parameters in the query string are refused (a known peer quirk)", async () => {
    const code = await newCode();
    const res = await redeem(code, {}, { url: `${TOKEN_URL}?code=${code}` });
    expect(await res.json()).toMatchObject({ error: "invalid_request" });
    expect((await redeem(code)).status).toBe(200);
  });

  it("a repeated parameter is invalid_request", async () => {
    const code = await newCode();
    const res = await SELF.fetch(TOKEN_URL, {
      method: "POST",
      headers: { "content-type": "application/x-www-form-urlencoded" },
      body: `grant_type=authorization_code&code=${code}&code=${code}&redirect_uri=${encodeURIComponent(REDIRECT)}`,
      cf: { tlsClientAuth: { certPresented: "1", certVerified: "SUCCESS", certSubjectDN: `CN=${DVP_KLUIS}` } } as unknown as IncomingRequestCfProperties,
    });
    expect(await res.json()).toMatchObject({ error: "invalid_request" });
  });

  it("a body that is not form-encoded is invalid_request", async () => {
    const res = await tokenRequest({}, { headers: { "content-type": "application/json" } });
    expect(await res.json()).toMatchObject({ error: "invalid_request" });
  });

  it("an oversized body is refused without reading it all", async () => {
    const res = await tokenRequest({ grant_type: "authorization_code", code: "x".repeat(20_000), redirect_uri: REDIRECT });
    expect(res.status).toBe(400);
    expect(await res.json()).toMatchObject({ error: "invalid_request", error_description: "request body too large" });
  });

  it("GET on the token endpoint is 405", async () => {
    const res = await SELF.fetch(TOKEN_URL, { cf: { tlsClientAuth: { certPresented: "1", certVerified: "SUCCESS", certSubjectDN: `CN=${DVP_KLUIS}` } } as unknown as IncomingRequestCfProperties });
    expect(res.status).toBe(405);
  });
});

describe("W-1/W-2/W-3: the whitelist gate comes first and tells nothing", () => {
  async function expectBare403(res: Response) {
    expect(res.status).toBe(403);
    expect(await res.text()).toBe("");
    expect(res.headers.get("www-authenticate")).toBeNull();
    expect(res.headers.get("content-type")).toBeNull();
  }

  it("a certificate whose CN is not on the Whitelist gets a bare 403, before any parameter is read", async () => {
    await storeLists(dvzaEnv.LISTS, { whitelist: { ...WHITELIST, volgnummer: "2002", hostnames: WHITELIST.hostnames.filter((h) => h !== DVP_KLUIS) } });
    const code = await newCode();
    await expectBare403(await redeem(code));
    // Even a syntactically broken request gets the same answer: nothing was parsed.
    await expectBare403(await tokenRequest({ grant_type: "nonsense" }));
  });

  it.each([
    ["no certificate", { tlsClientAuth: { certPresented: "0", certVerified: "NONE", certSubjectDN: "" } }],
    ["certificate not verified", { tlsClientAuth: { certPresented: "1", certVerified: "FAILED:self signed certificate", certSubjectDN: `CN=${DVP_KLUIS}` } }],
    ["revoked", { tlsClientAuth: { certPresented: "1", certVerified: "SUCCESS", certRevoked: "1", certSubjectDN: `CN=${DVP_KLUIS}` } }],
    ["two CNs", { tlsClientAuth: { certPresented: "1", certVerified: "SUCCESS", certSubjectDN: `CN=${DVP_KLUIS}+CN=evil.localhost` } }],
    ["CN with trailing dot", { tlsClientAuth: { certPresented: "1", certVerified: "SUCCESS", certSubjectDN: `CN=${DVP_KLUIS}.` } }],
    ["CN in upper case", { tlsClientAuth: { certPresented: "1", certVerified: "SUCCESS", certSubjectDN: `CN=${DVP_KLUIS.toUpperCase()}` } }],
    ["no TLS client auth data at all", {}],
    // Issue 15 #7: the escape decoded, then the value trimmed, made these the real DVP's name.
    ["CN with an escaped leading space (RFC 4514 `\\ `)", { tlsClientAuth: { certPresented: "1", certVerified: "SUCCESS", certSubjectDNRFC2253: `CN=\\ ${DVP_KLUIS},O=Test,C=NL` } }],
    ["CN with an escaped trailing space", { tlsClientAuth: { certPresented: "1", certVerified: "SUCCESS", certSubjectDNRFC2253: `CN=${DVP_KLUIS}\\ ,O=Test,C=NL` } }],
    ["CN with a trailing TAB (`\\09`)", { tlsClientAuth: { certPresented: "1", certVerified: "SUCCESS", certSubjectDNRFC2253: `CN=${DVP_KLUIS}\\09,O=Test,C=NL` } }],
    ["CN with a hex-escaped leading space (`\\20`)", { tlsClientAuth: { certPresented: "1", certVerified: "SUCCESS", certSubjectDNRFC2253: `CN=\\20${DVP_KLUIS}` } }],
    ["CN with an unescaped trailing space before the next RDN", { tlsClientAuth: { certPresented: "1", certVerified: "SUCCESS", certSubjectDN: `CN=${DVP_KLUIS} ,O=Test` } }],
    ["CN with a space after the equals sign", { tlsClientAuth: { certPresented: "1", certVerified: "SUCCESS", certSubjectDN: `CN= ${DVP_KLUIS}` } }],
    ["legacy slash form with a trailing space", { tlsClientAuth: { certPresented: "1", certVerified: "SUCCESS", certSubjectDN: `/C=NL/O=Test/CN=${DVP_KLUIS} ` } }],
  ])("S-2/W-1: %s -> bare 403", async (_name, cf) => {
    await expectBare403(await redeem(await newCode(), {}, { cf }));
  });

  it("W-2: without a valid Whitelist the check cannot be made, so nothing passes", async () => {
    // A node that never held a valid Whitelist: a real, empty KV namespace bound only in tests.
    const emptyKv = (env as unknown as { EMPTY_LISTS: KVNamespace }).EMPTY_LISTS;
    const ctx = { waitUntil() {}, passThroughOnException() {}, props: {} } as unknown as ExecutionContext;
    const res = await worker.fetch(
      new Request(TOKEN_URL, { method: "POST", cf: { tlsClientAuth: { certPresented: "1", certVerified: "SUCCESS", certSubjectDN: `CN=${DVP_KLUIS}` } } as unknown as IncomingRequestCfProperties }),
      { ...dvzaEnv, LISTS: emptyKv },
      ctx,
    );
    await expectBare403(res);
  });

  it("a request for another deployment's hostname is refused (421)", async () => {
    const res = await redeem(await newCode(), {}, { url: "https://ziekenhuisoost.medicloud.localhost/oauth/token" });
    expect(res.status).toBe(421);
  });
});

describe("S-3: rate limiting and no secrets in logs", () => {
  it("a client beyond its budget gets 429 with Retry-After, before its request is looked at", async () => {
    const tight = { ...dvzaEnv, RATE_LIMITS: JSON.stringify({ token: { ratePerSecond: 0.5, burst: 3 } }) };
    const ctx = { waitUntil() {}, passThroughOnException() {}, props: {} } as unknown as ExecutionContext;
    const statuses: number[] = [];
    let retryAfter: string | null = null;
    for (let i = 0; i < 5; i++) {
      const res = await worker.fetch(
        new Request(TOKEN_URL, {
          method: "POST",
          headers: { "content-type": "application/x-www-form-urlencoded" },
          body: "grant_type=authorization_code&code=x&redirect_uri=x",
          cf: { tlsClientAuth: { certPresented: "1", certVerified: "SUCCESS", certSubjectDN: `CN=${DVP_APP}` } } as unknown as IncomingRequestCfProperties,
        }),
        tight,
        ctx,
      );
      statuses.push(res.status);
      retryAfter ??= res.headers.get("retry-after");
    }
    expect(statuses).toEqual([400, 400, 400, 429, 429]);
    expect(Number(retryAfter)).toBeGreaterThanOrEqual(1);
  });

  it("neither the code nor the token appears in any log line", async () => {
    const lines: string[] = [];
    for (const m of ["log", "warn", "error", "info"] as const) vi.spyOn(console, m).mockImplementation((...a: unknown[]) => void lines.push(a.map(String).join(" ")));
    const code = await newCode();
    const token = ((await (await redeem(code, {}, { headers: { "medmij-request-id": crypto.randomUUID() } })).json()) as { access_token: string }).access_token;
    await redeem(code);
    const all = lines.join("\n");
    expect(all).toContain("token.issued");
    expect(all).toContain("token.refused");
    expect(all).not.toContain(code);
    expect(all).not.toContain(token);
  });
});
