import pg from "pg";
import { graphql } from "../helpers/http.js";
import { startKeycloakTestbed, type KeycloakTestbed } from "../helpers/keycloak-service.js";
import { personWithRoles, type Person } from "../helpers/people.js";

let bed: KeycloakTestbed;
let admin: Person;
let auditor: Person;
let alice: Person;
let bob: Person;
beforeAll(async () => {
  bed = await startKeycloakTestbed();
  admin = await personWithRoles(bed.db, bed.issuer, ["sys_admin"]);
  auditor = await personWithRoles(bed.db, bed.issuer, ["sys_auditor"]);
  alice = await personWithRoles(bed.db, bed.issuer, [], { username: "alice" });
  bob = await personWithRoles(bed.db, bed.issuer, [], { username: "bob" });
  await bed.db.asOwner((client) =>
    client.query("insert into auth.audit_logs (event_type, action) values ('TEST', 'seeded')"),
  );
});
afterAll(async () => {
  await bed?.close();
});

async function usernamesVisibleTo(person: Person): Promise<string[]> {
  const { body } = await graphql<{ allUsers: { nodes: Array<{ username: string }> } }>(
    bed.url,
    "{ allUsers { nodes { username } } }",
    {},
    person.headers,
  );
  return body.data!.allUsers.nodes.map((node) => node.username).sort();
}

async function rolesOf(person: Person): Promise<string[]> {
  const { rows } = await bed.db.asOwner((client) =>
    client.query<{ name: string }>(
      "select r.name from auth.user_roles ur join auth.roles r on r.id = ur.role_id where ur.user_id = $1 order by 1",
      [person.userId],
    ),
  );
  return rows.map((row) => row.name);
}

const ASSIGN = `mutation ($userId: UUID!, $roleName: String!) {
  assignRole(input: { userId: $userId, roleName: $roleName }) { result { roleByRoleId { name } assignedBy } }
}`;
const REVOKE = `mutation ($userId: UUID!, $roleName: String!) { revokeRole(input: { userId: $userId, roleName: $roleName }) { result } }`;

test("a user reads their own profile and no one else's", async () => {
  expect(await usernamesVisibleTo(alice)).toEqual(["alice"]);
});

test("a holder of users:read reads every profile", async () => {
  const visible = await usernamesVisibleTo(auditor);
  expect(visible).toEqual(expect.arrayContaining(["alice", "bob", auditor.username, admin.username]));
});

test("user A cannot fetch user B by id", async () => {
  const { body } = await graphql(
    bed.url,
    "query ($id: UUID!) { userByRowId(rowId: $id) { username } }",
    { id: bob.userId },
    alice.headers,
  );
  expect(body.data).toEqual({ userByRowId: null });
});

test("role and permission catalogues are readable by any signed-in user", async () => {
  const { body } = await graphql<{ allRoles: { totalCount: number }; allPermissions: { totalCount: number } }>(
    bed.url,
    "{ allRoles { totalCount } allPermissions { totalCount } }",
    {},
    alice.headers,
  );
  expect(body.data!.allRoles.totalCount).toBeGreaterThanOrEqual(3);
  expect(body.data!.allPermissions.totalCount).toBeGreaterThanOrEqual(28);
});

test("a holder of audit_logs:read reads the audit log", async () => {
  const { body } = await graphql<{ allAuditLogs: { totalCount: number } }>(
    bed.url,
    "{ allAuditLogs { totalCount } }",
    {},
    auditor.headers,
  );
  expect(body.data!.allAuditLogs.totalCount).toBeGreaterThan(0);
});

test("a user without audit_logs:read reads no audit rows", async () => {
  const { body } = await graphql<{ allAuditLogs: { totalCount: number } }>(
    bed.url,
    "{ allAuditLogs { totalCount } }",
    {},
    alice.headers,
  );
  expect(body.data!.allAuditLogs.totalCount).toBe(0);
});

test("an auditor assigning a role is refused, naming users:admin, and nothing changes", async () => {
  const { body } = await graphql(bed.url, ASSIGN, { userId: alice.userId, roleName: "sys_admin" }, auditor.headers);
  expect(body.errors?.[0]).toMatchObject({
    message: "permission denied: assigning a role requires users:admin",
    extensions: { code: "42501" },
  });
  expect(await rolesOf(alice)).toEqual([]);
});

