import { randomBytes } from "node:crypto";
import { createKey, verifyKey } from "../helpers/api-keys.js";
import { graphql } from "../helpers/http.js";
import { startKeycloakTestbed, type KeycloakTestbed } from "../helpers/keycloak-service.js";
import { personWithRoles, type Person } from "../helpers/people.js";

let bed: KeycloakTestbed;
let admin: Person;
beforeAll(async () => {
  // Refusals are written once their (short, here) coalescing window is over.
  bed = await startKeycloakTestbed({ REFUSAL_RECORD_WINDOW_MS: "50" });
  admin = await personWithRoles(bed.db, bed.issuer, ["sys_admin"]);
});
afterAll(async () => {
  await bed?.close();
});

const HAS_USERS_READ = '{ hasPermission(resource: "users", action: read) }';

function wellFormedUnknownKey(): string {
  return `adb_${randomBytes(32).toString("base64url")}`;
}

async function waitUntil(moment: Date): Promise<void> {
  await new Promise((resolve) => setTimeout(resolve, Math.max(0, moment.getTime() - Date.now()) + 50));
}

test("an issued key is shown once, with a short recognisable prefix", async () => {
  const issued = await createKey(bed.url, admin.headers);
  expect(issued.key).toMatch(/^adb_[A-Za-z0-9_-]{43}$/);
  expect(issued.keyPrefix).toBe(issued.key.slice(0, 10));
});

test("an issued key verifies as VALID with its id, service, tier and permissions", async () => {
  const issued = await createKey(bed.url, admin.headers, { tier: "system", permissions: ["users:read", "audit_logs:read"] });
  expect(await verifyKey(bed.url, issued.key, admin.headers)).toEqual({
    valid: true,
    code: "VALID",
    keyId: issued.id,
    serviceName: "billing",
    tier: "system",
    permissions: ["audit_logs:read", "users:read"],
  });
});

test("a key in X-API-Key authenticates a GraphQL request as its service", async () => {
  const issued = await createKey(bed.url, admin.headers, { tier: "system", permissions: ["users:read"] });
  const { body } = await graphql(bed.url, `{ ${HAS_USERS_READ.slice(1, -1)} currentUser { username } }`, {}, { "x-api-key": issued.key });
  expect(body).toEqual({ data: { hasPermission: true, currentUser: null } });
});

test("a key in Authorization: ApiKey works the same", async () => {
  const issued = await createKey(bed.url, admin.headers, { tier: "system", permissions: ["users:read"] });
  const { body } = await graphql(bed.url, HAS_USERS_READ, {}, { authorization: `ApiKey ${issued.key}` });
  expect(body).toEqual({ data: { hasPermission: true } });
});

test("an unknown key verifies as NOT_FOUND", async () => {
  expect(await verifyKey(bed.url, wellFormedUnknownKey(), admin.headers)).toMatchObject({ valid: false, code: "NOT_FOUND", keyId: null });
});

test.each([
  ["empty", ""],
  ["too long", `adb_${"a".repeat(500)}`],
  ["non-ASCII", `adb_${"é".repeat(43)}`],
  ["with the wrong prefix", `sk_${randomBytes(32).toString("base64url")}`],
])("a key that is %s verifies as MALFORMED", async (_what, key) => {
  expect(await verifyKey(bed.url, key, admin.headers)).toMatchObject({ valid: false, code: "MALFORMED" });
});

test("a revoked key verifies as REVOKED at once", async () => {
  const issued = await createKey(bed.url, admin.headers);
  const { body } = await graphql(
    bed.url,
    "mutation ($id: UUID!) { revokeApiKey(input: { id: $id }) { result { isActive } } }",
    { id: issued.id },
    admin.headers,
  );
  expect(body.data).toEqual({ revokeApiKey: { result: { isActive: false } } });
  expect(await verifyKey(bed.url, issued.key, admin.headers)).toMatchObject({ valid: false, code: "REVOKED" });
});

test("a key is EXPIRED from the second its expiry passes", async () => {
  const expiresAt = new Date(Date.now() + 1500);
  const issued = await createKey(bed.url, admin.headers, { expiresAt });
  expect(await verifyKey(bed.url, issued.key, admin.headers)).toMatchObject({ code: "VALID" });
  await waitUntil(expiresAt);
  expect(await verifyKey(bed.url, issued.key, admin.headers)).toMatchObject({ valid: false, code: "EXPIRED" });
});

test("issuing a key that expires in the past is refused, naming expiresAt", async () => {
  await expect(createKey(bed.url, admin.headers, { expiresAt: new Date(Date.now() - 60_000) })).rejects.toThrow(
    "expiresAt: must be in the future",
  );
});

const ROTATE = `mutation ($id: UUID!, $grace: Int) {
  rotateApiKey(input: { id: $id, graceSeconds: $grace }) { result { id: keyId key } }
}`;

test("rotation without grace gives a new secret and refuses the old one at once", async () => {
  const old = await createKey(bed.url, admin.headers);
  const { body } = await graphql<{ rotateApiKey: { result: { id: string; key: string } } }>(
    bed.url,
    ROTATE,
    { id: old.id, grace: 0 },
    admin.headers,
  );
  const rotated = body.data!.rotateApiKey.result;
  expect(rotated.key).not.toBe(old.key);
  expect(await verifyKey(bed.url, rotated.key, admin.headers)).toMatchObject({ code: "VALID", keyId: rotated.id });
  expect(await verifyKey(bed.url, old.key, admin.headers)).toMatchObject({ valid: false, code: "REVOKED" });
});

