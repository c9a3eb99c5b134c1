import { createKey } from "../helpers/api-keys.js";
import { startKeycloakTestbed, type KeycloakTestbed } from "../helpers/keycloak-service.js";
import { attempt, heldBy } from "../helpers/mutations.js";
import { personWithRoles, roleWithPermissions, type Person } from "../helpers/people.js";

// Symmetry: no caller can take from a principal a permission the caller does not hold.

let bed: KeycloakTestbed;
let admin: Person;
let operator: Person;
let userAdmin: Person;
let everythingAdmin: string[];
beforeAll(async () => {
  bed = await startKeycloakTestbed();
  await roleWithPermissions(bed.db, "user_admins", "system", ["users:admin"]);
  await roleWithPermissions(bed.db, "config_admins", "system", ["auth_config:admin"]);
  await roleWithPermissions(bed.db, "key_writers", "system", ["api_keys:write"]);
  admin = await personWithRoles(bed.db, bed.issuer, ["sys_admin"]);
  operator = await personWithRoles(bed.db, bed.issuer, ["sys_operator"]);
  userAdmin = await personWithRoles(bed.db, bed.issuer, ["user_admins"]);
  everythingAdmin = await heldBy(bed.url, admin.headers);
});
afterAll(async () => {
  await bed?.close();
});

test.each([
  ["users", "admin"],
  ["vault_secrets", "admin"],
  ["auth_config", "delete"],
])("a sys_operator cannot revoke %s:%s from sys_admin", async (resource, action) => {
  const refusal = await attempt(bed.url, operator.headers, "revokePermission", { roleName: "sys_admin", resource, action });
  expect(refusal).toBe(
    `permission denied: revoking ${resource}:${action} from role "sys_admin" needs ${resource}:${action}, which you do not hold`,
  );
  expect(await heldBy(bed.url, admin.headers)).toEqual(everythingAdmin);
});

test("a users:admin holder cannot revoke sys_admin from an administrator", async () => {
  const refusal = await attempt(bed.url, userAdmin.headers, "revokeRole", { userId: admin.userId, roleName: "sys_admin" });
  expect(refusal).toMatch(/^permission denied: taking role "sys_admin" needs/);
  expect(await heldBy(bed.url, admin.headers)).toEqual(everythingAdmin);
});

test("an auth_config:admin holder cannot delete the sys_admin role", async () => {
  const configAdmin = await personWithRoles(bed.db, bed.issuer, ["config_admins"]);
  const refusal = await attempt(bed.url, configAdmin.headers, "deleteRole", { name: "sys_admin" });
  expect(refusal).toMatch(/^permission denied: deleting role "sys_admin" needs/);
  expect(await heldBy(bed.url, admin.headers)).toEqual(everythingAdmin);
});

test("a users:admin holder cannot suspend an administrator", async () => {
  const refusal = await attempt(bed.url, userAdmin.headers, "updateUser", { userId: admin.userId, status: "suspended" });
  expect(refusal).toMatch(/^permission denied: making user \S+ suspended needs/);
  expect(await heldBy(bed.url, admin.headers)).toEqual(everythingAdmin);
});

test("a users:admin holder cannot delete an administrator", async () => {
  const refusal = await attempt(bed.url, userAdmin.headers, "deleteUser", { userId: admin.userId });
  expect(refusal).toMatch(/^permission denied: taking role "sys_admin" needs/);
  expect(await heldBy(bed.url, admin.headers)).toEqual(everythingAdmin);
});

test("a users:admin holder suspends and deletes a user whose every permission they hold", async () => {
  const reader = await personWithRoles(bed.db, bed.issuer, ["user_admins"]);
  expect(await attempt(bed.url, userAdmin.headers, "updateUser", { userId: reader.userId, status: "suspended" })).toBeNull();
  expect(await attempt(bed.url, userAdmin.headers, "deleteUser", { userId: reader.userId })).toBeNull();
});

test.each(["revokeApiKey", "rotateApiKey"] as const)(
  "%s needs every permission the key holds",
  async (mutation) => {
    const keyWriter = await personWithRoles(bed.db, bed.issuer, ["key_writers"]);
    const vaultKey = await createKey(bed.url, admin.headers, { tier: "system", permissions: ["vault_secrets:admin"] });
    const refusal = await attempt(bed.url, keyWriter.headers, mutation, { id: vaultKey.id });
    expect(refusal).toMatch(/needs vault_secrets:[a-z]+, which you do not hold$/);
    expect(await heldBy(bed.url, { "x-api-key": vaultKey.key })).toEqual([
      "vault_secrets:admin",
      "vault_secrets:delete",
      "vault_secrets:read",
      "vault_secrets:write",
    ]);
  },
);
