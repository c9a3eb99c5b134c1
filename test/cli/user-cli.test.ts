import { runCommand } from "../helpers/cli.js";
import { createTestDatabase, type TestDatabase } from "../helpers/database.js";

let db: TestDatabase;
beforeAll(async () => {
  db = await createTestDatabase();
});
afterAll(async () => {
  await db?.drop();
});

async function rolesOfUsername(username: string): Promise<string[]> {
  const { rows } = await db.asOwner((client) =>
    client.query<{ name: string }>(
      `select r.name from auth.users u join auth.user_roles ur on ur.user_id = u.id join auth.roles r on r.id = ur.role_id
        where u.username = $1 order by 1`,
      [username],
    ),
  );
  return rows.map((row) => row.name);
}

test("grant gives a role to someone who has not signed in yet", async () => {
  const result = await runCommand("user", ["grant", "--username", "hanako", "--role", "sys_admin"], db.env);
  expect(result).toMatchObject({ code: 0, stdout: "sys_admin granted for username hanako (profile created; linked at first sign-in)\n" });
  expect(await rolesOfUsername("hanako")).toEqual(["sys_admin"]);
});

test("list shows each user with their roles", async () => {
  await runCommand("user", ["grant", "--username", "listed", "--role", "sys_auditor"], db.env);
  const result = await runCommand("user", ["list", "--username", "listed"], db.env);
  expect(result).toMatchObject({ code: 0, stdout: "listed\t(not signed in yet)\tactive\tsys_auditor\n" });
});

test("revoke takes the role away", async () => {
  await runCommand("user", ["grant", "--username", "revoked", "--role", "sys_operator"], db.env);
  const result = await runCommand("user", ["revoke", "--username", "revoked", "--role", "sys_operator"], db.env);
  expect(result).toMatchObject({ code: 0, stdout: "sys_operator revoked from username revoked\n" });
  expect(await rolesOfUsername("revoked")).toEqual([]);
});

test("an unknown role is refused, naming the known ones", async () => {
  const result = await runCommand("user", ["grant", "--username", "x", "--role", "superuser"], db.env);
  expect(result.code).toBe(1);
  expect(result.stderr).toContain('--role: no role named "superuser" (known roles: sys_admin, sys_auditor, sys_operator)');
  expect(await rolesOfUsername("x")).toEqual([]);
});

test("an unknown flag is refused with its name", async () => {
  const result = await runCommand("user", ["grant", "--username", "x", "--role", "sys_admin", "--force"], db.env);
  expect(result.code).toBe(1);
  expect(result.stderr).toContain("Unknown option '--force'");
});

test("grant without --role is refused with the usage", async () => {
  const result = await runCommand("user", ["grant", "--username", "x"], db.env);
  expect(result.code).toBe(1);
  expect(result.stderr).toContain("grant needs --username or --sub, and --role");
});
