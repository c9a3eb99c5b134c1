import { randomBytes } from "node:crypto";
import pg from "pg";
import { SecurityEventQueue, type SecurityEvent } from "../../src/security/event-queue.js";
import { createTestDatabase, testConfig, type TestDatabase } from "../helpers/database.js";
import { graphql, type GraphQLResponse } from "../helpers/http.js";
import { personWithRoles } from "../helpers/people.js";
import { startTestService, type TestService } from "../helpers/service.js";
import { TestIssuer } from "../helpers/test-issuer.js";

// An attacker's 300 refused operations, sent as 15 requests of 20 aliases so
// that they stay under any alias limit: the records must not grow with them.
const REQUESTS = 15;
const ALIASES = 20;

let db: TestDatabase;
let issuer: TestIssuer;
const running: TestService[] = [];
beforeAll(async () => {
  issuer = await TestIssuer.start();
  db = await createTestDatabase();
});
afterEach(async () => {
  while (running.length > 0) await running.pop()!.stop();
});
afterAll(async () => {
  await issuer?.close();
  await db?.drop();
});

/** auth-db on this file's database; each test gets its own, so failed-authentication counts do not carry over. */
async function serve(env: Record<string, string> = {}): Promise<TestService> {
  const config = testConfig({ env: { KEYCLOAK_ISSUER: issuer.issuer, KEYCLOAK_AUDIENCE: "auth-db", ...env } });
  const service = await startTestService({ ...config, database: db.config.database });
  running.push(service);
  return service;
}

/** Stops a service started by serve(): whatever it holds back is written now. */
async function stop(service: TestService): Promise<void> {
  running.splice(running.indexOf(service), 1);
  await service.stop();
}

function aliased(field: (index: number) => string): string {
  return `mutation { ${Array.from({ length: ALIASES }, (_, index) => `a${index}: ${field(index)}`).join(" ")} }`;
}

const CREATE_ROLES = aliased((index) => `createRole(input: { name: "attack_${index}", tier: business }) { clientMutationId }`);

async function sendAll(url: string, query: string, headers: Record<string, string> = {}): Promise<GraphQLResponse[]> {
  const responses: GraphQLResponse[] = [];
  for (let request = 0; request < REQUESTS; request++) responses.push(await graphql(url, query, {}, headers));
  return responses;
}

async function rows<T = Record<string, unknown>>(sql: string, values: unknown[] = []): Promise<T[]> {
  return (await db.asOwner((client) => client.query(sql, values))).rows as T[];
}

async function eventually<T>(read: () => Promise<T[]>): Promise<T[]> {
  for (let tries = 0; tries < 100; tries++) {
    const found = await read();
    if (found.length > 0) return found;
    await new Promise((resolve) => setTimeout(resolve, 50));
  }
  return read();
}

test("anonymous mutations are refused with 401 CREDENTIALS_REQUIRED before they run, and write nothing", async () => {
  const service = await serve();
  const auditBefore = await rows("select id from auth.audit_logs");
  const eventsBefore = await rows("select id from auth.security_events");
  const responses = await sendAll(service.url, CREATE_ROLES);
  await stop(service);
  expect(new Set(responses.map((response) => response.status))).toEqual(new Set([401]));
  expect(responses[0]!.body).toEqual({
    errors: [expect.objectContaining({ extensions: expect.objectContaining({ code: "UNAUTHENTICATED", reason: "CREDENTIALS_REQUIRED" }) })],
  });
  expect(responses[0]!.body.errors![0]!.message).toMatch(/credentials required/);
  expect(responses[0]!.headers.get("www-authenticate")).toMatch(/^Bearer realm="auth-db"/);
  expect(await rows("select id from auth.audit_logs")).toEqual(auditBefore);
  expect(await rows("select id from auth.security_events")).toEqual(eventsBefore);
  expect(await rows("select name from auth.roles where name like 'attack_%'")).toEqual([]);
});

test("an anonymous mutation is refused whatever the request's shape (application/graphql)", async () => {
  const service = await serve();
  const response = await fetch(`${service.url}/graphql`, {
    method: "POST",
    headers: { "content-type": "application/graphql", accept: "application/json" },
    body: 'mutation { createRole(input: { name: "attack_raw", tier: business }) { clientMutationId } }',
  });
  const body = (await response.json()) as GraphQLResponse["body"];
  expect({ status: response.status, reason: body.errors?.[0]?.extensions?.reason }).toEqual({ status: 401, reason: "CREDENTIALS_REQUIRED" });
  expect(await rows("select name from auth.roles where name = 'attack_raw'")).toEqual([]);
});

