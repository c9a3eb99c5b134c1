import { readdirSync } from "node:fs";
import { migrate, reset } from "../../src/db/migrations.js";
import { provisionDatabase } from "../../src/db/provision.js";
import { dropDatabase } from "../../src/db/setup.js";
import { withClient } from "../../src/db/client.js";
import { createTestDatabase, testConfig, type TestDatabase } from "../helpers/database.js";

/** How many migrations graphile-migrate has recorded as applied to the database at `ownerUrl`. */
function appliedMigrations(ownerUrl: string): Promise<number> {
  return withClient(ownerUrl, async (client) =>
    (await client.query("select count(*)::int as n from graphile_migrate.migrations")).rows[0].n,
  );
}

/** Tables, columns, constraints and indexes of the auth schema, as text to compare. */
async function schemaFingerprint(db: TestDatabase): Promise<string[]> {
  return db.asOwner(async (client) => {
    const { rows } = await client.query<{ item: string }>(`
      select format('column %s.%s %s %s', table_name, column_name, data_type, is_nullable) as item
        from information_schema.columns where table_schema = 'auth'
      union all
      select format('constraint %s %s', conname, pg_get_constraintdef(oid))
        from pg_constraint where connamespace = 'auth'::regnamespace
      union all
      select format('index %s', indexdef) from pg_indexes where schemaname = 'auth'
      order by 1`);
    return rows.map((row) => row.item);
  });
}

let db: TestDatabase;
beforeAll(async () => {
  db = await createTestDatabase();
});
afterAll(async () => {
  await db?.drop();
});

test("committed migrations create every auth table on an empty database", async () => {
  const tables = await db.asOwner(async (client) => {
    const { rows } = await client.query<{ relname: string }>(
      `select relname from pg_class
        where relnamespace = 'auth'::regnamespace and relkind in ('r', 'p') and not relispartition
        order by relname`,
    );
    return rows.map((row) => row.relname);
  });
  expect(tables).toEqual([
    "api_keys",
    "audit_chain_head",
    "audit_logs",
    "job_runs",
    "partition_policies",
    "permissions",
    "role_permissions",
    "roles",
    "security_events",
    "user_roles",
    "users",
  ]);
});

test("migrating an up-to-date database changes nothing", async () => {
  const before = await schemaFingerprint(db);
  const appliedBefore = await appliedMigrations(db.config.database.ownerUrl);

  await migrate(db.config.database);

  expect(await appliedMigrations(db.config.database.ownerUrl)).toBe(appliedBefore);
  expect(await schemaFingerprint(db)).toEqual(before);
});

test("resetting rebuilds the identical schema from scratch", async () => {
  const before = await schemaFingerprint(db);

  await reset(db.config.database);

  expect(await schemaFingerprint(db)).toEqual(before);
});

test("instances starting together on a new database all come up, and each migration is applied once", async () => {
  const { database } = testConfig();
  const committed = readdirSync("migrations/committed").filter((file) => file.endsWith(".sql")).length;
  try {
    await Promise.all([provisionDatabase(database), provisionDatabase(database), provisionDatabase(database)]);

    expect(await appliedMigrations(database.ownerUrl)).toBe(committed);
  } finally {
    await dropDatabase(database);
  }
});
