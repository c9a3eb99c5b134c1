import pg from "pg";
import { logger } from "../observability/logger.js";

/**
 * The server's connection pool, logged in as the authenticator. Connections
 * that die while idle (a database restart) are dropped and replaced on the
 * next checkout, so the server recovers by itself once the database is back.
 * Its clients pipeline: queries issued together are sent without waiting for
 * each other's answers, so a request's begin, statement and commit take one
 * round trip
 * (src/db/request-transaction.ts).
 */
export function createAuthenticatorPool(connectionString: string, max: number): pg.Pool {
  const pool = new pg.Pool({
    connectionString,
    max,
    pipeline: true,
    options: withJitOptimizationOff(connectionString),
    connectionTimeoutMillis: 5_000,
    idleTimeoutMillis: 30_000,
  });
  pool.on("error", (error) => {
    logger.warn({ err: error }, "database connection lost");
  });
  return pool;
}

/**
 * The connection's startup options with JIT optimization off, as
 * PostGraphile's stock adaptor sets on each of its connections (it costs far
 * more than Grafast's short queries ever save); as a startup option it takes
 * no round trip. Options given in the URL are kept.
 */
function withJitOptimizationOff(connectionString: string): string {
  const given = new URL(connectionString).searchParams.get("options");
  return [given, "-c jit_optimize_above_cost=-1"].filter(Boolean).join(" ");
}
