import { configWarnings, loadConfig } from "../src/config/config.js";
import { problemsOf } from "./helpers/config-problems.js";

test("with no DATABASE_URL the embedded database is used, under .data/", () => {
  const config = loadConfig({}, "/srv/auth-db");
  expect(config.database.source).toMatchObject({ kind: "embedded", dataDir: "/srv/auth-db/.data/postgres", port: 54320 });
  expect(config.port).toBe(3000);
});

test("role names are derived from the database name", () => {
  const config = loadConfig({ DATABASE_URL: "postgres://o:p@db.example:5432/tenant_a" }, "/srv");
  expect(config.database.roles).toMatchObject({
    authenticator: "tenant_a_authenticator",
    anonymous: "tenant_a_anonymous",
    user: "tenant_a_user",
    service: "tenant_a_service",
  });
});

test("the authenticator connects to DATABASE_URL's server under its own name", () => {
  const config = loadConfig(
    { DATABASE_URL: "postgres://o:p@db.example:5432/tenant_a", AUTHENTICATOR_PASSWORD: "s3cret" },
    "/srv",
  );
  expect(new URL(config.database.authenticatorUrl)).toMatchObject({
    hostname: "db.example",
    port: "5432",
    username: "tenant_a_authenticator",
    password: "s3cret",
    pathname: "/tenant_a",
  });
});

test("every invalid variable is named in one error", () => {
  expect(problemsOf({ PORT: "eighty", DATABASE_URL: "mysql://x/y", NODE_ENV: "staging" })).toEqual([
    "NODE_ENV: expected development, test or production",
    "PORT: expected a port number",
    "DATABASE_URL: expected a postgres:// connection string",
  ]);
});

test("production refuses the embedded database, development passwords and the development issuer", () => {
  expect(problemsOf({ NODE_ENV: "production" })).toEqual([
    "DATABASE_URL: required in production (or set EMBEDDED_PG_ALLOWED=true to run the embedded PostgreSQL)",
    "DATABASE_OWNER_PASSWORD: required in production",
    "AUTHENTICATOR_PASSWORD: required in production",
    "KEYCLOAK_ISSUER: required in production (the development token issuer is refused)",
  ]);
});

const production = {
  NODE_ENV: "production",
  DATABASE_URL: "postgres://o:p@db/x",
  AUTHENTICATOR_PASSWORD: "a",
  KEYCLOAK_ISSUER: "https://sso.example/realms/k1s0",
  KEYCLOAK_AUDIENCE: "auth-db",
};

test("a production configuration with secrets of its own, https issuer and audience loads without warnings", () => {
  expect(configWarnings(loadConfig(production, "/srv"))).toEqual([]);
});

test("production refuses the documented development passwords when set explicitly", () => {
  expect(problemsOf({ ...production, AUTHENTICATOR_PASSWORD: "auth_db_authenticator_dev", DATABASE_OWNER_PASSWORD: "auth_db_owner_dev" })).toEqual([
    "DATABASE_OWNER_PASSWORD: a documented development default, refused in production; set a secret of your own",
    "AUTHENTICATOR_PASSWORD: a documented development default, refused in production; set a secret of your own",
  ]);
});

test("production refuses a documented development password inside any connection string", () => {
  expect(
    problemsOf({
      ...production,
      DATABASE_URL: "postgres://auth_db_owner:auth_db_owner_dev@db/x",
      AUTHENTICATOR_DATABASE_URL: "postgres://db/x?user=x_authenticator&password=auth_db_authenticator_dev",
      ROOT_DATABASE_URL: "postgres://postgres:postgres@db/postgres",
      SHADOW_DATABASE_URL: "postgres://o:auth_db_authenticator_dev@db/x_shadow",
    }),
  ).toEqual([
    "DATABASE_URL: its password is a documented development default, refused in production; set a secret of your own",
    "AUTHENTICATOR_DATABASE_URL: its password is a documented development default, refused in production; set a secret of your own",
    "ROOT_DATABASE_URL: its password is a documented development default, refused in production; set a secret of your own",
    "SHADOW_DATABASE_URL: its password is a documented development default, refused in production; set a secret of your own",
  ]);
});

test("outside production the documented development passwords are accepted", () => {
  expect(() => loadConfig({ AUTHENTICATOR_PASSWORD: "auth_db_authenticator_dev", ROOT_DATABASE_URL: "postgres://postgres:postgres@db/postgres" }, "/srv")).not.toThrow();
});

const embeddedInProduction = {
  NODE_ENV: "production",
  EMBEDDED_PG_ALLOWED: "true",
  DATABASE_OWNER_PASSWORD: "o",
  AUTHENTICATOR_PASSWORD: "a",
  KEYCLOAK_ISSUER: "https://sso.example/realms/k1s0",
  KEYCLOAK_AUDIENCE: "auth-db",
};

test("production refuses the embedded database without EMBEDDED_PG_PASSWORD, or with the documented one", () => {
  expect(problemsOf(embeddedInProduction)).toEqual([
    "EMBEDDED_PG_PASSWORD: required in production with the embedded database (else its superuser is postgres/postgres)",
  ]);
  expect(problemsOf({ ...embeddedInProduction, EMBEDDED_PG_PASSWORD: "postgres" })).toEqual([
    "EMBEDDED_PG_PASSWORD: a documented development default, refused in production; set a secret of your own",
  ]);
  expect(loadConfig({ ...embeddedInProduction, EMBEDDED_PG_PASSWORD: "s3cret" }, "/srv").database.source).toMatchObject({
    kind: "embedded",
    superuserPassword: "s3cret",
  });
});

