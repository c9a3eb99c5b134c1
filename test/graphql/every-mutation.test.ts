import { createKey } from "../helpers/api-keys.js";
import { graphql } from "../helpers/http.js";
import { startKeycloakTestbed, type KeycloakTestbed } from "../helpers/keycloak-service.js";
import { personWithRoles, roleWithPermissions, type Person } from "../helpers/people.js";

/*
 * Every mutation the schema exposes goes through for a caller entitled to it.
 * A new mutation without a case here fails the first test.
 */

let bed: KeycloakTestbed;
let admin: Person;
beforeAll(async () => {
  bed = await startKeycloakTestbed();
  admin = await personWithRoles(bed.db, bed.issuer, ["sys_admin"]);
  await roleWithPermissions(bed.db, "readers", "system", ["users:read"]);
});
afterAll(async () => {
  await bed?.close();
});

interface Case {
  query: string;
  variables(): Promise<Record<string, unknown>>;
}

const someone = () => personWithRoles(bed.db, bed.issuer, []);

const CASES: Record<string, Case> = {
  assignRole: {
    query: "mutation ($userId: UUID!) { assignRole(input: { userId: $userId, roleName: \"readers\" }) { result { roleId } } }",
    variables: async () => ({ userId: (await someone()).userId }),
  },
  revokeRole: {
    query: "mutation ($userId: UUID!) { revokeRole(input: { userId: $userId, roleName: \"readers\" }) { result } }",
    variables: async () => ({ userId: (await personWithRoles(bed.db, bed.issuer, ["readers"])).userId }),
  },
  createRole: {
    query: 'mutation { createRole(input: { name: "auditors_eu", tier: business, description: "EU audit" }) { result { name } } }',
    variables: async () => ({}),
  },
  deleteRole: {
    query: "mutation ($name: String!) { deleteRole(input: { name: $name }) { result } }",
    variables: async () => {
      await roleWithPermissions(bed.db, "short_lived", "service", []);
      return { name: "short_lived" };
    },
  },
  createPermission: {
    query: 'mutation { createPermission(input: { resource: "invoices", action: read, tier: business }) { result { resource tier } } }',
    variables: async () => ({}),
  },
  grantPermission: {
    query: 'mutation { grantPermission(input: { roleName: "readers", resource: "monitoring", action: read }) { result { roleId } } }',
    variables: async () => ({}),
  },
  revokePermission: {
    query: 'mutation { revokePermission(input: { roleName: "readers", resource: "users", action: read }) { result } }',
    variables: async () => ({}),
  },
  updateUser: {
    query: 'mutation ($userId: UUID!) { updateUser(input: { userId: $userId, displayName: "Renamed" }) { result { displayName } } }',
    variables: async () => ({ userId: (await someone()).userId }),
  },
  deleteUser: {
    query: "mutation ($userId: UUID!) { deleteUser(input: { userId: $userId }) { result } }",
    variables: async () => ({ userId: (await someone()).userId }),
  },
  createApiKey: {
    query: 'mutation { createApiKey(input: { name: "gateway", serviceName: "gw", tier: system, permissions: ["users:read"] }) { result { keyId } } }',
    variables: async () => ({}),
  },
  revokeApiKey: {
    query: "mutation ($id: UUID!) { revokeApiKey(input: { id: $id }) { result { isActive } } }",
    variables: async () => ({ id: (await createKey(bed.url, admin.headers)).id }),
  },
  rotateApiKey: {
    query: "mutation ($id: UUID!) { rotateApiKey(input: { id: $id, graceSeconds: 60 }) { result { keyId } } }",
    variables: async () => ({ id: (await createKey(bed.url, admin.headers)).id }),
  },
  verifyApiKey: {
    query: "mutation ($key: String!) { verifyApiKey(input: { key: $key }) { result { valid } } }",
    variables: async () => ({ key: (await createKey(bed.url, admin.headers)).key }),
  },
};

test("every mutation in the schema has a case here", async () => {
  const { body } = await graphql<{ __type: { fields: Array<{ name: string }> } }>(
    bed.url,
    '{ __type(name: "Mutation") { fields { name } } }',
    {},
    admin.headers,
  );
  expect(body.data!.__type.fields.map((field) => field.name).sort()).toEqual(Object.keys(CASES).sort());
});

test.each(Object.keys(CASES))("%s goes through for a caller entitled to it", async (name) => {
  const { query, variables } = CASES[name]!;
  const { status, body } = await graphql<Record<string, { result: unknown }>>(bed.url, query, await variables(), admin.headers);
  expect(body.errors).toBeUndefined();
  expect(status).toBe(200);
  expect(body.data![name]!.result).toBeTruthy();
});
