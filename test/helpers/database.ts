import { randomBytes } from "node:crypto";
import type pg from "pg";
import { loadConfig, type Config } from "../../src/config/config.js";
import { withClient } from "../../src/db/client.js";
import { provisionDatabase } from "../../src/db/provision.js";
import { dropDatabase } from "../../src/db/setup.js";

export interface TestDatabase {
  /** auth-db's configuration for this database (external mode, port 0). */
  config: Config;
  /** The environment that configuration was loaded from, for child processes. */
  env: Record<string, string>;
  /** Runs `work` on a connection as the schema owner (bypasses RLS). */
  asOwner<T>(work: (client: pg.Client) => Promise<T>): Promise<T>;
  /** Runs `work` on a superuser connection to this database. */
  asRoot<T>(work: (client: pg.Client) => Promise<T>): Promise<T>;
  /** Drops the database and its roles. */
  drop(): Promise<void>;
}

export function testRootUrl(): string {
  const url = process.env.AUTH_DB_TEST_ROOT_URL;
  if (!url) throw new Error("AUTH_DB_TEST_ROOT_URL is not set: run the tests with `npm test`");
  return url;
}

function withDatabase(url: string, database: string): string {
  const u = new URL(url);
  u.pathname = `/${database}`;
  return u.toString();
}

interface TestEnvOptions {
  rootUrl?: string;
  env?: Record<string, string>;
}

/** The environment auth-db would run with on a fresh database in the test cluster. */
export function testEnv(options: TestEnvOptions = {}): Record<string, string> {
  const rootUrl = options.rootUrl ?? testRootUrl();
  const name = `authdb_t${randomBytes(5).toString("hex")}`;
  const owner = new URL(rootUrl);
  owner.username = `${name}_owner`;
  owner.password = "owner-secret";
  owner.pathname = `/${name}`;
  return {
    NODE_ENV: "test",
    HOST: "127.0.0.1",
    PORT: "0",
    DATABASE_URL: owner.toString(),
    ROOT_DATABASE_URL: rootUrl,
    AUTHENTICATOR_PASSWORD: "authenticator-secret",
    // Each test file that needs the lifecycle schedule starts it itself.
    SCHEDULER_IN_SERVER: "false",
    ...options.env,
  };
}

/** The configuration auth-db would load for a fresh database in the test cluster. */
export function testConfig(options: TestEnvOptions = {}): Config {
  return loadConfig(testEnv(options), process.cwd());
}

/** A new database with its own roles, migrated, ready for one test file. */
export async function createTestDatabase(options: TestEnvOptions = {}): Promise<TestDatabase> {
  const env = testEnv(options);
  const config = loadConfig(env, process.cwd());
  const { database } = config;
  await provisionDatabase(database);
  const rootUrl = withDatabase(database.rootUrl!, database.databaseName);
  return {
    config,
    env,
    asOwner: (work) => withClient(database.ownerUrl, work),
    asRoot: (work) => withClient(rootUrl, work),
    drop: () => dropDatabase(database),
  };
}
