/**
 * X-9, S-3: starting a login ceremony (a passkey's options, an OIDC login) stores a single-use row before anyone is
 * logged in, so it is limited per source address: a Person's pace is a few starts a minute, a script's is not.
 * RATE_LIMITS tunes it per deployment (`{"login":{"ratePerSecond":1,"burst":50}}`), as it tunes the DVZA's classes.
 */
import type { MiddlewareHandler } from "hono";
import type { RateLimitRule } from "../../../durable-objects/rate-limiter.ts";
import { errorPage } from "../../shared/html/page.ts";
import { log } from "../../shared/log.ts";
import { admission, ruleFrom, sourceAddress } from "../../shared/rate-limit.ts";
import { jsonAnswer, type DvpApp } from "../http.ts";

/** 20 starts at once, then one every 5 seconds, per source address. */
export const LOGIN_START: RateLimitRule = { ratePerSecond: 0.2, burst: 20 };

/** The routes that start a ceremony before login; `json`: answered to the PGO's own script. */
export const CEREMONY_STARTS: readonly { path: string; json: boolean }[] = [
  { path: "/passkey/register/options", json: true },
  { path: "/passkey/login/options", json: true },
  { path: "/login/oidc", json: false },
];

export function loginStartLimit(json: boolean): MiddlewareHandler<DvpApp> {
  return async (c, next) => {
    if (c.req.method !== "POST") return next();
    const decision = await admission(c.env, "login", sourceAddress(c.req.raw), ruleFrom(c.env.RATE_LIMITS, "login", LOGIN_START));
    if (decision.admitted) return next();
    const retryAfter = String(decision.retryAfterSeconds);
    // The address is personal data (NEN 7513 keeps it, the operational log does not).
    log("warn", "login.rate_limited", { path: c.req.path });
    const message = `Te veel pogingen om in te loggen. Probeer het over ${retryAfter} seconden opnieuw.`;
    return json ? jsonAnswer({ error: message }, 429, { "retry-after": retryAfter }) : errorPage(429, "Te veel pogingen", message, { "retry-after": retryAfter });
  };
}
