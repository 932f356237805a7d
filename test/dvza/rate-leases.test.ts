/**
 * S-3 with leases (workers/shared/rate-limit.ts): the RateLimiter Durable Object stays the authority, isolates
 * lease small batches of allowance. Several lease holders (standing in for isolates) hammer one key of the
 * real RateLimiter: what they admit together never exceeds the bucket (burst + rate × time) plus what is out
 * on lease, a refusal's Retry-After is enough to be admitted again, and a single holder makes few round trips.
 */
import { abortAllDurableObjects, env } from "cloudflare:test";
import { beforeEach, describe, expect, it } from "vitest";
import type { RateLimitRule } from "../../durable-objects/rate-limiter.ts";
import type { Env } from "../../workers/dvza/env.ts";
import { LEASE_TTL_MS, RateLeases, leaseSize } from "../../workers/shared/rate-limit.ts";

const dvzaEnv = env as unknown as Env;
const RULE: RateLimitRule = { ratePerSecond: 20, burst: 10 };

function limiter(name: string) {
  let trips = 0;
  const real = dvzaEnv.RATE_LIMITER.get(dvzaEnv.RATE_LIMITER.idFromName(name));
  return {
    trips: () => trips,
    stub: () => ({
      lease: (...args: Parameters<typeof real.lease>) => {
        trips++;
        return real.lease(...args);
      },
    }),
  };
}

beforeEach(async () => {
  await abortAllDurableObjects();
});

describe("S-3: leased rate limiting", () => {
  it("four isolates together admit at most burst + rate × time + what is out on lease", async () => {
    const isolates = Array.from({ length: 4 }, () => new RateLeases());
    const { stub } = limiter("token:leases-bound");
    const started = Date.now();
    let admitted = 0;
    let refused = 0;
    await Promise.all(
      isolates.map(async (isolate) => {
        while (Date.now() - started < 1_500) {
          const d = await isolate.admit(stub, "token", "dvp.example.nl", RULE);
          if (d.admitted) admitted++;
          else refused++;
          await scheduler.wait(2);
        }
      }),
    );
    const elapsed = (Date.now() - started) / 1000;
    const bound = RULE.burst + RULE.ratePerSecond * elapsed + isolates.length * leaseSize(RULE);
    expect(admitted).toBeLessThanOrEqual(Math.ceil(bound));
    // The limit is enforced, and not by refusing everything.
    expect(refused).toBeGreaterThan(0);
    expect(admitted).toBeGreaterThanOrEqual(RULE.burst + Math.floor(RULE.ratePerSecond * elapsed * 0.5));
  });

  it("a refusal's Retry-After is enough: after it, the next request is admitted", async () => {
    const isolate = new RateLeases();
    const tight: RateLimitRule = { ratePerSecond: 1, burst: 2 };
    const { stub } = limiter("token:retry-after");
    const decisions = [];
    for (let i = 0; i < 4; i++) decisions.push(await isolate.admit(stub, "token", "dvp.example.nl", tight));
    const refusal = decisions.find((d) => !d.admitted);
    expect(decisions.slice(0, 2).every((d) => d.admitted)).toBe(true);
    expect(refusal).toMatchObject({ admitted: false });
    const seconds = (refusal as { retryAfterSeconds: number }).retryAfterSeconds;
    expect(seconds).toBeGreaterThanOrEqual(1);
    await scheduler.wait(seconds * 1000);
    expect(await isolate.admit(stub, "token", "dvp.example.nl", tight)).toEqual({ admitted: true });
  });

  it("one isolate makes one round trip per lease, not per request; unused allowance goes back", async () => {
    const isolate = new RateLeases();
    const generous: RateLimitRule = { ratePerSecond: 200, burst: 1_000 };
    const { stub, trips } = limiter("resource:few-trips");
    for (let i = 0; i < 500; i++) expect((await isolate.admit(stub, "resource", "dvp.example.nl", generous)).admitted).toBe(true);
    expect(trips()).toBe(Math.ceil(500 / leaseSize(generous)));
    // The lease ends with allowance left; the next lease returns it, so another isolate can have it.
    await scheduler.wait(LEASE_TTL_MS + 50);
    await isolate.admit(stub, "resource", "dvp.example.nl", generous);
    const other = new RateLeases();
    let more = 0;
    while ((await other.admit(stub, "resource", "dvp.example.nl", generous)).admitted && more < 2_000) more++;
    // Everything not admitted so far is still there: the burst minus what was used, plus the refill.
    expect(more).toBeGreaterThanOrEqual(generous.burst - 501 - leaseSize(generous));
  });

  it("concurrent requests of one key share a single round trip", async () => {
    const isolate = new RateLeases();
    const rule: RateLimitRule = { ratePerSecond: 200, burst: 1_000 };
    const { stub, trips } = limiter("resource:shared-trip");
    const all = await Promise.all(Array.from({ length: leaseSize(rule) }, () => isolate.admit(stub, "resource", "dvp.example.nl", rule)));
    expect(all.every((d) => d.admitted)).toBe(true);
    expect(trips()).toBe(1);
  });
});
