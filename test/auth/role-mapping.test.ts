import { loadConfig } from "../../src/config/config.js";
import { roleNamesFor } from "../../src/config/roles.js";
import { pgSettingsFor, postgresRoleFor, type Identity } from "../../src/auth/identity.js";
import { startService } from "../../src/service.js";
import { createTestDatabase, testConfig, type TestDatabase } from "../helpers/database.js";

const roles = roleNamesFor("auth_db");

function authWith(mapping: string | undefined) {
  return loadConfig(mapping === undefined ? {} : { KEYCLOAK_ROLE_MAPPING: mapping }, "/srv").auth;
}

test("with no mapping configured every user runs as the user role", () => {
  expect(postgresRoleFor(["sys_admin", "platform-admin"], authWith(undefined), roles)).toBe("auth_db_user");
});

test("a mapped Keycloak role lifts the user to its Postgres role", () => {
  expect(postgresRoleFor(["offline_access", "platform-admin"], authWith("platform-admin=auth_db_ops"), roles)).toBe(
    "auth_db_ops",
  );
});

test("the first matching mapping wins", () => {
  const auth = authWith("ops=auth_db_ops,platform-admin=auth_db_admin");
  expect(postgresRoleFor(["platform-admin", "ops"], auth, roles)).toBe("auth_db_ops");
});

test("the request's settings carry the role, the verified claims and the request facts", () => {
  const identity: Identity = {
    kind: "user",
    claims: { sub: "8d3f5b2a", preferred_username: "hanako", email: "hanako@example.com", email_verified: true, name: "Hanako Yamada" },
    keycloakRoles: ["sys_operator", "sys_auditor"],
    postgresRole: "auth_db_user",
  };
  const traceparent = "00-4bf92f3577b34da6a3ce929d0e0e4736-00f067aa0ba902b7-01";
  expect(pgSettingsFor(identity, { ip: "10.1.2.3", userAgent: "curl/8", traceparent }, roles)).toEqual({
    role: "auth_db_user",
    "jwt.claims.sub": "8d3f5b2a",
    "jwt.claims.preferred_username": "hanako",
    "jwt.claims.email": "hanako@example.com",
    "jwt.claims.name": "Hanako Yamada",
    "jwt.claims.roles": '["sys_operator","sys_auditor"]',
    "request.ip": "10.1.2.3",
    "request.user_agent": "curl/8",
    "request.trace_id": "4bf92f3577b34da6a3ce929d0e0e4736",
  });
});

test("an invalid traceparent is ignored", () => {
  const settings = pgSettingsFor({ kind: "anonymous" }, { traceparent: "00-zz-00f067aa0ba902b7-01" }, roles);
  expect(settings).toEqual({ role: "auth_db_anonymous" });
});

describe("at start", () => {
  let db: TestDatabase;
  beforeAll(async () => {
    db = await createTestDatabase();
  });
  afterAll(async () => {
    await db?.drop();
  });

  test("a mapping to a role the server cannot switch to stops the start, naming it", async () => {
    const config = testConfig({ env: { KEYCLOAK_ROLE_MAPPING: "platform-admin=no_such_pg_role" } });
    await expect(startService({ ...config, database: db.config.database })).rejects.toThrow(
      'KEYCLOAK_ROLE_MAPPING: the server cannot switch to Postgres role "no_such_pg_role"',
    );
  });

  test("a mapping to a role granted to the authenticator is accepted", async () => {
    const { roles: dbRoles } = db.config.database;
    const config = testConfig({ env: { KEYCLOAK_ROLE_MAPPING: `platform-admin=${dbRoles.service}` } });
    const service = await startService({ ...config, database: db.config.database });
    await service.stop();
  });
});
