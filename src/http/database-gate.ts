import type { NextFunction, Request, Response } from "express";
import type { DatabaseAvailability } from "../db/availability.js";
import { refuse } from "./refusal.js";

/** While the database is known to be away, answers 503 at once rather than letting requests wait for it. */
export function databaseGate(availability: DatabaseAvailability) {
  return (_req: Request, res: Response, next: NextFunction): void => {
    if (availability.isDown) return refuse(res, 503, "DATABASE_UNAVAILABLE", "database unavailable", { "Retry-After": "1" });
    next();
  };
}
