import { readFileSync } from "node:fs";
import path from "node:path";
import { fileURLToPath } from "node:url";
import { Logger, makeConsoleLogFactory } from "@graphile/logger";
import * as graphileMigrate from "graphile-migrate";
import { clearAllPools } from "graphile-migrate/dist/pgReal.js";
import JSON5 from "json5";
import type { DatabaseConfig } from "../config/config.js";
import { rolePlaceholders } from "../config/roles.js";
import { withClient } from "./client.js";
import { takingTurns } from "./turns.js";

export const projectRoot = path.resolve(path.dirname(fileURLToPath(import.meta.url)), "../..");

/**
 * The environment graphile-migrate reads (see .gmrc): connection strings and
 * the role-name placeholders. Used both for the programmatic calls below and
 * for the `graphile-migrate` CLI that `npm run gm` starts.
 */
export function migrationEnv(database: DatabaseConfig): Record<string, string> {
  return {
    DATABASE_URL: database.ownerUrl,
    ...(database.rootUrl ? { ROOT_DATABASE_URL: database.rootUrl } : {}),
    ...(database.shadowUrl ? { SHADOW_DATABASE_URL: database.shadowUrl } : {}),
    ...rolePlaceholders(database.roles),
  };
}

/** graphile-migrate's progress lines, unless LOG_LEVEL asks for warnings and errors only. */
function migrationLogger(): Logger {
  const quiet = ["warn", "error", "silent"].includes(process.env.LOG_LEVEL ?? "");
  const toConsole = makeConsoleLogFactory({ format: "%s", formatParameters: (_level, message) => [message] });
  return new Logger((scope) => {
    const log = toConsole(scope);
    return (level, message) => {
      if (!quiet || level === "error" || level === "warning") log(level, message);
    };
  });
}

/**
 * .gmrc with every `!ENV` value resolved from this configuration, so several
 * databases can be migrated in one process without touching process.env.
 */
export function migrationSettings(database: DatabaseConfig): graphileMigrate.Settings {
  const gmrc = JSON5.parse(readFileSync(path.join(projectRoot, ".gmrc"), "utf8")) as graphileMigrate.Settings;
  const env = migrationEnv(database);
  const placeholders = Object.fromEntries(
    Object.entries(gmrc.placeholders ?? {}).map(([key, value]) => [
      key,
      value === "!ENV" ? env[key.slice(1)] ?? "" : value,
    ]),
  );
  return {
    ...gmrc,
    connectionString: database.ownerUrl,
    rootConnectionString: database.rootUrl,
    shadowConnectionString: database.shadowUrl,
    migrationsFolder: path.join(projectRoot, "migrations"),
    placeholders,
    logger: migrationLogger(),
  };
}

/*
 * graphile-migrate keeps its connections open for a moment after each command
 * and exits the process if one of them fails meanwhile (a database stopping
 * right after migrating would kill the server). Close them as soon as a
 * command is done.
 */
async function thenClosePools(command: Promise<void>): Promise<void> {
  try {
    await command;
  } finally {
    clearAllPools();
  }
}

/**
 * Applies every committed migration not yet applied. Instances starting at
 * the same time take turns: graphile-migrate only tries its own lock and
 * fails when another process holds it, so each waits here for the one
 * before it, then finds nothing left to apply.
 */
export async function migrate(database: DatabaseConfig): Promise<void> {
  await withClient(database.ownerUrl, (client) =>
    takingTurns(client, "migrate", () => thenClosePools(graphileMigrate.migrate(migrationSettings(database)))),
  );
}

/** Drops and recreates the database from the committed migrations. */
export async function reset(database: DatabaseConfig): Promise<void> {
  await thenClosePools(graphileMigrate.reset(migrationSettings(database)));
}

/** Runs migrations/current.sql on every change (graphile-migrate watch). */
export async function watchCurrent(database: DatabaseConfig): Promise<void> {
  await graphileMigrate.watch(migrationSettings(database));
}

/**
 * Closes graphile-migrate's idle connections now rather than a moment later:
 * before the database stops under `watchCurrent`, whose pools would otherwise
 * see their connections cut and exit the process.
 */
export function closeIdleMigrationConnections(): void {
  clearAllPools();
}
