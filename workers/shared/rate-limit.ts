/**
 * Rate limiting by leases (SPEC S-3), shared by the roles that limit: the DVZA (authorize, token, resource) and the
 * DVP (the start of a login ceremony, X-9). The RateLimiter Durable Object of a key holds its bucket; an isolate
 * leases allowance from it and admits requests locally until the lease is used or ends.
 */
import type { RateLimiter, RateLimitRule } from "../../durable-objects/rate-limiter.ts";
import { placed } from "./durable/placement.ts";
import type { ObjectNamespace, ObjectStub } from "./ports.ts";

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

/**
 * `rules[cls]`, unless RATE_LIMITS (JSON, e.g. `{"token":{"ratePerSecond":100,"burst":400}}`) tunes it for this
 * deployment; a malformed or partial value keeps the default.
 */
export function ruleFrom(tuning: string | undefined, cls: string, fallback: RateLimitRule): RateLimitRule {
  if (!tuning) return fallback;
  try {
    const r = (JSON.parse(tuning) as Partial<Record<string, Partial<RateLimitRule>>>)[cls];
    if (r && Number(r.ratePerSecond) > 0 && Number(r.burst) >= 1) return { ratePerSecond: Number(r.ratePerSecond), burst: Number(r.burst) };
  } catch {
    // fall through to the default
  }
  return fallback;
}

/** Whether the RateLimiter of `cls:key` admits one more request now (through this isolate's lease). */
export function admission(
  env: { RATE_LIMITER: ObjectNamespace<RateLimiter>; DO_JURISDICTION?: string; DEPLOYMENT_ENV?: string },
  cls: string,
  key: string,
  rule: RateLimitRule,
): Promise<Admission> {
  const stub = () => {
    const ns = placed(env, env.RATE_LIMITER);
    return ns.get(ns.idFromName(`${cls}:${key}`));
  };
  return isolateLeases.admit(stub, cls, key, rule);
}

/** undefined when allowed; otherwise the 429 to send (RFC 6585 §4, Retry-After in seconds). */
export async function limitedBy(
  env: { RATE_LIMITER: ObjectNamespace<RateLimiter>; DO_JURISDICTION?: string; DEPLOYMENT_ENV?: string },
  cls: string,
  key: string,
  rule: RateLimitRule,
): Promise<Response | undefined> {
  const decision = await admission(env, cls, key, rule);
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
