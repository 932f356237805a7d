/**
 * Rate limits per endpoint class (S-3), enforced by the RateLimiter Durable Object for the key.
 * Keys are a client hostname (back channel, after the certificate check) or the source address
 * (front channel). The numbers are per key and generous for honest use.
 */
import type { RateLimitRule } from "../../durable-objects/rate-limiter.ts";
import { limitedBy, ruleFrom } from "../shared/rate-limit.ts";
import type { Env } from "./env.ts";

export const RULES = {
  /** Front channel, per source address: a Person clicks, a script hammers. */
  authorize: { ratePerSecond: 5, burst: 60 },
  /** Per client: a DVP redeems one code per authorization; bursts come from many Persons at once. */
  token: { ratePerSecond: 50, burst: 200 },
  /** Per client: one authorization fans out into dozens of FHIR searches. */
  resource: { ratePerSecond: 200, burst: 1000 },
} as const satisfies Record<string, RateLimitRule>;

export type RateLimitClass = keyof typeof RULES;

/** An operator may tune the rules per deployment with RATE_LIMITS (shared/rate-limit.ts ruleFrom). */
export function ruleFor(env: Pick<Env, "RATE_LIMITS">, cls: RateLimitClass): RateLimitRule {
  return ruleFrom(env.RATE_LIMITS, cls, RULES[cls]);
}

/** undefined when allowed; otherwise the 429 to send (RFC 6585 §4, Retry-After in seconds). */
export function rateLimit(env: Pick<Env, "RATE_LIMITER" | "RATE_LIMITS" | "DO_JURISDICTION" | "DEPLOYMENT_ENV">, cls: RateLimitClass, key: string): Promise<Response | undefined> {
  return limitedBy(env, cls, key, ruleFor(env, cls));
}
