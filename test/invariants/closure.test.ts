import pg from "pg";
import { createKey } from "../helpers/api-keys.js";
import { startKeycloakTestbed, type KeycloakTestbed } from "../helpers/keycloak-service.js";
import { attempt, heldBy } from "../helpers/mutations.js";
import { personWithRoles, roleWithPermissions, type Person } from "../helpers/people.js";

// Closure: no caller can make any principal hold a permission the caller does not hold.

let bed: KeycloakTestbed;
let admin: Person;
let userAdmin: Person;
let bystander: Person;
beforeAll(async () => {
  bed = await startKeycloakTestbed();
  await roleWithPermissions(bed.db, "user_admins", "system", ["users:admin"]);
  await roleWithPermissions(bed.db, "readers", "system", ["users:read"]);
  await roleWithPermissions(bed.db, "key_issuers", "system", ["api_keys:write", "users:read"]);
  admin = await personWithRoles(bed.db, bed.issuer, ["sys_admin"]);
  userAdmin = await personWithRoles(bed.db, bed.issuer, ["user_admins"]);
  bystander = await personWithRoles(bed.db, bed.issuer, []);
});
afterAll(async () => {
  await bed?.close();
});

test("a users:admin holder cannot assign themselves sys_admin", async () => {
  const refusal = await attempt(bed.url, userAdmin.headers, "assignRole", { userId: userAdmin.userId, roleName: "sys_admin" });
  expect(refusal).toMatch(/^permission denied: giving role "sys_admin" needs [a-z_]+:[a-z]+, which you do not hold$/);
  expect(await heldBy(bed.url, userAdmin.headers)).toEqual(["users:admin", "users:delete", "users:read", "users:write"]);
});

test("a users:admin holder cannot assign sys_admin to anyone else", async () => {
  const refusal = await attempt(bed.url, userAdmin.headers, "assignRole", { userId: bystander.userId, roleName: "sys_admin" });
  expect(refusal).toMatch(/^permission denied: giving role "sys_admin" needs/);
  expect(await heldBy(bed.url, bystander.headers)).toEqual([]);
});

test("a users:admin holder assigns a role whose every permission they hold", async () => {
  expect(await attempt(bed.url, userAdmin.headers, "assignRole", { userId: bystander.userId, roleName: "readers" })).toBeNull();
  expect(await heldBy(bed.url, bystander.headers)).toEqual(["users:read"]);
  expect(await attempt(bed.url, userAdmin.headers, "revokeRole", { userId: bystander.userId, roleName: "readers" })).toBeNull();
});

test("a caller cannot grant a role a permission they do not hold", async () => {
  const configWriter = await personWithRoles(bed.db, bed.issuer, ["sys_operator"]);
  const refusal = await attempt(bed.url, configWriter.headers, "grantPermission", {
    roleName: "sys_operator",
    resource: "vault_secrets",
    action: "admin",
  });
  expect(refusal).toMatch(/permission denied/);
  expect(await heldBy(bed.url, configWriter.headers)).not.toContain("vault_secrets:admin");
});

test("a users:admin holder cannot reactivate a suspended administrator", async () => {
  const suspended = await personWithRoles(bed.db, bed.issuer, ["sys_admin"], { status: "suspended" });
  const refusal = await attempt(bed.url, userAdmin.headers, "updateUser", { userId: suspended.userId, status: "active" });
  expect(refusal).toMatch(/^permission denied: reactivating user \S+ needs [a-z_]+:[a-z]+, which you do not hold$/);
  expect(await heldBy(bed.url, suspended.headers)).toEqual([]);
});

test("a caller holding api_keys:write cannot issue a key with vault_secrets:admin", async () => {
  const issuer = await personWithRoles(bed.db, bed.issuer, ["key_issuers"]);
  await expect(createKey(bed.url, issuer.headers, { tier: "system", permissions: ["vault_secrets:admin"] })).rejects.toThrow(
    /permission denied/,
  );
});

test("a key cannot issue a key holding more than itself", async () => {
  const { key } = await createKey(bed.url, admin.headers, { tier: "system", permissions: ["api_keys:write", "users:read"] });
  await expect(
    createKey(bed.url, { "x-api-key": key }, { tier: "system", permissions: ["users:write"] }),
  ).rejects.toThrow(/permission denied/);
});

test("inserting into user_roles directly as the user role meets the same rule", async () => {
  const { roles, authenticatorUrl } = bed.db.config.database;
  const client = new pg.Client({ connectionString: authenticatorUrl });
  await client.connect();
  try {
    await client.query("begin");
    await client.query(`set local role ${client.escapeIdentifier(roles.user)}`);
    await client.query("select set_config('jwt.claims.sub', $1, true)", [userAdmin.sub]);
    await expect(
      client.query(
        "insert into auth.user_roles (user_id, role_id) select $1, id from auth.roles where name = 'sys_admin'",
        [userAdmin.userId],
      ),
    ).rejects.toThrow(/permission denied: giving role "sys_admin"/);
  } finally {
    await client.query("rollback");
    await client.end();
  }
});
