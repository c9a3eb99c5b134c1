import { createKey } from "../helpers/api-keys.js";
import { graphql } from "../helpers/http.js";
import { startKeycloakTestbed, type KeycloakTestbed } from "../helpers/keycloak-service.js";
import { personWithRoles, roleWithPermissions, type Person } from "../helpers/people.js";

let bed: KeycloakTestbed;
let admin: Person;
beforeAll(async () => {
  bed = await startKeycloakTestbed();
  admin = await personWithRoles(bed.db, bed.issuer, ["sys_admin"], { username: "admin" });
  await personWithRoles(bed.db, bed.issuer, [], { username: "someone" });
});
afterAll(async () => {
  await bed?.close();
});

async function usernamesVisibleWith(key: string): Promise<string[]> {
  const { body } = await graphql<{ allUsers: { nodes: Array<{ username: string }> } }>(
    bed.url,
    "{ allUsers { nodes { username } } }",
    {},
    { "x-api-key": key },
  );
  return body.data!.allUsers.nodes.map((node) => node.username).sort();
}

test("a key holding users:read reads every profile through RLS", async () => {
  const { key } = await createKey(bed.url, admin.headers, { tier: "system", permissions: ["users:read"] });
  expect(await usernamesVisibleWith(key)).toEqual(["admin", "someone"]);
});

test("a key without users:read reads no profile", async () => {
  const { key } = await createKey(bed.url, admin.headers, { tier: "system", permissions: ["monitoring:read"] });
  expect(await usernamesVisibleWith(key)).toEqual([]);
});

test("admin on a resource in a key implies every action on it", async () => {
  const { key } = await createKey(bed.url, admin.headers, { tier: "system", permissions: ["users:admin"] });
  const { body } = await graphql(
    bed.url,
    '{ read: hasPermission(resource: "users", action: delete) other: hasPermission(resource: "audit_logs", action: read) }',
    {},
    { "x-api-key": key },
  );
  expect(body.data).toEqual({ read: true, other: false });
});

test("currentPermissions of a key lists the key's permissions", async () => {
  const { key } = await createKey(bed.url, admin.headers, { tier: "system", permissions: ["audit_logs:read", "users:read"] });
  const { body } = await graphql<{ currentPermissions: { nodes: Array<{ resource: string; action: string }> } }>(
    bed.url,
    "{ currentPermissions { nodes { resource action } } }",
    {},
    { "x-api-key": key },
  );
  expect(body.data!.currentPermissions.nodes).toEqual([
    { resource: "audit_logs", action: "read" },
    { resource: "users", action: "read" },
  ]);
});

test("a service key cannot be given a system permission", async () => {
  await expect(createKey(bed.url, admin.headers, { tier: "service", permissions: ["users:read"] })).rejects.toThrow(
    "permissions: users:read is a system permission; a service key may hold only permissions of tier service or below",
  );
});

test("a service key may hold service permissions", async () => {
  await bed.db.asOwner((client) =>
    client.query(`
      insert into auth.permissions (resource, action, tier) values ('orders', 'read', 'service');
      insert into auth.role_permissions (role_id, permission_id)
        select r.id, p.id from auth.roles r, auth.permissions p
         where r.name = 'sys_admin' and p.resource = 'orders';`),
  );
  const issued = await createKey(bed.url, admin.headers, { tier: "service", permissions: ["orders:read"] });
  expect(issued.permissions).toEqual(["orders:read"]);
});

test("a key cannot be given a permission its creator does not hold", async () => {
  await roleWithPermissions(bed.db, "key_manager", "system", ["api_keys:write", "users:read"]);
  const manager = await personWithRoles(bed.db, bed.issuer, ["key_manager"]);
  await expect(createKey(bed.url, manager.headers, { tier: "system", permissions: ["users:delete"] })).rejects.toThrow(
    'permission denied: issuing API key "test key" needs users:delete, which you do not hold',
  );
  const allowed = await createKey(bed.url, manager.headers, { tier: "system", permissions: ["users:read"] });
  expect(allowed.permissions).toEqual(["users:read"]);
});

test("issuing a key without api_keys:write is refused, naming it", async () => {
  const auditor = await personWithRoles(bed.db, bed.issuer, ["sys_auditor"]);
  await expect(createKey(bed.url, auditor.headers)).rejects.toThrow(
    "permission denied: issuing an API key requires api_keys:write",
  );
});

test("an unknown permission is refused, naming it", async () => {
  await expect(createKey(bed.url, admin.headers, { tier: "system", permissions: ["spaceships:read"] })).rejects.toThrow(
    "permissions: no permission spaceships:read in the catalogue",
  );
});

test("a permission not written resource:action is refused", async () => {
  await expect(createKey(bed.url, admin.headers, { tier: "system", permissions: ["users"] })).rejects.toThrow(
    'permissions: "users" is not resource:action',
  );
});

test("a key cannot issue a key with more than it holds", async () => {
  const { key } = await createKey(bed.url, admin.headers, { tier: "system", permissions: ["api_keys:write", "users:read"] });
  await expect(createKey(bed.url, { "x-api-key": key }, { tier: "system", permissions: ["users:delete"] })).rejects.toThrow(
    'permission denied: issuing API key "test key" needs users:delete, which you do not hold',
  );
});