test("anonymous verifyApiKey is refused too: gateways verify keys with credentials of their own", async () => {
  const service = await serve();
  const eventsBefore = await rows("select id from auth.security_events");
  const response = await graphql(service.url, 'mutation { verifyApiKey(input: { key: "adb_guess" }) { result { valid code } } }');
  await stop(service);
  expect({ status: response.status, reason: response.body.errors?.[0]?.extensions?.reason }).toEqual({
    status: 401,
    reason: "CREDENTIALS_REQUIRED",
  });
  expect(await rows("select id from auth.security_events")).toEqual(eventsBefore);
});

test("anonymous queries still run", async () => {
  const service = await serve();
  const { status, body } = await graphql(service.url, '{ hasPermission(resource: "users", action: read) }');
  expect({ status, body }).toEqual({ status: 200, body: { data: { hasPermission: false } } });
});

test("300 refused mutations of a signed-in caller become one ACCESS_DENIED row and one REQUEST_DENIED event counting 300", async () => {
  const service = await serve();
  const auditor = await personWithRoles(db, issuer, ["sys_auditor"]);
  const responses = await sendAll(service.url, CREATE_ROLES, auditor.headers);
  expect(responses.every((response) => response.status === 200 && response.body.errors?.length === ALIASES)).toBe(true);
  await stop(service);
  const denied = await rows(
    "select action, resource, ip_address, actor_type, detail from auth.audit_logs where user_id = $1 and event_type = 'ACCESS_DENIED'",
    [auditor.sub],
  );
  expect(denied).toEqual([
    {
      action: "createRole",
      resource: "auth_config",
      ip_address: "127.0.0.1",
      actor_type: "user",
      detail: expect.objectContaining({ permission: "auth_config:write", count: REQUESTS * ALIASES }),
    },
  ]);
  expect(await rows("select type, ip_address, detail from auth.security_events where user_id = $1", [auditor.sub])).toEqual([
    {
      type: "REQUEST_DENIED",
      ip_address: "127.0.0.1",
      detail: expect.objectContaining({ field: "createRole", permission: "auth_config:write", count: REQUESTS * ALIASES }),
    },
  ]);
});

test("auth.verify_api_key writes no security event itself", async () => {
  const before = await rows("select id from auth.security_events");
  await rows("select * from auth.verify_api_key($1)", [`adb_${randomBytes(32).toString("base64url")}`]);
  await rows("select * from auth.verify_api_key($1)", ["not a key"]);
  expect(await rows("select id from auth.security_events")).toEqual(before);
});

test("300 failed verifyApiKey calls are queued by the server as one API_KEY_REJECTED event of the caller, counting prefixes and codes", async () => {
  const service = await serve();
  const gateway = await personWithRoles(db, issuer, []);
  const prefix = `adb_${randomBytes(4).toString("hex").slice(0, 6)}`;
  const guesses = aliased(() => `verifyApiKey(input: { key: "${prefix}${randomBytes(32).toString("base64url").slice(0, 37)}" }) { result { valid code } }`);
  const responses = await sendAll(service.url, guesses, gateway.headers);
  expect(responses.every((response) => response.status === 200 && !response.body.errors)).toBe(true);
  expect(Object.values(responses[0]!.body.data!)[0]).toEqual({ result: { valid: false, code: "NOT_FOUND" } });
  // Nothing was written on the request path.
  expect(await rows("select id from auth.security_events where user_id = $1", [gateway.sub])).toEqual([]);
  await stop(service);
  expect(await rows("select type, ip_address, detail from auth.security_events where user_id = $1", [gateway.sub])).toEqual([
    {
      type: "API_KEY_REJECTED",
      ip_address: "127.0.0.1",
      detail: expect.objectContaining({
        code: { counts: { NOT_FOUND: REQUESTS * ALIASES }, distinct: 1 },
        key_prefix: { counts: { [prefix]: REQUESTS * ALIASES }, distinct: 1 },
        count: REQUESTS * ALIASES,
      }),
    },
  ]);
});

test("with TRUST_PROXY, a garbage X-Forwarded-For leaves the address unset and the refusal is still recorded", async () => {
  const service = await serve({ TRUST_PROXY: "true", REFUSAL_RECORD_WINDOW_MS: "50" });
  const auditor = await personWithRoles(db, issuer, ["sys_auditor"]);
  const response = await graphql(
    service.url,
    'mutation { createRole(input: { name: "forwarded", tier: business }) { clientMutationId } }',
    {},
    { ...auditor.headers, "x-forwarded-for": "not-an-address" },
  );
  expect(response.status).toBe(200);
  const audited = await eventually(() => rows("select action, ip_address from auth.audit_logs where user_id = $1 and event_type = 'ACCESS_DENIED'", [auditor.sub]));
  expect(audited).toEqual([{ action: "createRole", ip_address: null }]);
  const events = await eventually(() => rows("select type, ip_address from auth.security_events where user_id = $1", [auditor.sub]));
  expect(events).toEqual([{ type: "REQUEST_DENIED", ip_address: null }]);
});

