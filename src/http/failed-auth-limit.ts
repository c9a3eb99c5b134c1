import type { NextFunction, Request, Response } from "express";
import { RateLimiterMemory } from "rate-limiter-flexible";
import { refuse } from "./refusal.js";

const WINDOW_SECONDS = 60;

/** The recognisable prefix of a presented API key (never more of it). */
function apiKeyPrefix(req: Request): string | undefined {
  const header = req.headers["x-api-key"];
  const fromHeader = Array.isArray(header) ? header[0] : header;
  const fromAuthorization = /^apikey\s+(\S+)/i.exec(req.headers.authorization ?? "")?.[1];
  const key = fromHeader ?? fromAuthorization;
  return key ? key.slice(0, 10) : undefined;
}

function keysOf(req: Request): string[] {
  const prefix = apiKeyPrefix(req);
  return [`ip:${req.ip ?? "unknown"}`, ...(prefix ? [`key:${prefix}`] : [])];
}

/**
 * Brute-force brakes: once an ip, or an API key prefix, has failed
 * authentication `perMinute` times within a minute, its requests are refused
 * with 429 TOO_MANY_FAILED_AUTHENTICATIONS until the minute is over. Only
 * failures (401) are counted, when they happen, so any number of
 * concurrent valid requests pass. The counts are per process.
 */
export function failedAuthenticationLimits(perMinute: number) {
  const failures = new RateLimiterMemory({ points: perMinute, duration: WINDOW_SECONDS });
  return async (req: Request, res: Response, next: NextFunction): Promise<void> => {
    const keys = keysOf(req);
    for (const key of keys) {
      const state = await failures.get(key);
      if (state && state.consumedPoints >= perMinute) {
        const retryAfter = String(Math.max(1, Math.ceil(state.msBeforeNext / 1000)));
        return refuse(res, 429, "TOO_MANY_FAILED_AUTHENTICATIONS", "too many failed authentications; try again later", {
          "Retry-After": retryAfter,
        });
      }
    }
    res.on("finish", () => {
      if (res.statusCode === 401) for (const key of keys) failures.penalty(key, 1).catch(() => undefined);
    });
    next();
  };
}
