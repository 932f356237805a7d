/**
 * RateLimiter: one object per key (a client hostname or a source address), a token bucket per endpoint
 * class (SPEC S-3: rate limiting of guessing; RFC 6819 §5.1.4.2.3). It is the authority over the allowance;
 * isolates do not ask it per request but lease a small batch of allowance, spend it locally and give back
 * what they did not use when the lease ends (workers/dvza/rate-limit.ts). Admitted requests therefore never
 * exceed the bucket's rate and burst plus what is out on lease at that moment.
 *
 * State is kept in memory on purpose: a limiter must answer in microseconds and one write per lease would
 * dominate the cost. If the object is evicted its buckets start full again, which only ever errs towards
 * letting a burst through, never towards refusing a legitimate client.
 */
import { DurableObject } from "cloudflare:workers";

export interface RateLimitRule {
  /** Sustained requests per second. */
  readonly ratePerSecond: number;
  /** Bucket size: the burst allowed on top of the sustained rate. */
  readonly burst: number;
}

export interface LeaseGrant {
  /** Requests the caller may admit on its own until its lease ends; 0 when the bucket is empty. */
  readonly granted: number;
  /** When nothing was granted: how long until the bucket holds one request again. */
  readonly retryAfterMs: number;
}

interface Bucket {
  tokens: number;
  at: number;
}

export class RateLimiter extends DurableObject {
  private readonly buckets = new Map<string, Bucket>();

  /**
   * Take up to `want` requests' worth of allowance, after crediting `giveBack` unused ones from an ended
   * lease. A request that finds no allowance learns when one will be there (Retry-After, RFC 6585 §4).
   */
  async lease(bucket: string, rule: RateLimitRule, want: number, giveBack: number): Promise<LeaseGrant> {
    const now = Date.now();
    const b = this.buckets.get(bucket) ?? { tokens: rule.burst, at: now };
    // A clock that steps backwards refills nothing (and never drains the bucket).
    b.tokens = Math.min(rule.burst, b.tokens + (Math.max(0, now - b.at) / 1000) * rule.ratePerSecond + Math.max(0, giveBack));
    b.at = now;
    this.buckets.set(bucket, b);
    const granted = Math.max(0, Math.min(Math.floor(want), Math.floor(b.tokens)));
    b.tokens -= granted;
    return { granted, retryAfterMs: granted > 0 ? 0 : Math.ceil(((1 - b.tokens) / rule.ratePerSecond) * 1000) };
  }
}
