/**
 * Rate limits per endpoint class (S-3), enforced by the RateLimiter Durable Object for the key.
 * Keys are a client hostname (back channel, after the certificate check) or the source address
 * (front channel). The numbers are per key and generous for honest use.
 */
import type { RateLimitRule } from "../../durable-objects/rate-limiter.ts";
import { placed } from "../shared/durable/placement.ts";
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

/** undefined when allowed; otherwise the 429 to send (RFC 6585 §4, Retry-After in seconds). */
export async function rateLimit(env: Pick<Env, "RATE_LIMITER" | "RATE_LIMITS" | "DO_JURISDICTION" | "DEPLOYMENT_ENV">, cls: RateLimitClass, key: string): Promise<Response | undefined> {
  const ns = placed(env, env.RATE_LIMITER);
  const stub = ns.get(ns.idFromName(`${cls}:${key}`));
  const decision = await stub.take(cls, ruleFor(env, cls));
  if (decision.allowed) return undefined;
  return new Response("Too Many Requests\n", {
    status: 429,
    headers: { "retry-after": String(decision.retryAfterSeconds), "content-type": "text/plain; charset=utf-8", "cache-control": "no-store" },
  });
}

/** The client's address as the edge saw it; never a header the client can set on its own. */
export function sourceAddress(request: Request): string {
  return request.headers.get("cf-connecting-ip") ?? "unknown";
}
