import fs from "node:fs/promises";
import os from "node:os";
import path from "node:path";
import { decodeJwt } from "jose";
import { runCommand } from "../helpers/cli.js";
import { createTestDatabase, testConfig, type TestDatabase } from "../helpers/database.js";
import { graphql } from "../helpers/http.js";
import { startTestService } from "../helpers/service.js";

let db: TestDatabase;
let keyDir: string;
let keyEnv: Record<string, string>;
beforeAll(async () => {
  db = await createTestDatabase();
  keyDir = await fs.mkdtemp(path.join(os.tmpdir(), "auth-db-dev-issuer-"));
  keyEnv = { DEV_ISSUER_KEY_FILE: path.join(keyDir, "key.json") };
});
afterAll(async () => {
  await db?.drop();
  await fs.rm(keyDir, { recursive: true, force: true });
});

test("a development token is trusted by a server without KEYCLOAK_ISSUER", async () => {
  const { stdout, code } = await runCommand("token", ["--username", "hanako"], keyEnv);
  expect(code).toBe(0);
  const service = await startTestService({ ...testConfig({ env: keyEnv }), database: db.config.database });
  try {
    const response = await graphql(service.url, "{ currentUser { username } }", {}, { authorization: `Bearer ${stdout.trim()}` });
    expect(response.body).toEqual({ data: { currentUser: { username: "hanako" } } });
  } finally {
    await service.stop();
  }
});

test("a development token carries the realm roles it was asked for, in Keycloak's shape", async () => {
  const { stdout } = await runCommand("token", ["--username", "kenji", "--realm-roles", "sys_operator,ops"], keyEnv);
  const claims = decodeJwt(stdout.trim());
  expect(claims).toMatchObject({
    preferred_username: "kenji",
    typ: "Bearer",
    realm_access: { roles: expect.arrayContaining(["sys_operator", "ops"]) },
  });
});

test("the same username always gets the same sub", async () => {
  const first = decodeJwt((await runCommand("token", ["--username", "same"], keyEnv)).stdout.trim());
  const second = decodeJwt((await runCommand("token", ["--username", "same"], keyEnv)).stdout.trim());
  expect(first.sub).toBe(second.sub);
});

test("npm run token refuses when a real issuer is configured", async () => {
  const result = await runCommand("token", ["--username", "x"], { ...keyEnv, KEYCLOAK_ISSUER: "http://127.0.0.1:8080/realms/k1s0" });
  expect(result.code).toBe(1);
  expect(result.stderr).toContain("npm run token signs development tokens only");
});

test("npm run token refuses to run in production", async () => {
  const result = await runCommand("token", ["--username", "x"], { ...keyEnv, NODE_ENV: "production" });
  expect(result.code).toBe(1);
  expect(result.stderr).toContain("KEYCLOAK_ISSUER: required in production");
});

test("npm run token without --username is refused with the usage", async () => {
  const result = await runCommand("token", [], keyEnv);
  expect(result.code).toBe(1);
  expect(result.stderr).toContain("--username is required");
});
