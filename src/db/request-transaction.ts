import type pg from "pg";

/**
 * Runs `work` in one transaction with a request's settings (role,
 * jwt.claims.*, request.*) applied, the way PostGraphile runs a GraphQL
 * request, for the queries auth-db makes before handing over to it.
 */
export async function withRequestSettings<T>(
  pool: pg.Pool,
  settings: Record<string, string>,
  work: (client: pg.PoolClient) => Promise<T>,
): Promise<T> {
  const client = await pool.connect();
  try {
    await client.query("begin");
    await client.query("select set_config(el->>0, el->>1, true) from json_array_elements($1::json) el", [
      JSON.stringify(Object.entries(settings)),
    ]);
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
