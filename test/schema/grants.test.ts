import path from "node:path";
import { createTestDatabase, type TestDatabase } from "../helpers/database.js";
import { ALLOW_LIST_FILE, REGENERATE_COMMAND, grantDiff, grantsOf, readAllowList } from "../helpers/grants.js";

let db: TestDatabase;
beforeAll(async () => {
  db = await createTestDatabase();
});
afterAll(async () => {
  await db?.drop();
});

test("every grant in the database is on the reviewed allow-list, and every listed grant exists", async () => {
  const diff = grantDiff(await readAllowList(), await grantsOf(db));
  if (diff.length > 0) {
    throw new Error(
      [
        `The database's grants differ from ${path.relative(process.cwd(), ALLOW_LIST_FILE)}`,
        "(+ held in the database but not listed, - listed but not held):",
        ...diff,
        `If the change is intended, run \`${REGENERATE_COMMAND}\`, review the file's diff and commit it.`,
      ].join("\n"),
    );
  }
});

/** Routines outside PostgreSQL's own schemas for which `condition` holds. */
async function routinesWhere(condition: string, ...values: unknown[]): Promise<string[]> {
  const { rows } = await db.asOwner((client) =>
    client.query<{ routine: string }>(
      `select p.oid::regprocedure::text as routine
         from pg_proc p join pg_namespace n on n.oid = p.pronamespace
        where n.nspname not in ('pg_catalog', 'information_schema') and (${condition})
        order by 1`,
      values,
    ),
  );
  return rows.map((row) => row.routine);
}

test("PUBLIC may execute no SECURITY DEFINER function", async () => {
  expect(await routinesWhere("p.prosecdef and has_function_privilege('public', p.oid, 'EXECUTE')")).toEqual([]);
});

test("PUBLIC may execute no function at all", async () => {
  expect(await routinesWhere("has_function_privilege('public', p.oid, 'EXECUTE')")).toEqual([]);
});

test("functions and types a later migration creates are not usable by PUBLIC", async () => {
  const { anonymous } = db.config.database.roles;
  const granted = await db.asOwner(async (client) => {
    await client.query("begin");
    try {
      // As a later migration would: the owner, in an existing schema and in a new one.
      await client.query("create function auth.later_migration_probe() returns int language sql as 'select 1'");
      await client.query("create schema later_migration_probe");
      await client.query("create procedure later_migration_probe.probe() language sql as 'select 1'");
      await client.query("create type auth.later_migration_probe as enum ('probe')");
      const { rows } = await client.query(
        `select has_function_privilege('public', 'auth.later_migration_probe()', 'EXECUTE') as function_by_public,
                has_function_privilege($1, 'auth.later_migration_probe()', 'EXECUTE') as function_by_anonymous,
                has_function_privilege('public', 'later_migration_probe.probe()', 'EXECUTE') as procedure_by_public,
                has_type_privilege('public', 'auth.later_migration_probe', 'USAGE') as type_by_public`,
        [anonymous],
      );
      return rows[0];
    } finally {
      await client.query("rollback");
    }
  });
  expect(granted).toEqual({
    function_by_public: false,
    function_by_anonymous: false,
    procedure_by_public: false,
    type_by_public: false,
  });
});

test("PUBLIC may neither connect to the database nor create temporary tables in it", async () => {
  const { databaseName } = db.config.database;
  const { rows } = await db.asOwner((client) =>
    client.query(
      `select has_database_privilege('public', $1, 'CONNECT') as connect,
              has_database_privilege('public', $1, 'TEMPORARY') as temporary`,
      [databaseName],
    ),
  );
  expect(rows[0]).toEqual({ connect: false, temporary: false });
});

test("PUBLIC may neither create in nor use schema public", async () => {
  const { rows } = await db.asOwner((client) =>
    client.query(
      `select has_schema_privilege('public', 'public', 'CREATE') as create,
              has_schema_privilege('public', 'public', 'USAGE') as usage`,
    ),
  );
  expect(rows[0]).toEqual({ create: false, usage: false });
});
