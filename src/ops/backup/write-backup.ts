import { createWriteStream } from "node:fs";
import fs from "node:fs/promises";
import path from "node:path";
import { pipeline } from "node:stream/promises";
import { createGzip } from "node:zlib";
import pg from "pg";
import copyStreams from "pg-copy-streams";
import { withClient } from "../../db/client.js";
import { listPartitions, listTables, type Table } from "./catalog.js";
import { COPY_SETTINGS } from "./copy-settings.js";
import { writeManifest, MANIFEST_FORMAT, type Manifest, type TableEntry } from "./manifest.js";
import { readSequences } from "./sequences.js";
import { CopyRowCounter, Sha256Meter } from "../../streams/measures.js";

export interface WrittenBackup {
  dir: string;
  manifest: Manifest;
}

/** `2026-05-01T02:00:00.123Z` → `2026-05-01T02-00-00.123Z`: sorts by time and is a valid name everywhere. */
function directoryName(createdAt: string): string {
  return createdAt.replace(/:/g, "-");
}

/** The file a table's rows go to, e.g. `auth.users.copy.gz`. */
function fileNameOf(table: Table): string {
  return `${table.name.replace(/[^A-Za-z0-9_.-]/g, "_")}.copy.gz`;
}

/** Streams one table through gzip into its file, counting rows and hashing the compressed bytes on the way. */
async function exportTable(client: pg.ClientBase, table: Table, dir: string): Promise<TableEntry> {
  const file = fileNameOf(table);
  const columns = table.columns.map((column) => pg.escapeIdentifier(column)).join(", ");
  const counter = new CopyRowCounter();
  const meter = new Sha256Meter();
  await pipeline(
    client.query(copyStreams.to(`copy (select ${columns} from ${table.name}) to stdout`)),
    counter,
    createGzip(),
    meter,
    createWriteStream(path.join(dir, file), { flush: true }),
  );
  return { table: table.name, file, columns: table.columns, rows: counter.rows, sha256: meter.hex() };
}

/** graphile-migrate's list of applied migrations: the schema version a restore must match. */
async function readMigrations(client: pg.ClientBase, database: string): Promise<Manifest["migrations"]> {
  const { rows: found } = await client.query("select to_regclass('graphile_migrate.migrations') is not null as migrated");
  if (!found[0].migrated) {
    throw new Error(`database ${database} was never migrated (no graphile_migrate.migrations): there is nothing to back up`);
  }
  const { rows } = await client.query<Manifest["migrations"][number]>(
    "select filename, hash from graphile_migrate.migrations order by filename",
  );
  return rows;
}

/**
 * Exports every table of schema auth into `dir` from one REPEATABLE READ
 * READ ONLY transaction, so all files and the manifest describe the same
 * instant. Tables are locked against DDL (ACCESS SHARE, as pg_dump does);
 * writers carry on. Row security is off so that a policy can never
 * silently leave rows out: a filtered read would fail instead.
 */
async function exportSnapshot(client: pg.ClientBase, dir: string): Promise<Manifest> {
  await client.query("begin isolation level repeatable read read only");
  try {
    await client.query(`${COPY_SETTINGS}; set local row_security = off`);
    const { rows: clock } = await client.query<{ now: Date; database: string }>("select now(), current_database() as database");
    const migrations = await readMigrations(client, clock[0]!.database);
    const tables = await listTables(client);
    await client.query(`lock table ${tables.map((table) => table.name).join(", ")} in access share mode`);
    const { rows: head } = await client.query<Manifest["auditChainHead"]>("select seq::text, hash from auth.audit_chain_head");
    const manifest: Manifest = {
      format: MANIFEST_FORMAT,
      createdAt: clock[0]!.now.toISOString(),
      database: clock[0]!.database,
      migrations,
      auditChainHead: head[0]!,
      sequences: await readSequences(client),
      partitions: await listPartitions(client),
      tables: [],
    };
    for (const table of tables) manifest.tables.push(await exportTable(client, table, dir));
    await writeManifest(dir, manifest);
    await client.query("commit");
    return manifest;
  } catch (error) {
    await client.query("rollback").catch(() => undefined);
    throw error;
  }
}

/**
 * Writes a consistent backup of schema auth into a new directory under
 * `root`, named after the snapshot's time. It is written under a hidden
 * temporary name and renamed only once complete; on failure it is removed.
 */
export async function writeBackup(ownerUrl: string, root: string): Promise<WrittenBackup> {
  await fs.mkdir(root, { recursive: true });
  const partial = await fs.mkdtemp(path.join(root, ".incomplete-"));
  try {
    const manifest = await withClient(ownerUrl, (client) => exportSnapshot(client, partial));
    const dir = path.join(root, directoryName(manifest.createdAt));
    await fs.rename(partial, dir);
    return { dir, manifest };
  } catch (error) {
    await fs.rm(partial, { recursive: true, force: true });
    throw error;
  }
}
