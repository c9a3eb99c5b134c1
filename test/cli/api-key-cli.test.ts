import { runCommand } from "../helpers/cli.js";
import { createTestDatabase, type TestDatabase } from "../helpers/database.js";
import { startTestService } from "../helpers/service.js";
import { verifyKey } from "../helpers/api-keys.js";

let db: TestDatabase;
let service: Awaited<ReturnType<typeof startTestService>>;
/** The credentials the tests verify keys with, as a gateway would: a key of its own. */
let gateway: Record<string, string>;
beforeAll(async () => {
  db = await createTestDatabase();
  service = await startTestService(db.config);
  const issued = await create("--tier", "system", "--permissions", "api_gateway:read");
  gateway = { "x-api-key": issued.stdout.trim() };
});
afterAll(async () => {
  await service?.stop();
  await db?.drop();
});

async function create(...extra: string[]) {
  return runCommand("api-key", ["create", "--name", "gateway", "--service", "api-gateway", ...extra], db.env);
}

test("create prints the new key once on stdout, and it verifies", async () => {
  const result = await create("--tier", "system", "--permissions", "api_gateway:read,users:read");
  expect(result.code).toBe(0);
  const key = result.stdout.trim();
  expect(key).toMatch(/^adb_[A-Za-z0-9_-]{43}$/);
  expect(result.stderr).toContain("it is shown once");
  expect(await verifyKey(service.url, key, gateway)).toMatchObject({
    code: "VALID",
    serviceName: "api-gateway",
    permissions: ["api_gateway:read", "users:read"],
  });
});

test("list shows prefixes and never the key", async () => {
  const key = (await create()).stdout.trim();
  const result = await runCommand("api-key", ["list"], db.env);
  expect(result.code).toBe(0);
  expect(result.stdout).toContain(key.slice(0, 10));
  expect(result.stdout).not.toContain(key.slice(10));
});

test("revoke stops a key at once", async () => {
  const key = (await create()).stdout.trim();
  const { keyId } = await verifyKey(service.url, key, gateway);
  const result = await runCommand("api-key", ["revoke", "--id", keyId!], db.env);
  expect(result).toMatchObject({ code: 0, stdout: `revoked ${keyId}\n` });
  expect(await verifyKey(service.url, key, gateway)).toMatchObject({ code: "REVOKED" });
});

test("rotate prints a new key and the old one stops", async () => {
  const key = (await create()).stdout.trim();
  const { keyId } = await verifyKey(service.url, key, gateway);
  const result = await runCommand("api-key", ["rotate", "--id", keyId!], db.env);
  expect(result.code).toBe(0);
  expect(await verifyKey(service.url, result.stdout.trim(), gateway)).toMatchObject({ code: "VALID" });
  expect(await verifyKey(service.url, key, gateway)).toMatchObject({ code: "REVOKED" });
});

test("the tier ceiling holds for operators too", async () => {
  const result = await create("--tier", "service", "--permissions", "users:read");
  expect(result.code).toBe(1);
  expect(result.stderr).toContain("permissions: users:read is a system permission");
});

test.each([
  [["create", "--name", "x"], "create needs --service"],
  [["create", "--name", "x", "--service", "y", "--tier", "gold"], '--tier: expected service, business or system, got "gold"'],
  [["create", "--name", "x", "--service", "y", "--expires-at", "soon"], '--expires-at: expected an ISO 8601 time, got "soon"'],
  [["revoke", "--id", "42"], '--id: expected a key id (UUID), got "42"'],
  [["list", "--id", "5f0c9d38-0000-4000-8000-000000000000"], "list does not take --id"],
  [["create", "--name", "x", "--service", "y", "--secret", "z"], "Unknown option '--secret'"],
  [["burn"], "expected one command: create, list, revoke or rotate"],
])("bad arguments %j are refused: %s", async (args, message) => {
  const result = await runCommand("api-key", args, db.env);
  expect(result.code).toBe(1);
  expect(result.stderr).toContain(message);
});
