import type { DatabaseConfig } from "../config/config.js";
import { logger } from "../observability/logger.js";
import { withClient } from "./client.js";

/**
 * Whether the serving processes' pools fit in the connections the database
 * grants ordinary roles (max_connections less the slots reserved for
 * superusers and pg_use_reserved_connections). Pools open connections only
 * as load needs them, so an overrun passes every quiet test and then fails
 * requests with "too many clients" at the first busy moment: it is said at
 * the start instead. Undefined when the pools fit.
 */
export async function connectionBudgetProblem(database: DatabaseConfig, processes: number): Promise<string | undefined> {
  const available = await withClient(database.ownerUrl, async (client) => {
    const { rows } = await client.query<{ available: number }>(
      `select current_setting('max_connections')::int
                - current_setting('superuser_reserved_connections')::int
                - coalesce(current_setting('reserved_connections', true)::int, 0) as available`,
    );
    return rows[0]!.available;
  });
  const wanted = processes * database.poolSize;
  if (wanted <= available) return undefined;
  return (
    `${processes} serving process${processes === 1 ? "" : "es"} (WEB_CONCURRENCY) × DATABASE_POOL_SIZE ${database.poolSize} = ` +
    `${wanted} connections, more than the ${available} the database grants ordinary roles: under load, requests will fail ` +
    "with \"too many clients\". Lower WEB_CONCURRENCY or DATABASE_POOL_SIZE, or raise the database's max_connections."
  );
}

/** Logs connectionBudgetProblem as a warning, once per start. */
export async function warnAboutConnectionBudget(database: DatabaseConfig, processes: number): Promise<void> {
  const problem = await connectionBudgetProblem(database, processes);
  if (problem) logger.warn(problem);
}
