import pg from "pg";

/**
 * The one message that opens a request's transaction and applies its
 * settings (role, jwt.claims.*, request.*): `begin; select set_config(…,
 * true), …` as a simple query, the values as escaped literals. One message
 * where begin and a parameterized set_config take two.
 */
export function beginWithSettingsSql(settings: Record<string, string>): string {
  const entries = Object.entries(settings);
  for (const [name, value] of entries) {
    // A simple query ends at a NUL byte; PostgreSQL text cannot hold one anyway.
    if (name.includes("\0") || value.includes("\0")) throw new Error(`setting ${JSON.stringify(name)}: contains a NUL byte`);
  }
  if (entries.length === 0) return "begin";
  const calls = entries.map(([name, value]) => `set_config(${pg.escapeLiteral(name)}, ${pg.escapeLiteral(value)}, true)`);
  return `begin; select ${calls.join(", ")}`;
}

/**
 * Runs one statement in a transaction of its own with a request's settings:
 * begin with the settings, the statement, commit. On a pipelining client
 * (the authenticator pool's, src/db/pool.ts) the three are sent one after
 * another without waiting for answers, so they take one round trip.
 *
 * The statement never runs without the settings: if they fail, the
 * transaction block is already open and aborted, so PostgreSQL refuses the
 * statement, and commit ends it as a rollback. A statement that fails rolls
 * back the same way. The result is returned only once commit succeeded.
 */
export async function queryInRequestTransaction<R extends pg.QueryResultRow = pg.QueryResultRow>(
  client: pg.ClientBase,
  settings: Record<string, string>,
  statement: pg.QueryConfig,
): Promise<pg.QueryResult<R>> {
  const [, ran] = await allInSendingOrder<pg.QueryResult<R>>([
    client.query(beginWithSettingsSql(settings)),
    client.query<R>(statement),
    client.query("commit"),
  ]);
  return ran!;
}

/**
 * Waits for queries issued together on one pipelining client and fails
 * with the error of the first that failed, in the order they were sent:
 * the cause, not the refusals it led to further down the pipeline.
 */
export async function allInSendingOrder<T>(queries: Promise<T>[]): Promise<T[]> {
  const settled = await Promise.allSettled(queries);
  const failed = settled.find((outcome) => outcome.status === "rejected");
  if (failed) throw failed.reason;
  return settled.map((outcome) => (outcome as PromiseFulfilledResult<T>).value);
}

/**
 * One statement with a request's settings on a connection of `pool`, in a
 * transaction of its own (queryInRequestTransaction). Every query auth-db
 * makes on a caller's behalf outside PostGraphile runs this way.
 */
export async function queryWithRequestSettings<R extends pg.QueryResultRow = pg.QueryResultRow>(
  pool: pg.Pool,
  settings: Record<string, string>,
  statement: pg.QueryConfig,
): Promise<pg.QueryResult<R>> {
  const client = await pool.connect();
  try {
    return await queryInRequestTransaction<R>(client, settings, statement);
  } finally {
    client.release();
  }
}
