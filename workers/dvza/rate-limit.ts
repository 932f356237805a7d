/**
 * Rate limits per endpoint class (S-3), enforced by the RateLimiter Durable Object for the key.
 * Keys are a client hostname (back channel, after the certificate check) or the source address
 * (front channel). The numbers are per key and generous for honest use.
 */
import type { RateLimiter, RateLimitRule } from "../../durable-objects/rate-limiter.ts";
import { placed } from "../shared/durable/placement.ts";
import type { Env } from "./env.ts";
import type { ObjectStub } from "../shared/ports.ts";

export const RULES = {
  /** Front channel, per source address: a Person clicks, a script hammers. */
  authorize: { ratePerSecond: 5, burst: 60 },
  /** Per client: a DVP redeems one code per authorization; bursts come from many Persons at once. */
  token: { ratePerSecond: 50, burst: 200 },
  /** Per client: one authorization fans out into dozens of FHIR searches. */
  resource: { ratePerSecond: 200, burst: 1000 },
} as const satisfies Record<string, RateLimitRule>;

export type RateLimitClass = keyof typeof RULES;

/**
 * An operator may tune the rules per deployment with RATE_LIMITS (JSON, e.g.
 * `{"token":{"ratePerSecond":100,"burst":400}}`); a malformed or partial value keeps the defaults.
 */
export function ruleFor(env: Pick<Env, "RATE_LIMITS">, cls: RateLimitClass): RateLimitRule {
  if (!env.RATE_LIMITS) return RULES[cls];
  try {
    const r = (JSON.parse(env.RATE_LIMITS) as Partial<Record<RateLimitClass, Partial<RateLimitRule>>>)[cls];
    if (r && Number(r.ratePerSecond) > 0 && Number(r.burst) >= 1) return { ratePerSecond: Number(r.ratePerSecond), burst: Number(r.burst) };
  } catch {
    // fall through to the default
  }
  return RULES[cls];
}

/** How long an isolate keeps leased allowance before giving back what it did not use. */
export const LEASE_TTL_MS = 1_000;
/** Keys an isolate remembers at most (source addresses come and go). */
const MAX_LEASES = 10_000;

/**
 * How many requests an isolate leases at once: half a second of the sustained rate, at most a quarter of
 * the burst, at least one. Across isolates, at most `isolates × leaseSize` is out on lease at any moment.
 */
export function leaseSize(rule: RateLimitRule): number {
  return Math.max(1, Math.min(Math.ceil(rule.ratePerSecond * 0.5), Math.floor(rule.burst / 4)));
}

interface Lease {
  remaining: number;
  expiresAt: number;
  /** Set when the limiter refused: until then, refused locally without asking again. */
  deniedUntil: number;
  pending: Promise<void> | undefined;
}

export type Admission = { admitted: true } | { admitted: false; retryAfterSeconds: number };

type LimiterStub = Pick<ObjectStub<RateLimiter>, "lease">;

/**
 * One isolate's leases (SPEC S-3). Requests are admitted from local allowance; only an empty or ended
 * lease costs a round trip to the RateLimiter, and concurrent requests of one key share that trip.
 */
export class RateLeases {
  private readonly leases = new Map<string, Lease>();

  async admit(stub: () => LimiterStub, cls: string, key: string, rule: RateLimitRule): Promise<Admission> {
    // The rule is part of the key: a changed limit takes effect with the next lease, not after this one.
    const id = `${cls}\u0000${key}\u0000${rule.ratePerSecond}\u0000${rule.burst}`;
    let lease = this.leases.get(id);
    if (!lease) {
      if (this.leases.size >= MAX_LEASES) this.leases.delete(this.leases.keys().next().value!);
      lease = { remaining: 0, expiresAt: 0, deniedUntil: 0, pending: undefined };
      this.leases.set(id, lease);
    }
    for (;;) {
      const now = Date.now();
      if (now < lease.expiresAt && lease.remaining > 0) {
        lease.remaining--;
        return { admitted: true };
      }
      if (now < lease.deniedUntil) return { admitted: false, retryAfterSeconds: Math.max(1, Math.ceil((lease.deniedUntil - now) / 1000)) };
      lease.pending ??= this.renew(lease, stub(), cls, rule);
      await lease.pending;
    }
  }

  private async renew(lease: Lease, stub: LimiterStub, cls: string, rule: RateLimitRule): Promise<void> {
    try {
      // What an ended lease did not use goes back; an unended one is simply empty.
      const giveBack = Date.now() >= lease.expiresAt ? lease.remaining : 0;
      lease.remaining = 0;
      const grant = await stub.lease(cls, rule, leaseSize(rule), giveBack);
      const now = Date.now();
      lease.remaining = grant.granted;
      lease.expiresAt = now + LEASE_TTL_MS;
      // Refusals are remembered briefly (at most a lease's length), then the limiter is asked again.
      lease.deniedUntil = grant.granted > 0 ? 0 : now + Math.min(Math.max(grant.retryAfterMs, 1), LEASE_TTL_MS);
    } finally {
      lease.pending = undefined;
    }
  }
}

const isolateLeases = new RateLeases();

/** undefined when allowed; otherwise the 429 to send (RFC 6585 §4, Retry-After in seconds). */
export async function rateLimit(env: Pick<Env, "RATE_LIMITER" | "RATE_LIMITS" | "DO_JURISDICTION" | "DEPLOYMENT_ENV">, cls: RateLimitClass, key: string): Promise<Response | undefined> {
  const stub = () => {
    const ns = placed(env, env.RATE_LIMITER);
    return ns.get(ns.idFromName(`${cls}:${key}`));
  };
  const decision = await isolateLeases.admit(stub, cls, key, ruleFor(env, cls));
  if (decision.admitted) return undefined;
  return new Response("Too Many Requests\n", {
    status: 429,
    headers: { "retry-after": String(decision.retryAfterSeconds), "content-type": "text/plain; charset=utf-8", "cache-control": "no-store" },
  });
}

/** The client's address as the edge saw it; never a header the client can set on its own. */
export function sourceAddress(request: Request): string {
  return request.headers.get("cf-connecting-ip") ?? "unknown";
}
