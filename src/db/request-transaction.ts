import pg from "pg";

/**
 * The one message that opens a request's transaction and applies its
 * settings (role, jwt.claims.*, request.*): `begin; select set_config(…,
 * true), …` as a simple query, the values as escaped literals. One round
 * trip where begin and a parameterized set_config take two.
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
 * Runs `work` in one transaction with a request's settings applied, in
 * three round trips: begin with the settings, the work, commit. GraphQL
 * requests (src/graphql/request-pg-adaptor.ts) and the queries auth-db
 * makes before handing over to PostGraphile all run this way.
 */
export async function withRequestSettings<T>(
  pool: pg.Pool,
  settings: Record<string, string>,
  work: (client: pg.PoolClient) => Promise<T>,
): Promise<T> {
  const client = await pool.connect();
  try {
    await client.query(beginWithSettingsSql(settings));
    const result = await work(client);
    await client.query("commit");
    return result;
  } catch (error) {
    await client.query("rollback").catch(() => undefined);
    throw error;
  } finally {
    client.release();
  }
}
