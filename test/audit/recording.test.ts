import { createKey, verifyKey } from "../helpers/api-keys.js";
import { graphql } from "../helpers/http.js";
import { startKeycloakTestbed, type KeycloakTestbed } from "../helpers/keycloak-service.js";
import { personWithRoles, roleWithPermissions, type Person } from "../helpers/people.js";

let bed: KeycloakTestbed;
let admin: Person;
let auditor: Person;
beforeAll(async () => {
  // Refused mutations are audited once their (short, here) coalescing window is over.
  bed = await startKeycloakTestbed({ REFUSAL_RECORD_WINDOW_MS: "50" });
  admin = await personWithRoles(bed.db, bed.issuer, ["sys_admin"]);
  auditor = await personWithRoles(bed.db, bed.issuer, ["sys_auditor"]);
});
afterAll(async () => {
  await bed?.close();
});

interface AuditRow {
  event_type: string;
  action: string;
  resource: string;
  resource_id: string | null;
  result: string;
  detail: Record<string, Record<string, unknown>>;
  user_id: string;
  actor_type: string;
  ip_address: string | null;
  trace_id: string | null;
}

async function auditRows(where: string, values: unknown[]): Promise<AuditRow[]> {
  const { rows } = await bed.db.asOwner((client) =>
    client.query<AuditRow>(
      `select event_type, action, resource, resource_id, result, detail, user_id, actor_type, ip_address, trace_id
         from auth.audit_logs where ${where} order by id`,
      values,
    ),
  );
  return rows;
}

const ASSIGN = `mutation ($userId: UUID!, $roleName: String!) {
  assignRole(input: { userId: $userId, roleName: $roleName }) { result { assignedAt } }
}`;
const TRACE_ID = "4bf92f3577b34da6a3ce929d0e0e4736";

test("a change through GraphQL produces exactly one audit row with the actor, ip, trace id and diff", async () => {
  const target = await personWithRoles(bed.db, bed.issuer, []);
  await graphql(bed.url, ASSIGN, { userId: target.userId, roleName: "sys_auditor" }, {
    ...admin.headers,
    traceparent: `00-${TRACE_ID}-00f067aa0ba902b7-01`,
  });
  const rows = await auditRows("resource = 'user_roles' and resource_id like $1", [`${target.userId}:%`]);
  expect(rows).toHaveLength(1);
  expect(rows[0]).toMatchObject({
    event_type: "ROLE_ASSIGNMENT",
    action: "insert",
    result: "SUCCESS",
    user_id: admin.sub,
    actor_type: "user",
    ip_address: "127.0.0.1",
    trace_id: TRACE_ID,
    detail: { after: { user_id: target.userId, assigned_by: admin.userId } },
  });
});

test("an update records the before and after of the changed columns only", async () => {
  const target = await personWithRoles(bed.db, bed.issuer, [], { username: "renamed" });
  await graphql(
    bed.url,
    'mutation ($id: UUID!) { updateUser(input: { userId: $id, displayName: "Hanako Y." }) { result { displayName } } }',
    { id: target.userId },
    admin.headers,
  );
  const rows = await auditRows("resource = 'users' and resource_id = $1 and action = 'update'", [target.userId]);
  expect(rows.map((row) => row.detail)).toEqual([
    { before: { display_name: null }, after: { display_name: "Hanako Y." } },
  ]);
});

test("a refused mutation leaves no change row but one DENIED row naming the permission", async () => {
  const target = await personWithRoles(bed.db, bed.issuer, []);
  await graphql(bed.url, ASSIGN, { userId: target.userId, roleName: "sys_admin" }, auditor.headers);
  expect(await auditRows("resource = 'user_roles' and resource_id like $1", [`${target.userId}:%`])).toEqual([]);
  let denied: AuditRow[] = [];
  for (let tries = 0; tries < 100 && denied.length === 0; tries++) {
    if (tries > 0) await new Promise((resolve) => setTimeout(resolve, 50));
    denied = await auditRows("result = 'DENIED' and user_id = $1", [auditor.sub]);
  }
  expect(denied).toEqual([
    expect.objectContaining({
      event_type: "ACCESS_DENIED",
      action: "assignRole",
      resource: "users",
      actor_type: "user",
      detail: {
        permission: "users:admin",
        message: "permission denied: assigning a role requires users:admin",
        count: 1,
        first_at: expect.any(String),
        last_at: expect.any(String),
      },
    }),
  ]);
});

test("a change made outside a request is recorded with the database role as actor", async () => {
  await bed.db.asOwner((client) => client.query("insert into auth.roles (name, tier) values ('from_migration', 'business')"));
  const rows = await auditRows("resource = 'roles' and detail->'after'->>'name' = 'from_migration'", []);
  expect(rows).toEqual([
    expect.objectContaining({ action: "insert", user_id: bed.db.config.database.ownerUrl.match(/\/\/([^:]+):/)![1], actor_type: "database" }),
  ]);
});

test("a change by a service is recorded with its API key id", async () => {
  const { key, id } = await createKey(bed.url, admin.headers, { tier: "system", permissions: ["users:admin"] });
  const target = await personWithRoles(bed.db, bed.issuer, []);
  await roleWithPermissions(bed.db, "profile_readers", "system", ["users:read"]);
  await graphql(bed.url, ASSIGN, { userId: target.userId, roleName: "profile_readers" }, { "x-api-key": key });
  const rows = await auditRows("resource = 'user_roles' and resource_id like $1", [`${target.userId}:%`]);
  expect(rows).toEqual([expect.objectContaining({ user_id: id, actor_type: "service" })]);
});

test("issuing a key is recorded without its hash", async () => {
  const { id } = await createKey(bed.url, admin.headers, { name: "audited key" });
  const rows = await auditRows("resource = 'api_keys' and resource_id = $1", [id]);
  expect(rows).toHaveLength(1);
  expect(rows[0]!.detail.after).toMatchObject({ name: "audited key" });
  expect(rows[0]!.detail.after).not.toHaveProperty("key_hash");
});

test("bookkeeping alone (a key's last use) is not recorded as a change", async () => {
  const { key, id } = await createKey(bed.url, admin.headers);
  await verifyKey(bed.url, key, admin.headers);
  expect(await auditRows("resource = 'api_keys' and resource_id = $1 and action = 'update'", [id])).toEqual([]);
});
