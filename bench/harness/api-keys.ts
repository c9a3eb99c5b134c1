import type { TestDatabase } from "../../test/helpers/database.js";
import { issueKey } from "../../src/ops/api-keys.js";

/** The benchmark service's key: the operator path (`npm run api-key -- create`), users:read only. */
export async function issueBenchKey(db: TestDatabase): Promise<string> {
  const issued = await db.asOwner((client) =>
    issueKey(client, { name: "bench service", serviceName: "bench", tier: "system", permissions: ["users:read"] }),
  );
  return issued.key;
}

export async function countApiKeys(db: TestDatabase): Promise<number> {
  return db.asOwner(async (client) => {
    const { rows } = await client.query<{ n: number }>("select count(*)::int as n from auth.api_keys");
    return rows[0]!.n;
  });
}

/**
 * Adds keys until the table holds `total`. They are stored as real ones are
 * (a SHA-256 and a prefix) but nobody knows their secrets; only their number
 * matters. Loaded as the superuser with triggers off
 * (session_replication_role = replica): the audit trigger would otherwise
 * write and later chain a million audit rows, which is not what this
 * scenario measures.
 */
export async function fillApiKeys(db: TestDatabase, total: number): Promise<void> {
  const have = await countApiKeys(db);
  if (have >= total) return;
  await db.asRoot(async (client) => {
    await client.query("set session_replication_role = replica");
    // In hash order, so the unique index on key_hash fills by appending rather than by random page splits.
    await client.query(
      `insert into auth.api_keys (name, key_hash, key_prefix, service_name, tier, permissions)
       select 'bench filler ' || i, h, 'adb_fill', 'bench-filler', 'service', '[]'
         from generate_series($1::int, $2::int) as i,
              lateral (select sha256(convert_to('bench-filler-' || i, 'UTF8')) as h) as hashed
        order by h`,
      [have + 1, total],
    );
    await client.query("analyze auth.api_keys");
  });
}
