import type { NextFunction, Request, Response } from "express";
import { RateLimiterMemory } from "rate-limiter-flexible";
import { clientKeyOf } from "../net/client-key.js";
import { refuse } from "./refusal.js";

const WINDOW_SECONDS = 60;

/**
 * What a failing client is counted by: its address (express's req.ip, so
 * behind TRUST_PROXY the forwarded one), an IPv6 one by its /64 (one host
 * can rotate through its /64, see clientKeyOf). Never by anything it merely
 * presents, like an API key's prefix: that is public (lists, logs) and
 * anyone can send it, so counting by it would let anyone lock a valid key
 * out for everyone.
 */
function counterOf(req: Request): string {
  return `ip:${clientKeyOf(req.ip) ?? req.ip ?? "unknown"}`;
}

/**
 * Brute-force brakes: once an address has failed authentication `perMinute`
 * times within a minute (an IPv6 address: its /64), its requests are refused with 429
 * TOO_MANY_FAILED_AUTHENTICATIONS until the minute is over; other addresses
 * are not affected, even when they present the same key. Only failures
 * (401) are counted, when they happen, so any number of concurrent valid
 * requests pass. The counts are per process.
 */
export function failedAuthenticationLimits(perMinute: number) {
  const failures = new RateLimiterMemory({ points: perMinute, duration: WINDOW_SECONDS });
  return async (req: Request, res: Response, next: NextFunction): Promise<void> => {
    const counter = counterOf(req);
    const state = await failures.get(counter);
    if (state && state.consumedPoints >= perMinute) {
      const retryAfter = String(Math.max(1, Math.ceil(state.msBeforeNext / 1000)));
      return refuse(res, 429, "TOO_MANY_FAILED_AUTHENTICATIONS", "too many failed authentications; try again later", {
        "Retry-After": retryAfter,
      });
    }
    res.on("finish", () => {
      if (res.statusCode === 401) failures.penalty(counter, 1).catch(() => undefined);
    });
    next();
  };
}
