import { loadConfig } from "../src/config/config.js";
import { problemsOf } from "./helpers/config-problems.js";

/** The HTTP limits, timeouts, headers and introspection policy, as configured. */

const production = {
  NODE_ENV: "production",
  DATABASE_URL: "postgres://o:p@db/x",
  AUTHENTICATOR_PASSWORD: "a",
  KEYCLOAK_ISSUER: "https://sso.example/realms/k1s0",
  KEYCLOAK_AUDIENCE: "auth-db",
};

test("GRAPHQL_MAX_ALIASES is 30 unless set", () => {
  expect([loadConfig({}, "/srv").limits.maxQueryAliases, loadConfig({ GRAPHQL_MAX_ALIASES: "5" }, "/srv").limits.maxQueryAliases]).toEqual([30, 5]);
});

test("a malformed GRAPHQL_MAX_ALIASES is named in the error", () => {
  expect(problemsOf({ GRAPHQL_MAX_ALIASES: "-1" })).toEqual(["GRAPHQL_MAX_ALIASES: expected 0 to 10000 aliases"]);
});

test("GRAPHQL_MAX_FIELDS is 500 unless set", () => {
  expect([loadConfig({}, "/srv").limits.maxQueryFields, loadConfig({ GRAPHQL_MAX_FIELDS: "50" }, "/srv").limits.maxQueryFields]).toEqual([500, 50]);
});

test("a malformed GRAPHQL_MAX_FIELDS is named in the error", () => {
  expect(problemsOf({ GRAPHQL_MAX_FIELDS: "0" })).toEqual(["GRAPHQL_MAX_FIELDS: expected 1 to 100000 fields"]);
});

test("headers take at most 10 s and a whole request 30 s unless set", () => {
  const { limits } = loadConfig({}, "/srv");
  const set = loadConfig({ HTTP_HEADERS_TIMEOUT_MS: "2000", HTTP_REQUEST_TIMEOUT_MS: "4000" }, "/srv").limits;
  expect([limits.headersTimeoutMs, limits.requestTimeoutMs, set.headersTimeoutMs, set.requestTimeoutMs]).toEqual([10_000, 30_000, 2000, 4000]);
});

test("malformed HTTP timeouts are named in the error", () => {
  expect(problemsOf({ HTTP_HEADERS_TIMEOUT_MS: "soon", HTTP_REQUEST_TIMEOUT_MS: "0" })).toEqual([
    "HTTP_HEADERS_TIMEOUT_MS: expected a number of milliseconds",
    "HTTP_REQUEST_TIMEOUT_MS: expected 100 to 3600000 milliseconds",
  ]);
});

test("a request timeout shorter than the headers timeout is refused", () => {
  expect(problemsOf({ HTTP_HEADERS_TIMEOUT_MS: "5000", HTTP_REQUEST_TIMEOUT_MS: "1000" })).toEqual([
    "HTTP_REQUEST_TIMEOUT_MS: expected at least HTTP_HEADERS_TIMEOUT_MS (5000), since the whole request includes its headers",
  ]);
});

test("HSTS is off unless HSTS_MAX_AGE is set", () => {
  expect([loadConfig({}, "/srv").limits.hstsMaxAgeSeconds, loadConfig({ HSTS_MAX_AGE: "31536000" }, "/srv").limits.hstsMaxAgeSeconds]).toEqual([
    undefined,
    31_536_000,
  ]);
});

test("a malformed HSTS_MAX_AGE is named in the error", () => {
  expect(problemsOf({ HSTS_MAX_AGE: "1.5" })).toEqual(["HSTS_MAX_AGE: expected a whole number of seconds"]);
});

test("introspection is for authenticated callers in production and for everyone elsewhere", () => {
  expect([loadConfig(production, "/srv").introspection, loadConfig({}, "/srv").introspection]).toEqual(["authenticated", "everyone"]);
});

test("GRAPHQL_INTROSPECTION chooses who may introspect", () => {
  expect(loadConfig({ ...production, GRAPHQL_INTROSPECTION: "everyone" }, "/srv").introspection).toBe("everyone");
  expect(loadConfig({ GRAPHQL_INTROSPECTION: "off" }, "/srv").introspection).toBe("off");
});

test("an unknown GRAPHQL_INTROSPECTION is named in the error", () => {
  expect(problemsOf({ GRAPHQL_INTROSPECTION: "anonymous" })).toEqual(["GRAPHQL_INTROSPECTION: expected everyone, authenticated or off"]);
});
