import type pg from "pg";

/**
 * The advisory lock keys of auth-db's start-up steps: any fixed 64-bit
 * numbers no other tool in the database uses (graphile-migrate's own lock is
 * 4727445306447283, graphile-worker's are derived from its schema name).
 */
const LOCK_KEYS = {
  /** Creating roles and the database, on the root connection. */
  setup: 7_415_620_331_001n,
  /** Applying migrations, on the database being migrated. */
  migrate: 7_415_620_331_002n,
} as const;

/**
 * Runs `step` while holding a session-level advisory lock on `client`, so
 * processes doing the same step on the same database wait for each other
 * instead of failing halfway. The lock ends with the step (or with the
 * session, should the process die).
 */
export async function takingTurns<T>(client: pg.Client, step: keyof typeof LOCK_KEYS, work: () => Promise<T>): Promise<T> {
  const key = LOCK_KEYS[step].toString();
  await client.query("select pg_advisory_lock($1::bigint)", [key]);
  try {
    return await work();
  } finally {
    await client.query("select pg_advisory_unlock($1::bigint)", [key]);
  }
}