test("during a rotation's grace period both secrets work, then only the new one", async () => {
  const old = await createKey(bed.url, admin.headers);
  const rotatedAt = Date.now();
  const { body } = await graphql<{ rotateApiKey: { result: { key: string } } }>(bed.url, ROTATE, { id: old.id, grace: 2 }, admin.headers);
  const rotated = body.data!.rotateApiKey.result;
  expect(await verifyKey(bed.url, old.key, admin.headers)).toMatchObject({ code: "VALID" });
  await waitUntil(new Date(rotatedAt + 2000));
  expect(await verifyKey(bed.url, old.key, admin.headers)).toMatchObject({ code: "REVOKED" });
  expect(await verifyKey(bed.url, rotated.key, admin.headers)).toMatchObject({ code: "VALID" });
});

test("a bad key on a request is a 401 with its code, never anonymous", async () => {
  const response = await graphql(bed.url, HAS_USERS_READ, {}, { "x-api-key": wellFormedUnknownKey() });
  expect({ status: response.status, extensions: response.body.errors?.[0]?.extensions }).toEqual({
    status: 401,
    extensions: { code: "UNAUTHENTICATED", reason: "API_KEY_NOT_FOUND" },
  });
  expect(response.headers.get("www-authenticate")).toMatch(/^ApiKey realm="auth-db", error="invalid_key"/);
});

test("a request with both a token and a key is refused as ambiguous", async () => {
  const issued = await createKey(bed.url, admin.headers);
  const response = await graphql(bed.url, HAS_USERS_READ, {}, { ...admin.headers, "x-api-key": issued.key });
  expect({ status: response.status, reason: response.body.errors?.[0]?.extensions?.reason }).toEqual({
    status: 401,
    reason: "AMBIGUOUS_CREDENTIALS",
  });
});

test("the key list shows prefixes and never a hash", async () => {
  const issued = await createKey(bed.url, admin.headers, { name: "listed key" });
  const { body } = await graphql<{ allApiKeys: { nodes: Array<Record<string, unknown>> } }>(
    bed.url,
    "{ allApiKeys { nodes { rowId name keyPrefix serviceName tier permissions expiresAt lastUsedAt isActive } } }",
    {},
    admin.headers,
  );
  expect(body.data!.allApiKeys.nodes).toContainEqual(
    expect.objectContaining({ rowId: issued.id, name: "listed key", keyPrefix: issued.keyPrefix, isActive: true }),
  );
  const type = await graphql<{ __type: { fields: Array<{ name: string }> } }>(bed.url, '{ __type(name: "ApiKey") { fields { name } } }');
  expect(type.body.data!.__type.fields.map((field) => field.name)).not.toContain("keyHash");
});

test("a failed verification is recorded as a security event with ip, prefix and code, never the key", async () => {
  const key = wellFormedUnknownKey();
  await graphql(bed.url, HAS_USERS_READ, {}, { "x-api-key": key, "user-agent": "probe/1.0" });
  let rows: unknown[] = [];
  for (let tries = 0; tries < 100 && rows.length === 0; tries++) {
    if (tries > 0) await new Promise((resolve) => setTimeout(resolve, 50));
    ({ rows } = await bed.db.asOwner((client) =>
      client.query("select type, ip_address, user_agent, detail from auth.security_events where detail->'key_prefix'->'counts' ? $1", [
        key.slice(0, 10),
      ]),
    ));
  }
  // Refusals of one caller and address within a window share one event (another test's may be in it).
  expect(rows).toEqual([
    {
      type: "API_KEY_REJECTED",
      ip_address: "127.0.0.1",
      user_agent: expect.any(String),
      detail: expect.objectContaining({
        code: expect.objectContaining({ counts: expect.objectContaining({ NOT_FOUND: expect.any(Number) }) }),
        key_prefix: expect.objectContaining({ counts: expect.objectContaining({ [key.slice(0, 10)]: 1 }) }),
        count: expect.any(Number),
      }),
    },
  ]);
  expect(JSON.stringify(rows)).not.toContain(key);
});

test.each(["infinity", "-infinity"])("an expiry of %s is refused: a key's expiry is a point in time", async (expiresAt) => {
  const { body } = await graphql(
    bed.url,
    `mutation ($expiresAt: Datetime) { createApiKey(input: { name: "n", serviceName: "s", tier: system, permissions: [], expiresAt: $expiresAt }) { result { keyId } } }`,
    { expiresAt },
    admin.headers,
  );
  expect(body.errors?.[0]?.message).toMatch(/^expiresAt: /);
});

test("a rotated-out key expires when its grace ends", async () => {
  const { id } = await createKey(bed.url, admin.headers, { tier: "system", permissions: [] });
  await graphql(bed.url, "mutation ($id: UUID!) { rotateApiKey(input: { id: $id, graceSeconds: 60 }) { result { keyId } } }", { id }, admin.headers);
  const { rows } = await bed.db.asOwner((client) =>
    client.query<{ ends_with_grace: boolean }>("select expires_at = revoked_at as ends_with_grace from auth.api_keys where id = $1", [id]),
  );
  expect(rows[0]!.ends_with_grace).toBe(true);
});
