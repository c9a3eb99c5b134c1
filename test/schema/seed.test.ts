import { createTestDatabase, type TestDatabase } from "../helpers/database.js";
import { EVERY_PERMISSION, SEEDED_MATRIX } from "../helpers/seeded-matrix.js";


let db: TestDatabase;
beforeAll(async () => {
  db = await createTestDatabase();
});
afterAll(async () => {
  await db?.drop();
});

test("the three system roles are seeded with tier system", async () => {
  const { rows } = await db.asOwner((client) => client.query("select name, tier from auth.roles order by name"));
  expect(rows).toEqual([
    { name: "sys_admin", tier: "system" },
    { name: "sys_auditor", tier: "system" },
    { name: "sys_operator", tier: "system" },
  ]);
});

test("every default resource has read, write, delete and admin permissions", async () => {
  const { rows } = await db.asOwner((client) =>
    client.query<{ p: string }>("select resource || ':' || action as p from auth.permissions"),
  );
  expect(rows.map((row) => row.p).sort()).toEqual([...EVERY_PERMISSION].sort());
});

test("the seeded role→permission matrix is exactly the documented one", async () => {
  const { rows } = await db.asOwner((client) =>
    client.query<{ role: string; permission: string }>(`
      select r.name as role, p.resource || ':' || p.action as permission
        from auth.role_permissions rp
        join auth.roles r on r.id = rp.role_id
        join auth.permissions p on p.id = rp.permission_id`),
  );
  const actual: Record<string, string[]> = {};
  for (const { role, permission } of rows) (actual[role] ??= []).push(permission);
  for (const list of Object.values(actual)) list.sort();
  const expected = Object.fromEntries(Object.entries(SEEDED_MATRIX).map(([role, list]) => [role, [...list].sort()]));
  expect(actual).toEqual(expected);
});
