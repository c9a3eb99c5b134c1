import pg from "pg";
import { logger } from "../observability/logger.js";

/**
 * The server's connection pool, logged in as the authenticator. Connections
 * that die while idle (a database restart) are dropped and replaced on the
 * next checkout, so the server recovers by itself once the database is back.
 */
export function createAuthenticatorPool(connectionString: string, max = 10): pg.Pool {
  const pool = new pg.Pool({
    connectionString,
    max,
    connectionTimeoutMillis: 5_000,
    idleTimeoutMillis: 30_000,
  });
  pool.on("error", (error) => {
    logger.warn({ err: error }, "database connection lost");
  });
  return pool;
}
