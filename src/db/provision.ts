import type { DatabaseConfig } from "../config/config.js";
import { EmbeddedDatabase } from "./embedded.js";
import { migrate } from "./migrations.js";
import { setupDatabase } from "./setup.js";

export interface ProvisionedDatabase {
  /** Present when auth-db started its own PostgreSQL. */
  embedded?: EmbeddedDatabase;
  /** Stops the embedded PostgreSQL, if there is one. */
  close(): Promise<void>;
}

/**
 * Makes the configured database ready to serve: starts the embedded
 * PostgreSQL when no DATABASE_URL is given, creates roles and the database
 * when a root connection is known, then applies committed migrations.
 */
export async function provisionDatabase(
  database: DatabaseConfig,
  { applyMigrations = true } = {},
): Promise<ProvisionedDatabase> {
  const embedded =
    database.source.kind === "embedded" ? new EmbeddedDatabase(database.source) : undefined;
  await embedded?.start();
  try {
    if (database.rootUrl) await setupDatabase(database);
    if (applyMigrations) await migrate(database);
  } catch (error) {
    await embedded?.close();
    throw error;
  }
  return {
    embedded,
    close: async () => {
      await embedded?.close();
    },
  };
}
