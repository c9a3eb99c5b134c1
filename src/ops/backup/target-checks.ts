import type pg from "pg";
import type { Table } from "./catalog.js";
import type { Manifest } from "./manifest.js";

/**
 * The tables the migrations fill with seed rows: the role and permission
 * catalogue, the partition policies and the empty chain head. A restore
 * replaces their rows with the backup's. Every other table of schema auth
 * must be empty in the target.
 */
export const SEEDED_TABLES = [
  "auth.roles",
  "auth.permissions",
  "auth.role_permissions",
  "auth.partition_policies",
  "auth.audit_chain_head",
];

/** A schema version as people compare them: the last migration and how many there are. */
function describeVersion(migrations: Manifest["migrations"]): string {
  const last = migrations.at(-1);
  return last ? `${last.filename} (${migrations.length} migrations)` : "no migrations";
}

/** Refuses a target whose applied migrations are not exactly the ones the backup was taken with. */
export async function checkSchemaVersion(client: pg.ClientBase, database: string, manifest: Manifest): Promise<void> {
  const { rows: target } = await client.query<Manifest["migrations"][number]>(
    "select filename, hash from graphile_migrate.migrations order by filename",
  );
  const backup = manifest.migrations;
  const differs =
    target.length !== backup.length ||
    target.some((migration, i) => migration.filename !== backup[i]!.filename || migration.hash !== backup[i]!.hash);
  if (differs) {
    throw new Error(
      `the backup was taken at schema version ${describeVersion(backup)}, but database ${database} is at ${describeVersion(target)}: ` +
        "restore it with the auth-db release that took it (same committed migrations), then upgrade",
    );
  }
}

/** Refuses a backup that does not hold exactly the target's tables, each with the target's columns. */
export function checkTablesMatch(manifest: Manifest, tables: Table[]): void {
  const listed = new Map(manifest.tables.map((entry) => [entry.table, entry]));
  const missing = tables.filter((table) => !listed.has(table.name)).map((table) => table.name);
  if (missing.length > 0) {
    throw new Error(`the backup is partial: manifest.json lists no file for ${missing.join(", ")}. Nothing was restored.`);
  }
  const known = new Set(tables.map((table) => table.name));
  const unknown = manifest.tables.filter((entry) => !known.has(entry.table)).map((entry) => entry.table);
  if (unknown.length > 0) {
    throw new Error(`the backup holds tables this database does not have: ${unknown.join(", ")}. Nothing was restored.`);
  }
  for (const table of tables) {
    const columns = listed.get(table.name)!.columns;
    if (columns.join(",") !== table.columns.join(",")) {
      throw new Error(
        `${table.name}: the backup has the columns (${columns.join(", ")}) but the database has (${table.columns.join(", ")}). Nothing was restored.`,
      );
    }
  }
}

/**
 * Refuses a target that holds data of its own: any row in a table other
 * than SEEDED_TABLES. Every change to the seeded catalogue writes an audit
 * row, so an empty audit log also shows the catalogue is still the seed.
 */
export async function checkEmpty(client: pg.ClientBase, database: string, tables: Table[]): Promise<void> {
  const holding: string[] = [];
  for (const table of tables) {
    if (SEEDED_TABLES.includes(table.name)) continue;
    const { rows } = await client.query<{ found: boolean }>(`select exists (select from ${table.name}) as found`);
    if (rows[0]!.found) holding.push(table.name);
  }
  if (holding.length > 0) {
    throw new Error(
      `refusing to restore into database ${database}: it is not empty (${holding.join(", ")} ${holding.length === 1 ? "has" : "have"} rows). ` +
        "Restore into a database freshly created from the migrations, e.g. a new DATABASE_NAME or DATABASE_URL. Nothing was changed.",
    );
  }
}
