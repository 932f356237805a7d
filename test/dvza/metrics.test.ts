/**
 * The benchmarks' metrics endpoint (GET /.well-known/medmij-edge/metrics): off unless METRICS_TOKEN is set,
 * then only for the bearer of that secret, never cached; and with counting on, the product still works
 * (every Durable Object call goes through a counting stub) and the counts are the round trips made.
 */
import { env } from "cloudflare:test";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import worker from "../../workers/dvza/index.ts";
import type { Env } from "../../workers/dvza/env.ts";
import { setCounting } from "../../workers/shared/durable/hops.ts";
import { UMC_HOST, mtlsFrom, storeLists } from "../helpers/network.ts";
import { REDIRECT, newCode } from "./token/helpers.ts";

const real = env as unknown as Env;
const ctx = { waitUntil() {}, passThroughOnException() {}, props: {} } as unknown as ExecutionContext;
const SECRET = "metrics-secret-0123456789abcdef";
const METRICS = `https://${UMC_HOST}/.well-known/medmij-edge/metrics`;

const call = (request: Request, extra: Partial<Env> = { METRICS_TOKEN: SECRET }) => worker.fetch(request, { ...real, ...extra } as Env, ctx);
const metrics = async () => (await (await call(new Request(METRICS, { headers: { authorization: `Bearer ${SECRET}` } }))).json()) as { requests: number; doCalls: number; byMethod: Record<string, number> };

beforeAll(() => storeLists(real.LISTS));
afterAll(() => setCounting(false));

describe("metrics endpoint", () => {
  it("does not exist without METRICS_TOKEN: the request is an ordinary back-channel request", async () => {
    const r = await call(new Request(METRICS, { headers: { authorization: `Bearer ${SECRET}` } }), { METRICS_TOKEN: undefined });
    // No client certificate: the whitelist gate answers, not the metrics endpoint.
    expect(r.status).toBe(403);
  });

  it("answers only the bearer of the secret, and is never cached", async () => {
    expect((await call(new Request(METRICS))).status).toBe(401);
    expect((await call(new Request(METRICS, { headers: { authorization: "Bearer wrong" } }))).status).toBe(401);
    const r = await call(new Request(METRICS, { headers: { authorization: `Bearer ${SECRET}` } }));
    expect(r.status).toBe(200);
    expect(r.headers.get("cache-control")).toBe("no-store");
    expect(await r.json()).toMatchObject({ requests: expect.any(Number), doCalls: expect.any(Number) });
  });

  it("counts the token endpoint's round trips while the endpoint keeps working (RPC through counting stubs)", async () => {
    const code = await newCode();
    const before = await metrics();
    const r = await call(
      new Request(`https://${UMC_HOST}/oauth/token`, {
        method: "POST",
        headers: { "content-type": "application/x-www-form-urlencoded" },
        body: new URLSearchParams({ grant_type: "authorization_code", code, redirect_uri: REDIRECT }).toString(),
        cf: mtlsFrom("dvp.gezondheidskluis.localhost") as unknown as IncomingRequestCfProperties,
      }),
    );
    expect(r.status).toBe(200);
    const after = await metrics();
    expect(after.requests - before.requests).toBe(1);
    // The GrantStore transaction, and at most one RateLimiter lease (none while this isolate holds one).
    expect(after.doCalls - before.doCalls).toBeGreaterThanOrEqual(1);
    expect(after.doCalls - before.doCalls).toBeLessThanOrEqual(2);
    // Per method too (docs/capacity.md): exactly one GrantStore redeem.
    expect((after.byMethod.redeem ?? 0) - (before.byMethod.redeem ?? 0)).toBe(1);
  });
});