test("production refuses a Keycloak issuer without KEYCLOAK_AUDIENCE", () => {
  expect(problemsOf({ ...production, KEYCLOAK_AUDIENCE: "" })).toEqual([
    "KEYCLOAK_AUDIENCE: required in production (else tokens Keycloak issued to any client of the realm are accepted; add an audience mapper for auth-db's client)",
  ]);
});

test("an http:// issuer in production is warned about, not refused; outside production it is not", () => {
  const plain = { ...production, KEYCLOAK_ISSUER: "http://keycloak.internal:8080/realms/k1s0" };
  expect(configWarnings(loadConfig(plain, "/srv"))).toEqual([
    "KEYCLOAK_ISSUER: http:// in production: the signing keys are fetched without TLS, so whoever sits on the path can make tokens; use https:// unless that network is trusted",
  ]);
  expect(configWarnings(loadConfig({ ...plain, NODE_ENV: "development" }, "/srv"))).toEqual([]);
});

test("GraphiQL is off in production unless enabled", () => {
  const env = production;
  expect(loadConfig(env, "/srv").graphiql).toBe(false);
  expect(loadConfig({ ...env, GRAPHIQL: "true" }, "/srv").graphiql).toBe(true);
});

test("without KEYCLOAK_ISSUER outside production the development issuer is trusted", () => {
  expect(loadConfig({}, "/srv").auth.issuer).toMatchObject({
    kind: "development",
    keyFile: "/srv/.data/dev-issuer-key.json",
  });
});

test("KEYCLOAK_ISSUER selects Keycloak, without a trailing slash", () => {
  const config = loadConfig({ KEYCLOAK_ISSUER: "http://localhost:8080/realms/k1s0/", KEYCLOAK_AUDIENCE: "auth-db" }, "/srv");
  expect(config.auth.issuer).toMatchObject({
    kind: "keycloak",
    url: "http://localhost:8080/realms/k1s0",
    audience: "auth-db",
    clockToleranceSeconds: 30,
  });
});

test("the JWKS is fetched again at most every five seconds by default, and the interval can be at most a minute", () => {
  const keycloak = { KEYCLOAK_ISSUER: "http://localhost:8080/realms/k1s0" };
  expect(loadConfig(keycloak, "/srv").auth.issuer).toMatchObject({ jwksCooldownMs: 5000 });
  expect(loadConfig({ ...keycloak, KEYCLOAK_JWKS_COOLDOWN_MS: "0" }, "/srv").auth.issuer).toMatchObject({ jwksCooldownMs: 0 });
  expect(problemsOf({ ...keycloak, KEYCLOAK_JWKS_COOLDOWN_MS: "600000" })).toEqual(["KEYCLOAK_JWKS_COOLDOWN_MS: expected 0 to 60000 milliseconds"]);
});

test("a KEYCLOAK_ISSUER that is not an http(s) URL is refused", () => {
  expect(problemsOf({ KEYCLOAK_ISSUER: "sso.example/realms/k1s0" })).toEqual([
    "KEYCLOAK_ISSUER: expected an http(s):// URL",
  ]);
});

test("KEYCLOAK_ROLE_MAPPING is read as keycloak_role=postgres_role pairs in order", () => {
  const config = loadConfig({ KEYCLOAK_ROLE_MAPPING: "platform-admin=auth_db_admin, ops=auth_db_ops" }, "/srv");
  expect(config.auth.roleMapping).toEqual([
    { keycloakRole: "platform-admin", postgresRole: "auth_db_admin" },
    { keycloakRole: "ops", postgresRole: "auth_db_ops" },
  ]);
});

test("a malformed KEYCLOAK_ROLE_MAPPING pair is named in the error", () => {
  expect(problemsOf({ KEYCLOAK_ROLE_MAPPING: "admin=auth_db_admin,ops" })).toEqual([
    'KEYCLOAK_ROLE_MAPPING: expected keycloak_role=postgres_role pairs separated by commas, got "ops"',
  ]);
});

test("DATABASE_SSL_CA_FILE makes every connection verify the server against that CA", () => {
  const config = loadConfig(
    { DATABASE_URL: "postgres://o:p@db.example/x", ROOT_DATABASE_URL: "postgres://r:p@db.example/postgres", DATABASE_SSL_CA_FILE: "package.json" },
    process.cwd(),
  );
  for (const url of [config.database.ownerUrl, config.database.authenticatorUrl, config.database.rootUrl!]) {
    expect(new URL(url).searchParams.get("sslmode")).toBe("verify-full");
    expect(new URL(url).searchParams.get("sslrootcert")).toBe(`${process.cwd()}/package.json`);
  }
});

test("a DATABASE_SSL_CA_FILE that does not exist is named in the error", () => {
  expect(problemsOf({ DATABASE_SSL_CA_FILE: "missing-ca.pem" })).toEqual(["DATABASE_SSL_CA_FILE: no file at /srv/auth-db/missing-ca.pem"]);
});

test("an sslmode already in DATABASE_URL is kept", () => {
  const config = loadConfig({ DATABASE_URL: "postgres://o:p@db/x?sslmode=require", DATABASE_SSL_CA_FILE: "package.json" }, process.cwd());
  expect(new URL(config.database.ownerUrl).searchParams.get("sslmode")).toBe("require");
});
