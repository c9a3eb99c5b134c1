import { Readable, Writable } from "node:stream";
import { pipeline } from "node:stream/promises";
import { createGunzip, createGzip } from "node:zlib";
import type pg from "pg";
import copyStreams from "pg-copy-streams";
import type { ArchiveTarget } from "./archive-target.js";
import { CsvRecordCounter, Sha256Meter } from "../streams/measures.js";

export interface ExportedTable {
  table: string;
  key: string;
  rows: number;
  sha256: string;
  bytes: number;
}

export interface ArchiveRun {
  exported: ExportedTable[];
  /** What archive.process_archived_partitions did (or would do, in a dry run). */
  processed: Array<{ table_name: string; action: string; detail: string }>;
}

/** `audit_logs_y2026m11` → audit_logs/year=2026/month=11/day=01; `security_events_p20261121` → …/day=21. */
export function hivePrefix(table: string): string {
  const monthly = /^(.+)_y(\d{4})m(\d{2})$/.exec(table);
  if (monthly) return `${monthly[1]}/year=${monthly[2]}/month=${monthly[3]}/day=01`;
  const daily = /^(.+)_p(\d{4})(\d{2})(\d{2})$/.exec(table);
  if (daily) return `${daily[1]}/year=${daily[2]}/month=${daily[3]}/day=${daily[4]}`;
  throw new Error(`archive.${table}: cannot tell the period of a table not named <table>_yYYYYmMM or <table>_pYYYYMMDD`);
}

/** The COPY that streams archive.<table> out as CSV, oldest first; the benchmark drains the very same one as its baseline. */
export function copyOutStatement(client: pg.ClientBase, table: string): string {
  return `copy (select * from archive.${client.escapeIdentifier(table)} order by created_at, id) to stdout with (format csv, header)`;
}

/** Streams archive.<table> as gzip-compressed CSV into the target, measuring it on the way. */
async function writeTable(client: pg.ClientBase, table: string, key: string, target: ArchiveTarget) {
  const counter = new CsvRecordCounter();
  const measure = new Sha256Meter();
  await target.write(key, () => {
    const copy = client.query(copyStreams.to(copyOutStatement(client, table)));
    const gzip = createGzip();
    // pipe() does not pass errors along: a failing COPY must fail the write.
    for (const stage of [copy, counter, gzip]) stage.on("error", (error) => measure.destroy(error));
    return copy.pipe(counter).pipe(gzip).pipe(measure);
  });
  return { rows: counter.records - 1, sha256: measure.hex(), bytes: measure.bytes };
}

/** Reads an object back and recomputes what the export claimed. */
async function readBack(target: ArchiveTarget, key: string) {
  const measure = new Sha256Meter();
  const counter = new CsvRecordCounter();
  await pipeline(await target.read(key), measure, createGunzip(), counter, new Writable({ write: (_c, _e, done) => done() }));
  return { rows: counter.records - 1, sha256: measure.hex(), bytes: measure.bytes };
}

/** The audit chain positions an archived audit partition covers, for its manifest. */
async function chainRange(client: pg.ClientBase, table: string) {
  if (!table.startsWith("audit_logs_")) return undefined;
  const { rows } = await client.query(
    `select min(seq)::text as first_seq, max(seq)::text as last_seq,
            (select previous_hash from archive.${client.escapeIdentifier(table)} order by seq limit 1) as first_previous_hash,
            (select hash from archive.${client.escapeIdentifier(table)} order by seq desc limit 1) as last_hash
       from archive.${client.escapeIdentifier(table)}`,
  );
  return rows[0];
}

/**
 * Exports every table waiting in schema archive: gzip CSV plus a manifest
 * (row count, SHA-256, audit chain range) under Hive-style paths, each read
 * back and checked before archive.record_export notes it. Only then does
 * archive.process_archived_partitions drop what was verified. A failure at
 * any point leaves the table in archive, and the next run starts over.
 */
export async function exportArchive(client: pg.ClientBase, target: ArchiveTarget, { dryRun = false } = {}): Promise<ArchiveRun> {
  const { rows: waiting } = await client.query<{ table_name: string }>(
    "select table_name from archive.get_archive_status() where not exported order by table_name",
  );
  const exported: ExportedTable[] = [];
  if (!dryRun) {
    for (const { table_name: table } of waiting) {
      const prefix = hivePrefix(table);
      const key = `${prefix}/${table}.csv.gz`;
      const written = await writeTable(client, table, key, target);
      const check = await readBack(target, key);
      if (check.sha256 !== written.sha256 || check.rows !== written.rows) {
        throw new Error(
          `archive.${table}: read back ${check.rows} rows (sha256 ${check.sha256}) but wrote ${written.rows} (sha256 ${written.sha256}); kept in archive`,
        );
      }
      const manifest = {
        table: `archive.${table}`,
        object: key,
        format: "csv+gzip",
        rows: written.rows,
        sha256: written.sha256,
        bytes: written.bytes,
        auditChain: await chainRange(client, table),
        exportedAt: new Date().toISOString(),
      };
      await target.write(`${prefix}/${table}.manifest.json`, () => Readable.from([JSON.stringify(manifest, null, 2)]));
      await client.query("select archive.record_export($1, $2, $3, $4, $5)", [
        table,
        target.locate(key),
        written.rows,
        written.sha256,
        written.bytes,
      ]);
      exported.push({ table, key, ...written });
    }
  }
  const { rows: processed } = await client.query("select * from archive.process_archived_partitions($1)", [dryRun]);
  return { exported, processed };
}
