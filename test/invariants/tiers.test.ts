import { startKeycloakTestbed, type KeycloakTestbed } from "../helpers/keycloak-service.js";
import { graphql } from "../helpers/http.js";
import { attempt } from "../helpers/mutations.js";
import { personWithRoles, roleWithPermissions, type Person } from "../helpers/people.js";

// Tiers: a role, like a key, holds only permissions of its own tier or below.

let bed: KeycloakTestbed;
let admin: Person;
beforeAll(async () => {
  bed = await startKeycloakTestbed();
  admin = await personWithRoles(bed.db, bed.issuer, ["sys_admin"]);
  await roleWithPermissions(bed.db, "partners", "business", []);
});
afterAll(async () => {
  await bed?.close();
});

async function grantsOf(role: string): Promise<string[]> {
  const { rows } = await bed.db.asOwner((client) =>
    client.query<{ name: string }>(
      `select p.resource || ':' || p.action as name from auth.role_permissions rp
         join auth.roles r on r.id = rp.role_id join auth.permissions p on p.id = rp.permission_id
        where r.name = $1 order by 1`,
      [role],
    ),
  );
  return rows.map((row) => row.name);
}

test("a business role cannot be granted a system permission, even by sys_admin", async () => {
  const refusal = await attempt(bed.url, admin.headers, "grantPermission", { roleName: "partners", resource: "users", action: "admin" });
  expect(refusal).toBe(
    'resource, action: users:admin is a system permission; role "partners" (tier business) may hold only permissions of tier business or below',
  );
  expect(await grantsOf("partners")).toEqual([]);
});

test("an operator cannot grant a business role a system permission either", async () => {
  await expect(roleWithPermissions(bed.db, "vendors", "business", ["users:read"])).rejects.toThrow(
    /users:read is a system permission/,
  );
});

test("a business role holds a business permission an operator granted", async () => {
  const created = await graphql(
    bed.url,
    'mutation { createPermission(input: { resource: "reports", action: read, tier: business }) { result { resource action tier } } }',
    {},
    admin.headers,
  );
  expect(created.body.data).toEqual({ createPermission: { result: { resource: "reports", action: "read", tier: "business" } } });
  await bed.db.asOwner((client) => client.query("select auth.grant_permission('partners', 'reports', 'read')"));
  expect(await grantsOf("partners")).toEqual(["reports:read"]);
});

test("a role's tier cannot be lowered below a permission it holds", async () => {
  await expect(
    bed.db.asOwner((client) => client.query("update auth.roles set tier = 'service' where name = 'sys_auditor'")),
  ).rejects.toThrow(/is a system permission; role "sys_auditor" \(tier service\)/);
});
