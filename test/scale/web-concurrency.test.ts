import os from "node:os";
import { loadConfig } from "../../src/config/config.js";
import { problemsOf } from "../helpers/config-problems.js";

const production = {
  NODE_ENV: "production",
  DATABASE_URL: "postgres://o:p@db.example:5432/auth_db",
  DATABASE_OWNER_PASSWORD: "owner",
  AUTHENTICATOR_PASSWORD: "authenticator",
  KEYCLOAK_ISSUER: "https://sso.example/realms/k1s0",
  KEYCLOAK_AUDIENCE: "auth-db",
};

test("outside production one process serves by default", () => {
  expect(loadConfig({}, "/srv/auth-db").webConcurrency).toBe(1);
});

test("in production one process per CPU serves by default", () => {
  expect(loadConfig(production, "/srv/auth-db").webConcurrency).toBe(Math.min(64, os.availableParallelism()));
});

test("WEB_CONCURRENCY sets the number of processes", () => {
  expect(loadConfig({ WEB_CONCURRENCY: "4" }, "/srv/auth-db").webConcurrency).toBe(4);
});

test("a WEB_CONCURRENCY that is not a whole number from 1 to 64 is named in the error", () => {
  expect(problemsOf({ WEB_CONCURRENCY: "0" })).toEqual(["WEB_CONCURRENCY: expected 1 to 64 processes"]);
  expect(problemsOf({ WEB_CONCURRENCY: "65" })).toEqual(["WEB_CONCURRENCY: expected 1 to 64 processes"]);
  expect(problemsOf({ WEB_CONCURRENCY: "1.5" })).toEqual(["WEB_CONCURRENCY: expected a whole number of processes"]);
  expect(problemsOf({ WEB_CONCURRENCY: "many" })).toEqual(["WEB_CONCURRENCY: expected a number of processes"]);
});
