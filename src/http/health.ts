import type { Request, Response } from "express";
import type pg from "pg";

export interface HealthReport {
  status: "ok" | "error";
  info: { database: { status: "up" | "down" } };
}

const CHECK_TIMEOUT_MS = 3000;

/** Asks the database for `select 1`, giving up after a few seconds. */
async function databaseIsUp(pool: pg.Pool): Promise<boolean> {
  let timer: NodeJS.Timeout | undefined;
  const timeout = new Promise<never>((_, reject) => {
    timer = setTimeout(() => reject(new Error("no answer within 3s")), CHECK_TIMEOUT_MS);
  });
  try {
    await Promise.race([pool.query("select 1"), timeout]);
    return true;
  } catch {
    return false;
  } finally {
    clearTimeout(timer);
  }
}

/**
 * GET /health: 200 while the database answers, 503 while it does not. Each
 * call asks afresh through the pool, so the answer recovers by itself once
 * the database is back.
 */
export function healthHandler(pool: pg.Pool) {
  return async (_req: Request, res: Response): Promise<void> => {
    const up = await databaseIsUp(pool);
    const report: HealthReport = {
      status: up ? "ok" : "error",
      info: { database: { status: up ? "up" : "down" } },
    };
    res.status(up ? 200 : 503).json(report);
  };
}
