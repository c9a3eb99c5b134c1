import pg from "pg";
import { createTestDatabase, type TestDatabase } from "../helpers/database.js";

/**
 * The catalogue as an attacker sees it: connected as the server's
 * authenticator, switched to a request role the way every request is, calling
 * auth-db's routines directly.
 */

let db: TestDatabase;
beforeAll(async () => {
  db = await createTestDatabase();
});
afterAll(async () => {
  await db?.drop();
});

type RequestRole = "anonymous" | "user" | "service";

/** A session of the authenticator, switched to `role` (or left as itself), for `work`. */
async function asAuthenticator<T>(role: RequestRole | null, work: (client: pg.Client) => Promise<T>): Promise<T> {
  const { roles, authenticatorUrl } = db.config.database;
  const client = new pg.Client({ connectionString: authenticatorUrl });
  await client.connect();
  try {
    if (role) await client.query(`set role ${client.escapeIdentifier(roles[role])}`);
    return await work(client);
  } finally {
    await client.end();
  }
}

/** What anonymous requests call: currentUser, hasPermission(s), currentPermissions, key verification. */
const ANONYMOUS_MAY_EXECUTE = [
  'auth."current_user"()',
  "auth.current_permissions()",
  "auth.has_permission(text,auth.permission_action)",
  "auth.has_permissions(auth.permission_check[])",
  "auth.verify_api_key(text)",
];

interface Routine {
  routine: string;
  call: string;
}

/** Every routine of auth and archive, with a call of it on typed nulls. */
async function routinesOfAuthDb(): Promise<Routine[]> {
  const { rows } = await db.asOwner((client) =>
    client.query<Routine>(`
      select p.oid::regprocedure::text as routine,
             format('%s %I.%I(%s)', case p.prokind when 'p' then 'call' else 'select' end, n.nspname, p.proname,
                    (select string_agg(format('null::%s', format_type(a.type, null)), ', ' order by a.position)
                       from unnest(p.proargtypes::oid[]) with ordinality as a(type, position))) as call
        from pg_proc p join pg_namespace n on n.oid = p.pronamespace
       where n.nspname in ('auth', 'archive')
       order by 1`),
  );
  return rows;
}

test("as anonymous, every routine of auth and archive is refused but the few anonymous requests use", async () => {
  const routines = (await routinesOfAuthDb()).filter((r) => !ANONYMOUS_MAY_EXECUTE.includes(r.routine));
  expect(routines.length).toBeGreaterThan(40);
  const notRefused = await asAuthenticator("anonymous", async (client) => {
    const outcomes: string[] = [];
    await client.query("begin");
    for (const { routine, call } of routines) {
      await client.query("savepoint attempt");
      const error = await client.query(call).then(
        () => undefined,
        (failure: Error) => failure,
      );
      await client.query("rollback to savepoint attempt");
      if (!/^permission denied for (function|procedure|schema) /.test(error?.message ?? "")) {
        outcomes.push(`${routine}: ${error ? error.message : "ran"}`);
      }
    }
    await client.query("rollback");
    return outcomes;
  });
  expect(notRefused).toEqual([]);
});

test("anonymous may execute exactly the routines anonymous requests use", async () => {
  const { anonymous } = db.config.database.roles;
  const { rows } = await db.asOwner((client) =>
    client.query<{ routine: string }>(
      `select p.oid::regprocedure::text as routine
         from pg_proc p join pg_namespace n on n.oid = p.pronamespace
        where n.nspname in ('auth', 'archive') and has_function_privilege($1, p.oid, 'EXECUTE')
        order by 1`,
      [anonymous],
    ),
  );
  expect(rows.map((row) => row.routine)).toEqual([...ANONYMOUS_MAY_EXECUTE].sort());
});

test.each<[string, RequestRole | null]>([
  ["anonymous", "anonymous"],
  ["user", "user"],
  ["service", "service"],
  ["the authenticator itself", null],
])(
  "as %s, auth.record_job_run is refused and no job run is recorded",
  async (_name, role) => {
    const attempt = asAuthenticator(role, (client) =>
      client.query("select auth.record_job_run('audit_verify', now(), true, '{}')"),
    );
    await expect(attempt).rejects.toThrow("permission denied for function record_job_run");
    const { rows } = await db.asOwner((client) => client.query("select count(*)::int as runs from auth.job_runs"));
    expect(rows[0]).toEqual({ runs: 0 });
  },
);

test("as anonymous, creating a table in schema public or a temporary table is refused", async () => {
  const refusals = await asAuthenticator("anonymous", async (client) => {
    const messageOf = (sql: string) =>
      client.query(sql).then(
        () => "created",
        (error: Error) => error.message,
      );
    return {
      public: await messageOf("create table public.planted (id int)"),
      temporary: await messageOf("create temporary table planted (id int)"),
    };
  });
  expect(refusals).toEqual({
    public: "permission denied for schema public",
    temporary: expect.stringContaining("permission denied to create temporary tables"),
  });
});

test("a user holding auth_config:write creates a permission: the insert grant covers every column create_permission writes", async () => {
  const sub = "catalogue-admin";
  await db.asOwner((client) =>
    client.query(
      `with person as (insert into auth.users (keycloak_sub, username) values ($1, 'catalogue-admin') returning id)
       insert into auth.user_roles (user_id, role_id) select person.id, r.id from person, auth.roles r where r.name = 'sys_admin'`,
      [sub],
    ),
  );
  const created = await asAuthenticator("user", async (client) => {
    await client.query("begin");
    await client.query("select set_config('jwt.claims.sub', $1, true)", [sub]);
    const { rows } = await client.query(
      "select resource, action::text, tier::text from auth.create_permission('reports', 'read', 'business', 'Reports read')",
    );
    await client.query("rollback");
    return rows;
  });
  expect(created).toEqual([{ resource: "reports", action: "read", tier: "business" }]);
});
