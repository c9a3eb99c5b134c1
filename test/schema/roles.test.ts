import pg from "pg";
import { createTestDatabase, type TestDatabase } from "../helpers/database.js";

let db: TestDatabase;
beforeAll(async () => {
  db = await createTestDatabase();
});
afterAll(async () => {
  await db?.drop();
});

interface RoleRow {
  rolcanlogin: boolean;
  rolinherit: boolean;
  rolsuper: boolean;
  rolcreaterole: boolean;
  rolcreatedb: boolean;
  rolbypassrls: boolean;
}

async function attributesOf(name: string): Promise<RoleRow | undefined> {
  const { rows } = await db.asRoot((client) =>
    client.query<RoleRow>(
      `select rolcanlogin, rolinherit, rolsuper, rolcreaterole, rolcreatedb, rolbypassrls
         from pg_roles where rolname = $1`,
      [name],
    ),
  );
  return rows[0];
}

test("role names carry the database's prefix", () => {
  const { roles, databaseName } = db.config.database;
  for (const name of [roles.authenticator, roles.anonymous, roles.user, roles.service]) {
    expect(name.startsWith(`${databaseName}_`)).toBe(true);
  }
});

test("the authenticator logs in, does not inherit, and holds no special powers", async () => {
  expect(await attributesOf(db.config.database.roles.authenticator)).toEqual({
    rolcanlogin: true,
    rolinherit: false,
    rolsuper: false,
    rolcreaterole: false,
    rolcreatedb: false,
    rolbypassrls: false,
  });
});

test.each(["anonymous", "user", "service"] as const)("the %s role cannot log in", async (kind) => {
  const attributes = await attributesOf(db.config.database.roles[kind]);
  expect(attributes).toMatchObject({ rolcanlogin: false, rolsuper: false, rolbypassrls: false });
});

test("the authenticator may switch to exactly the three request roles", async () => {
  const { roles } = db.config.database;
  const { rows } = await db.asRoot((client) =>
    client.query<{ rolname: string }>(
      `select r.rolname from pg_auth_members m
         join pg_roles r on r.oid = m.roleid
         join pg_roles a on a.oid = m.member
        where a.rolname = $1 order by 1`,
      [roles.authenticator],
    ),
  );
  expect(rows.map((row) => row.rolname)).toEqual([roles.anonymous, roles.service, roles.user].sort());
});

test("connecting needs an explicit grant, which the authenticator has", async () => {
  const { roles, databaseName } = db.config.database;
  const canConnect = (role: string) =>
    db.asRoot(async (client) => {
      const { rows } = await client.query("select has_database_privilege($1, $2, 'CONNECT') as ok", [role, databaseName]);
      return rows[0].ok as boolean;
    });
  expect(await canConnect(roles.authenticator)).toBe(true);
  expect(await canConnect("pg_monitor")).toBe(false);
});

test("the anonymous role can read no table in the auth schema", async () => {
  const { rows } = await db.asRoot((client) =>
    client.query(
      `select bool_or(has_table_privilege($1, c.oid, 'SELECT, INSERT, UPDATE, DELETE')) as any_privilege
         from pg_class c where c.relnamespace = 'auth'::regnamespace and c.relkind in ('r', 'p')`,
      [db.config.database.roles.anonymous],
    ),
  );
  expect(rows[0]).toEqual({ any_privilege: false });
});

test("switching roles and querying users as the user role returns no rows until policies exist", async () => {
  const { roles, authenticatorUrl } = db.config.database;
  await db.asOwner((client) => client.query("insert into auth.users (username) values ('hidden')"));
  const client = new pg.Client({ connectionString: authenticatorUrl });
  await client.connect();
  try {
    await client.query("begin");
    await client.query(`set local role ${client.escapeIdentifier(roles.user)}`);
    const { rowCount } = await client.query("select * from auth.users");
    await client.query("rollback");
    expect(rowCount).toBe(0);
  } finally {
    await client.end();
  }
});
