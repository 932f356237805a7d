/**
 * RateLimiter: one object per key (a client hostname or a source address), a token bucket per
 * endpoint class (SPEC S-3: rate limiting of guessing; RFC 6819 §5.1.4.2.3).
 *
 * State is kept in memory on purpose: a limiter must answer in microseconds and one write per
 * request would dominate the cost. If the object is evicted the bucket starts full again, which only
 * ever errs towards letting a burst through, never towards refusing a legitimate client.
 */
import { DurableObject } from "cloudflare:workers";

export interface RateLimitRule {
  /** Sustained requests per second. */
  readonly ratePerSecond: number;
  /** Bucket size: the burst allowed on top of the sustained rate. */
  readonly burst: number;
}

export type RateLimitDecision = { allowed: true } | { allowed: false; retryAfterSeconds: number };

interface Bucket {
  tokens: number;
  at: number;
}

export class RateLimiter extends DurableObject {
  private readonly buckets = new Map<string, Bucket>();

  async take(bucket: string, rule: RateLimitRule): Promise<RateLimitDecision> {
    const now = Date.now();
    const b = this.buckets.get(bucket) ?? { tokens: rule.burst, at: now };
    // A clock that steps backwards refills nothing (and never drains the bucket).
    b.tokens = Math.min(rule.burst, b.tokens + (Math.max(0, now - b.at) / 1000) * rule.ratePerSecond);
    b.at = now;
    this.buckets.set(bucket, b);
    if (b.tokens >= 1) {
      b.tokens -= 1;
      return { allowed: true };
    }
    return { allowed: false, retryAfterSeconds: Math.max(1, Math.ceil((1 - b.tokens) / rule.ratePerSecond)) };
  }
}
