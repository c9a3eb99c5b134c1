import type { NextFunction, Request, Response } from "express";

const UNAVAILABLE_CODES = new Set(["ECONNREFUSED", "ECONNRESET", "ETIMEDOUT", "57P01", "57P02", "57P03", "08000", "08003", "08006"]);

/** Whether an error means "the database cannot be reached right now" rather than a bug. */
export function isDatabaseUnavailable(error: unknown): boolean {
  const code = (error as { code?: unknown } | null)?.code;
  if (typeof code === "string" && UNAVAILABLE_CODES.has(code)) return true;
  return error instanceof Error && /timeout exceeded when trying to connect|Connection terminated/i.test(error.message);
}

/** Last express handler: JSON errors, 503 while the database is away, 500 (logged) otherwise. */
export function errorHandler(error: unknown, _req: Request, res: Response, next: NextFunction): void {
  if (res.headersSent) return next(error);
  if (isDatabaseUnavailable(error)) {
    res.status(503).set("Retry-After", "5").json({ errors: [{ message: "database unavailable", extensions: { code: "DATABASE_UNAVAILABLE" } }] });
    return;
  }
  console.error("unhandled request error:", error);
  res.status(500).json({ errors: [{ message: "internal error", extensions: { code: "INTERNAL" } }] });
}