test("with TRUST_PROXY, a valid X-Forwarded-For is the recorded address", async () => {
  const service = await serve({ TRUST_PROXY: "true", REFUSAL_RECORD_WINDOW_MS: "50" });
  const auditor = await personWithRoles(db, issuer, ["sys_auditor"]);
  await graphql(
    service.url,
    'mutation { createRole(input: { name: "forwarded", tier: business }) { clientMutationId } }',
    {},
    { ...auditor.headers, "x-forwarded-for": "203.0.113.7" },
  );
  const audited = await eventually(() => rows("select ip_address from auth.audit_logs where user_id = $1 and event_type = 'ACCESS_DENIED'", [auditor.sub]));
  expect(audited).toEqual([{ ip_address: "203.0.113.7" }]);
});

test("one malformed event does not drop the other events of its batch", async () => {
  const pool = new pg.Pool({ connectionString: db.config.database.authenticatorUrl, max: 1 });
  const queue = new SecurityEventQueue(pool, { capacity: 100, flushIntervalMs: 60_000 });
  const tag = randomBytes(4).toString("hex");
  try {
    queue.record({ type: "BATCH_GOOD", description: `${tag} before`, ip_address: "192.0.2.1" });
    queue.record({
      type: "BATCH_MALFORMED",
      description: tag,
      ip_address: "garbage, 10.0.0.1",
      created_at: "yesterday",
      detail: ["not", "an", "object"],
    } as unknown as SecurityEvent);
    queue.record({ type: "bad type; drop table", description: tag });
    queue.record({ type: "BATCH_GOOD", description: `${tag} after`, ip_address: "2001:db8::1" });
    await queue.flush();
  } finally {
    await queue.stop();
    await pool.end();
  }
  expect(await rows("select type, description, ip_address, detail from auth.security_events where description like $1 order by id", [`${tag}%`])).toEqual([
    { type: "BATCH_GOOD", description: `${tag} before`, ip_address: "192.0.2.1", detail: {} },
    { type: "BATCH_MALFORMED", description: tag, ip_address: null, detail: {} },
    { type: "BATCH_GOOD", description: `${tag} after`, ip_address: "2001:db8::1", detail: {} },
  ]);
});

test("auth.record_security_events writes the valid events of a batch and neutralises bad fields", async () => {
  const tag = randomBytes(4).toString("hex");
  const batch = [
    { type: "SQL_GOOD", description: tag, ip_address: "192.0.2.9" },
    { type: "SQL_NEUTRALISED", description: tag, ip_address: "garbage", created_at: "not a time", detail: "text" },
    { type: "not a type", description: tag },
    "not an event",
    { type: "SQL_GOOD", description: tag, created_at: new Date().toISOString() },
  ];
  const written = await db.asRoot(async (client) => {
    await client.query(`set role ${db.config.database.roles.authenticator}`);
    return (await client.query("select auth.record_security_events($1::jsonb) as n", [JSON.stringify(batch)])).rows[0].n;
  });
  expect(written).toBe(3);
  expect(await rows("select type, ip_address, detail from auth.security_events where description = $1 order by id", [tag])).toEqual([
    { type: "SQL_GOOD", ip_address: "192.0.2.9", detail: {} },
    { type: "SQL_NEUTRALISED", ip_address: null, detail: {} },
    { type: "SQL_GOOD", ip_address: null, detail: {} },
  ]);
});

/** The security events of `type` from `address`, as written. */
async function eventsFrom(type: string, address: string) {
  return rows<{ user_id: string | null; detail: Record<string, unknown> }>(
    "select user_id, detail from auth.security_events where type = $1 and ip_address = $2 order by id",
    [type, address],
  );
}

