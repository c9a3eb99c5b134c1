import type { Request } from "express";
import { ipKeyGenerator, rateLimit } from "express-rate-limit";
import { refuse } from "./refusal.js";

/** The recognisable prefix of a presented API key (never more of it). */
function apiKeyPrefix(req: Request): string | undefined {
  const header = req.headers["x-api-key"];
  const fromHeader = Array.isArray(header) ? header[0] : header;
  const fromAuthorization = /^apikey\s+(\S+)/i.exec(req.headers.authorization ?? "")?.[1];
  const key = fromHeader ?? fromAuthorization;
  return key ? key.slice(0, 10) : undefined;
}

/**
 * Brute-force brakes: once an ip, or an API key prefix, has failed
 * authentication `perMinute` times within a minute, its requests are refused
 * with 429 TOO_MANY_FAILED_AUTHENTICATIONS until the minute is over. Only
 * failures (401) count. The counts are per process.
 */
export function failedAuthenticationLimits(perMinute: number) {
  const common = {
    windowMs: 60_000,
    limit: perMinute,
    standardHeaders: "draft-7" as const,
    legacyHeaders: false,
    skipSuccessfulRequests: true,
    requestWasSuccessful: (_req: Request, res: { statusCode: number }) => res.statusCode !== 401,
    handler: (_req: Request, res: import("express").Response) =>
      refuse(res, 429, "TOO_MANY_FAILED_AUTHENTICATIONS", "too many failed authentications; try again later"),
  };
  return [
    rateLimit({ ...common, keyGenerator: (req) => `ip:${ipKeyGenerator(req.ip ?? "unknown")}` }),
    rateLimit({
      ...common,
      skip: (req) => apiKeyPrefix(req) === undefined,
      keyGenerator: (req) => `key:${apiKeyPrefix(req)}`,
    }),
  ];
}
