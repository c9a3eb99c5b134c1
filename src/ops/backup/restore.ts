import { createReadStream } from "node:fs";
import path from "node:path";
import { pipeline } from "node:stream/promises";
import { createGunzip } from "node:zlib";
import pg from "pg";
import copyStreams from "pg-copy-streams";
import type { DatabaseConfig } from "../../config/config.js";
import { withClient } from "../../db/client.js";
import { superuserUrlFor } from "../../db/superuser-url.js";
import { listTables, type Table } from "./catalog.js";
import { COPY_SETTINGS } from "./copy-settings.js";
import type { Manifest, TableEntry } from "./manifest.js";
import { resetSequences } from "./sequences.js";
import { Sha256Meter } from "../../streams/measures.js";
import { checkEmpty, checkSchemaVersion, checkTablesMatch, SEEDED_TABLES } from "./target-checks.js";
import { verifyRestored, type AuditChainState } from "./verify-restored.js";

export interface RestoreSummary {
  database: string;
  tables: number;
  rows: number;
  auditChain: AuditChainState;
}

/** The superuser connection (ROOT_DATABASE_URL), to the configured database instead of `postgres`. */
export function superuserUrlOf(database: DatabaseConfig): string {
  const url = superuserUrlFor(database);
  if (!url) {
    throw new Error(
      "restore needs ROOT_DATABASE_URL (a superuser): it loads rows with triggers off, so the audit triggers neither record the restore nor relink the restored chain",
    );
  }
  return url;
}

/** Only a superuser may switch triggers off; say so plainly instead of failing halfway. */
async function requireSuperuser(client: pg.ClientBase): Promise<void> {
  const { rows } = await client.query<{ name: string; superuser: boolean }>(
    "select rolname::text as name, rolsuper as superuser from pg_roles where rolname = current_user",
  );
  if (!rows[0]?.superuser) {
    throw new Error(`restore needs ROOT_DATABASE_URL to be a superuser, and ${rows[0]?.name} is not: it must set session_replication_role`);
  }
}

/**
 * Recreates the backup's partitions as the schema owner (who must own them
 * to detach them later), so restored rows land where they were and not in
 * a default partition.
 */
async function createPartitions(client: pg.ClientBase, partitions: Manifest["partitions"]): Promise<void> {
  const { rows } = await client.query<{ owner: string }>("select nspowner::regrole::text as owner from pg_namespace where nspname = 'auth'");
  await client.query(`set local role ${rows[0]!.owner}`);
  for (const partition of partitions) {
    await client.query("select auth.ensure_range_partition($1::regclass, $2, $3, $4)", [
      partition.parent,
      partition.name,
      partition.from,
      partition.to,
    ]);
  }
  await client.query("reset role");
}

/** Deletes the migrations' seed rows (children first); the backup brings its own, with its own ids. */
async function clearSeedRows(client: pg.ClientBase, tables: Table[]): Promise<void> {
  for (const table of [...tables].reverse()) {
    if (SEEDED_TABLES.includes(table.name)) await client.query(`delete from ${table.name}`);
  }
}

/** Streams one file through gunzip into COPY, hashing it again on the way in case it changed since it was checked. */
async function loadTable(client: pg.ClientBase, dir: string, entry: TableEntry): Promise<void> {
  const meter = new Sha256Meter();
  const columns = entry.columns.map((column) => pg.escapeIdentifier(column)).join(", ");
  await pipeline(
    createReadStream(path.join(dir, entry.file)),
    meter,
    createGunzip(),
    client.query(copyStreams.from(`copy ${entry.table} (${columns}) from stdin`)),
  );
  if (meter.hex() !== entry.sha256) {
    throw new Error(`${entry.file} changed while it was being restored: it no longer matches its SHA-256 in manifest.json`);
  }
}

/**
 * The restore itself, inside the caller's transaction: lock the tables,
 * refuse a target of another schema version or with data of its own, then
 * with triggers off (no audit rows for the restore, no nulled chain
 * columns, no foreign-key triggers) create the partitions, replace the
 * seed rows, load every table in foreign-key order and move the sequences
 * past the restored ids; with triggers back on, verify everything.
 */
async function restoreInTransaction(client: pg.ClientBase, dir: string, manifest: Manifest): Promise<RestoreSummary> {
  await client.query(COPY_SETTINGS);
  const { rows } = await client.query<{ database: string }>("select current_database() as database");
  const database = rows[0]!.database;
  await checkSchemaVersion(client, database, manifest);
  const tables = await listTables(client);
  await client.query(`lock table ${tables.map((table) => table.name).join(", ")} in exclusive mode`);
  checkTablesMatch(manifest, tables);
  await checkEmpty(client, database, tables);

  await client.query("set local session_replication_role = replica");
  await createPartitions(client, manifest.partitions);
  await clearSeedRows(client, tables);
  const entries = new Map(manifest.tables.map((entry) => [entry.table, entry]));
  for (const table of tables) await loadTable(client, dir, entries.get(table.name)!);
  await resetSequences(client, manifest.sequences);
  await client.query("set local session_replication_role = origin");

  const auditChain = await verifyRestored(client, manifest);
  const restoredRows = manifest.tables.reduce((sum, entry) => sum + entry.rows, 0);
  return { database, tables: tables.length, rows: restoredRows, auditChain };
}

/**
 * Restores a backup that checkBackup accepted into the database that
 * `superuserUrl` connects to (created and migrated by the caller), in one
 * transaction: either all of it is restored and verified, or nothing is.
 */
export async function restoreBackup(superuserUrl: string, dir: string, manifest: Manifest): Promise<RestoreSummary> {
  return withClient(superuserUrl, async (client) => {
    await requireSuperuser(client);
    await client.query("begin");
    try {
      const summary = await restoreInTransaction(client, dir, manifest);
      await client.query("commit");
      return summary;
    } catch (error) {
      await client.query("rollback").catch(() => undefined);
      throw error;
    }
  });
}
