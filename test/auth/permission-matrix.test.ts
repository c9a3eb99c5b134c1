import { graphql } from "../helpers/http.js";
import { startKeycloakTestbed, type KeycloakTestbed } from "../helpers/keycloak-service.js";
import { personWithRoles, roleWithPermissions, type Person } from "../helpers/people.js";
import { ACTIONS, EVERY_PERMISSION, RESOURCES, SEEDED_MATRIX } from "../helpers/seeded-matrix.js";

let bed: KeycloakTestbed;
beforeAll(async () => {
  bed = await startKeycloakTestbed();
});
afterAll(async () => {
  await bed?.close();
});

/** One GraphQL request asking hasPermission for every seeded pair (as aliases). */
const EVERY_SINGLE_CHECK = `{ ${RESOURCES.flatMap((resource) =>
  ACTIONS.map((action) => `${resource}_${action}: hasPermission(resource: "${resource}", action: ${action})`),
).join("\n")} }`;

async function grantedBySingleChecks(person: Person): Promise<string[]> {
  const { body } = await graphql<Record<string, boolean>>(bed.url, EVERY_SINGLE_CHECK, {}, person.headers);
  expect(body.errors).toBeUndefined();
  return Object.entries(body.data!)
    .filter(([, granted]) => granted)
    .map(([alias]) => alias.replace(/_(read|write|delete|admin)$/, ":$1"))
    .sort();
}

const BATCH_QUERY = "query ($checks: [PermissionCheckInput]!) { hasPermissions(checks: $checks) { nodes { resource action granted } } }";

async function grantedByBatchCheck(person: Person): Promise<string[]> {
  const checks = EVERY_PERMISSION.map((pair) => {
    const [resource, action] = pair.split(":");
    return { resource, action };
  });
  const { body } = await graphql<{ hasPermissions: { nodes: Array<{ resource: string; action: string; granted: boolean }> } }>(
    bed.url,
    BATCH_QUERY,
    { checks },
    person.headers,
  );
  expect(body.errors).toBeUndefined();
  const nodes = body.data!.hasPermissions.nodes;
  expect(nodes.map((node) => `${node.resource}:${node.action}`)).toEqual(EVERY_PERMISSION);
  return nodes.filter((node) => node.granted).map((node) => `${node.resource}:${node.action}`).sort();
}

describe.each(Object.keys(SEEDED_MATRIX))("a holder of %s", (role) => {
  let person: Person;
  beforeAll(async () => {
    person = await personWithRoles(bed.db, bed.issuer, [role]);
  });

  test("has exactly the documented permissions through hasPermission", async () => {
    expect(await grantedBySingleChecks(person)).toEqual([...SEEDED_MATRIX[role]!].sort());
  });

  test("gets the same answers from the batch check, in the order asked", async () => {
    expect(await grantedByBatchCheck(person)).toEqual([...SEEDED_MATRIX[role]!].sort());
  });

  test("sees exactly those permissions in currentPermissions", async () => {
    const { body } = await graphql<{ currentPermissions: { nodes: Array<{ resource: string; action: string }> } }>(
      bed.url,
      "{ currentPermissions { nodes { resource action } } }",
      {},
      person.headers,
    );
    const listed = body.data!.currentPermissions.nodes.map((node) => `${node.resource}:${node.action}`).sort();
    expect(listed).toEqual([...SEEDED_MATRIX[role]!].sort());
  });
});

test("a user without roles holds no permission", async () => {
  const person = await personWithRoles(bed.db, bed.issuer, []);
  expect(await grantedBySingleChecks(person)).toEqual([]);
});

test("an anonymous caller holds no permission", async () => {
  const { body } = await graphql<Record<string, boolean>>(bed.url, EVERY_SINGLE_CHECK);
  expect(Object.values(body.data!).every((granted) => granted === false)).toBe(true);
});

test("admin on a resource implies every action on it", async () => {
  await roleWithPermissions(bed.db, "monitoring_admin", "system", ["monitoring:admin"]);
  const person = await personWithRoles(bed.db, bed.issuer, ["monitoring_admin"]);
  expect(await grantedBySingleChecks(person)).toEqual(
    ["monitoring:admin", "monitoring:delete", "monitoring:read", "monitoring:write"],
  );
});

test("permissions of several roles add up", async () => {
  const person = await personWithRoles(bed.db, bed.issuer, ["sys_auditor", "sys_operator"]);
  const union = [...new Set([...SEEDED_MATRIX.sys_auditor!, ...SEEDED_MATRIX.sys_operator!])].sort();
  expect(await grantedBySingleChecks(person)).toEqual(union);
});

test("currentUser shows the user's roles and permissions", async () => {
  const person = await personWithRoles(bed.db, bed.issuer, ["sys_auditor"], { username: "hanako" });
  const { body } = await graphql<{
    currentUser: { username: string; roles: { nodes: Array<{ name: string }> }; permissions: { totalCount: number } };
  }>(bed.url, "{ currentUser { username roles { nodes { name } } permissions { totalCount } } }", {}, person.headers);
  expect(body.data!.currentUser).toEqual({
    username: "hanako",
    roles: { nodes: [{ name: "sys_auditor" }] },
    permissions: { totalCount: SEEDED_MATRIX.sys_auditor!.length },
  });
});

test("the batch check refuses more than 1000 pairs with a clear error", async () => {
  const person = await personWithRoles(bed.db, bed.issuer, []);
  const checks = Array.from({ length: 1001 }, () => ({ resource: "users", action: "read" }));
  const { body } = await graphql(
    bed.url,
    "query ($checks: [PermissionCheckInput]!) { hasPermissions(checks: $checks) { nodes { granted } } }",
    { checks },
    person.headers,
  );
  expect(body.errors?.[0]?.message).toBe("checks: at most 1000 pairs per call, got 1001");
});

test("the batch check answers a null entry with an empty pair in its place", async () => {
  const person = await personWithRoles(bed.db, bed.issuer, ["sys_auditor"]);
  const { body } = await graphql(bed.url, BATCH_QUERY, { checks: [null, { resource: "users", action: "read" }] }, person.headers);
  expect(body.data).toEqual({
    hasPermissions: {
      nodes: [
        { resource: null, action: null, granted: false },
        { resource: "users", action: "read", granted: true },
      ],
    },
  });
});

test("a resource with quotes, commas, parentheses and backslashes reaches the batch check unchanged", async () => {
  const person = await personWithRoles(bed.db, bed.issuer, ["sys_auditor"]);
  const resource = 'us"ers,(read)\\ {x}';
  const { body } = await graphql(bed.url, BATCH_QUERY, { checks: [{ resource, action: "read" }] }, person.headers);
  expect(body.data).toEqual({ hasPermissions: { nodes: [{ resource, action: "read", granted: false }] } });
});

test("the batch check's connection arguments page through the pairs in the order asked", async () => {
  const person = await personWithRoles(bed.db, bed.issuer, ["sys_auditor"]);
  const checks = ["users", "roles", "permissions"].map((resource) => ({ resource, action: "read" }));
  const { body } = await graphql(
    bed.url,
    "query ($checks: [PermissionCheckInput]!) { hasPermissions(checks: $checks, first: 1, offset: 1) { nodes { resource } totalCount pageInfo { hasNextPage } } }",
    { checks },
    person.headers,
  );
  expect(body.data).toEqual({ hasPermissions: { nodes: [{ resource: "roles" }], totalCount: 3, pageInfo: { hasNextPage: true } } });
});