test("distinct malformed keys in verifyApiKey come to one API_KEY_REJECTED event per caller and address, not one per prefix", async () => {
  // Room for 5 open records in all: before the fix, 20 attacker-chosen prefixes took all of it.
  const service = await serve({ TRUST_PROXY: "true", REFUSAL_RECORD_MAX_KEYS: "5" });
  const attacker = await personWithRoles(db, issuer, []);
  const victimCaller = await personWithRoles(db, issuer, ["sys_auditor"]);
  const prefixes = Array.from({ length: ALIASES }, (_, index) => `zz${String(index).padStart(2, "0")}${randomBytes(3).toString("hex")}`);
  const guesses = aliased((index) => `verifyApiKey(input: { key: "${prefixes[index]}" }) { result { valid code } }`);
  const attack = await graphql(service.url, guesses, {}, { ...attacker.headers, "x-forwarded-for": "203.0.113.60" });
  expect(attack.status).toBe(200);
  await graphql(service.url, 'mutation { createRole(input: { name: "victim_a", tier: business }) { clientMutationId } }', {}, {
    ...victimCaller.headers,
    "x-forwarded-for": "198.51.100.60",
  });
  await stop(service);
  const rejected = await eventsFrom("API_KEY_REJECTED", "203.0.113.60");
  expect(rejected).toHaveLength(1);
  const summary = rejected[0]!.detail;
  expect(summary).toMatchObject({ count: ALIASES, code: { counts: { MALFORMED: ALIASES }, distinct: 1 }, key_prefix: { distinct: ALIASES } });
  expect(Object.keys((summary.key_prefix as { counts: object }).counts)).toHaveLength(10);
  expect(await eventsFrom("REQUEST_DENIED", "198.51.100.60")).toEqual([expect.objectContaining({ user_id: victimCaller.sub })]);
});

test("one address cannot take the room of others' refusal records (REFUSAL_RECORD_MAX_KEYS_PER_ADDRESS)", async () => {
  const service = await serve({ TRUST_PROXY: "true", REFUSAL_RECORD_MAX_KEYS: "5", REFUSAL_RECORD_MAX_KEYS_PER_ADDRESS: "2" });
  const attacker = await personWithRoles(db, issuer, []);
  const victimCaller = await personWithRoles(db, issuer, ["sys_auditor"]);
  // Six refused mutation fields: six records (caller, field, address) before the per-address bound.
  const refused = `mutation {
    a: createRole(input: { name: "x_role", tier: business }) { clientMutationId }
    b: deleteRole(input: { name: "x_role" }) { result }
    c: assignRole(input: { userId: "${attacker.userId}", roleName: "x_role" }) { result { roleId } }
    d: grantPermission(input: { roleName: "x_role", resource: "x", action: read }) { result { roleId } }
    e: revokePermission(input: { roleName: "x_role", resource: "x", action: read }) { result }
    f: revokeRole(input: { userId: "${attacker.userId}", roleName: "x_role" }) { result }
  }`;
  const attack = await graphql(service.url, refused, {}, { ...attacker.headers, "x-forwarded-for": "203.0.113.61" });
  expect(attack.body.errors?.length).toBeGreaterThanOrEqual(6);
  await graphql(service.url, 'mutation { createRole(input: { name: "victim_b", tier: business }) { clientMutationId } }', {}, {
    ...victimCaller.headers,
    "x-forwarded-for": "198.51.100.61",
  });
  await stop(service);
  expect(await eventsFrom("REQUEST_DENIED", "203.0.113.61")).toHaveLength(2);
  expect(await eventsFrom("REQUEST_DENIED", "198.51.100.61")).toEqual([expect.objectContaining({ user_id: victimCaller.sub })]);
  const audited = await rows("select action from auth.audit_logs where event_type = 'ACCESS_DENIED' and ip_address = $1", ["198.51.100.61"]);
  expect(audited).toEqual([{ action: "createRole" }]);
});

test("rejected tokens from one address come to one CREDENTIAL_REJECTED event with a count and a bounded summary of what they claimed", async () => {
  const service = await serve({ TRUST_PROXY: "true" });
  const forged = (kid: string) =>
    `${Buffer.from(JSON.stringify({ alg: "RS256", kid })).toString("base64url")}.${Buffer.from(JSON.stringify({ iss: "https://evil.example" })).toString("base64url")}.c2ln`;
  for (let index = 0; index < 12; index++) {
    await graphql(service.url, "{ __typename }", {}, { authorization: `Bearer ${forged(`kid-${index}`)}`, "x-forwarded-for": "203.0.113.62" });
  }
  await graphql(service.url, "{ __typename }", {}, { authorization: "Bearer nonsense", "x-forwarded-for": "203.0.113.62" });
  await stop(service);
  const events = await eventsFrom("CREDENTIAL_REJECTED", "203.0.113.62");
  expect(events).toHaveLength(1);
  expect(events[0]!.detail).toMatchObject({
    count: 13,
    iss: { counts: { "https://evil.example": 12 }, distinct: 1 },
    kid: { distinct: 12 },
  });
  expect(Object.keys((events[0]!.detail.kid as { counts: object }).counts)).toHaveLength(10);
  const reasons = (events[0]!.detail.reason as { counts: Record<string, number> }).counts;
  expect(Object.values(reasons).reduce((sum, n) => sum + n, 0)).toBe(13);
});