test("an admin assigns a role, recorded as assigned by the admin", async () => {
  const { body } = await graphql<{ assignRole: { result: { roleByRoleId: { name: string }; assignedBy: string } } }>(
    bed.url,
    ASSIGN,
    { userId: bob.userId, roleName: "sys_auditor" },
    admin.headers,
  );
  expect(body.data!.assignRole.result).toEqual({ roleByRoleId: { name: "sys_auditor" }, assignedBy: admin.userId });
  expect(await rolesOf(bob)).toEqual(["sys_auditor"]);
});

test("assigning an unknown role names the argument", async () => {
  const { body } = await graphql(bed.url, ASSIGN, { userId: bob.userId, roleName: "no_such_role" }, admin.headers);
  expect(body.errors?.[0]?.message).toBe('roleName: no role named "no_such_role"');
});

test("a revoked role stops counting on the next request with the same token", async () => {
  const carol = await personWithRoles(bed.db, bed.issuer, ["sys_auditor"]);
  const canReadAudit = async () =>
    (await graphql<{ hasPermission: boolean }>(bed.url, '{ hasPermission(resource: "audit_logs", action: read) }', {}, carol.headers))
      .body.data!.hasPermission;
  expect(await canReadAudit()).toBe(true);

  const { body } = await graphql(bed.url, REVOKE, { userId: carol.userId, roleName: "sys_auditor" }, admin.headers);
  expect(body.data).toEqual({ revokeRole: { result: true } });
  expect(await canReadAudit()).toBe(false);
});

test("a suspended user holds no permissions though their roles remain", async () => {
  const dave = await personWithRoles(bed.db, bed.issuer, ["sys_admin"]);
  const { body } = await graphql(
    bed.url,
    'mutation ($id: UUID!) { updateUser(input: { userId: $id, status: suspended }) { result { status } } }',
    { id: dave.userId },
    admin.headers,
  );
  expect(body.data).toEqual({ updateUser: { result: { status: "suspended" } } });
  const check = await graphql(bed.url, '{ hasPermission(resource: "users", action: read) }', {}, dave.headers);
  expect(check.body.data).toEqual({ hasPermission: false });
  expect(await rolesOf(dave)).toEqual(["sys_admin"]);
});

test("an operator cannot grant a permission they do not hold", async () => {
  const operator = await personWithRoles(bed.db, bed.issuer, ["sys_operator"]);
  const { body } = await graphql(
    bed.url,
    'mutation { grantPermission(input: { roleName: "sys_operator", resource: "vault_secrets", action: write }) { result { grantedAt } } }',
    {},
    operator.headers,
  );
  expect(body.errors?.[0]?.message).toBe(
    "permission denied: granting a permission you do not hold requires vault_secrets:write",
  );
});

test("an operator creates a role and grants it a permission they hold", async () => {
  const operator = await personWithRoles(bed.db, bed.issuer, ["sys_operator"]);
  const created = await graphql(
    bed.url,
    'mutation { createRole(input: { name: "dashboard_viewer", tier: system }) { result { name tier } } }',
    {},
    operator.headers,
  );
  expect(created.body.data).toEqual({ createRole: { result: { name: "dashboard_viewer", tier: "system" } } });
  const granted = await graphql(
    bed.url,
    'mutation { grantPermission(input: { roleName: "dashboard_viewer", resource: "monitoring", action: read }) { result { roleByRoleId { name } } } }',
    {},
    operator.headers,
  );
  expect(granted.body.data).toEqual({ grantPermission: { result: { roleByRoleId: { name: "dashboard_viewer" } } } });
});

test("an auditor cannot create roles", async () => {
  const { body } = await graphql(
    bed.url,
    'mutation { createRole(input: { name: "sneaky", tier: system }) { result { name } } }',
    {},
    auditor.headers,
  );
  expect(body.errors?.[0]?.message).toBe("permission denied: creating a role requires auth_config:write");
});

test.each(["user", "service", "anonymous"] as const)("the %s role can neither update nor delete audit rows", async (kind) => {
  const { roles, authenticatorUrl } = bed.db.config.database;
  const client = new pg.Client({ connectionString: authenticatorUrl });
  await client.connect();
  const attempt = async (sql: string) => {
    await client.query("begin");
    await client.query(`set local role ${client.escapeIdentifier(roles[kind])}`);
    await client.query("select set_config('jwt.claims.sub', $1, true)", [admin.sub]);
    try {
      await client.query(sql);
      return "allowed";
    } catch (error) {
      return (error as { code: string }).code;
    } finally {
      await client.query("rollback");
    }
  };
  try {
    expect(await attempt("update auth.audit_logs set action = 'rewritten'")).toBe("42501");
    expect(await attempt("delete from auth.audit_logs")).toBe("42501");
  } finally {
    await client.end();
  }
});
