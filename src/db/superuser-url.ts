import type { DatabaseConfig } from "../config/config.js";

/**
 * The superuser connection (ROOT_DATABASE_URL) to auth-db's own database
 * rather than the one it names (usually `postgres`), for superuser work that
 * must happen inside auth-db's database: event triggers and LISTEN/NOTIFY are
 * per database, so PostGraphile's schema-watch triggers installed anywhere
 * else never notify the server. Undefined without a root connection.
 */
export function superuserUrlFor(database: DatabaseConfig): string | undefined {
  if (!database.rootUrl) return undefined;
  const url = new URL(database.rootUrl);
  url.pathname = `/${encodeURIComponent(database.databaseName)}`;
  return url.toString();
}
