import cors from "cors";
import type { NextFunction, Request, Response } from "express";
import { refuse } from "./refusal.js";

/**
 * Browsers may call from the configured origins only (`*`: any). A request
 * from another origin is refused with 403 ORIGIN_NOT_ALLOWED instead of
 * being served without CORS headers.
 */
export function corsPolicy(origins: string[]) {
  const any = origins.includes("*");
  const allowed = (origin: string) => any || origins.includes(origin);
  const withHeaders = cors({
    origin: (origin, callback) => callback(null, origin === undefined || allowed(origin)),
    allowedHeaders: ["authorization", "content-type", "accept", "x-api-key", "x-request-id", "traceparent"],
    exposedHeaders: ["x-request-id"],
    maxAge: 600,
  });
  return (req: Request, res: Response, next: NextFunction): void => {
    const origin = req.headers.origin;
    if (origin !== undefined && !allowed(origin)) {
      return refuse(res, 403, "ORIGIN_NOT_ALLOWED", `origin ${origin} is not allowed (CORS_ORIGINS)`);
    }
    withHeaders(req, res, next);
  };
}
