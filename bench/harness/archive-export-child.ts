import { readFileSync, writeFileSync } from "node:fs";
import { Writable } from "node:stream";
import { pipeline } from "node:stream/promises";
import pg from "pg";
import copyStreams from "pg-copy-streams";
import { copyOutStatement, exportArchive } from "../../src/lifecycle/archive-export.js";
import { localDirectoryTarget } from "../../src/lifecycle/archive-target.js";
import type { ArchiveJob, ArchiveJobResult } from "./archive-export-runs.js";

/*
 * One archive measurement in a process of its own, forked by the
 * archive-export scenario (see archive-export-runs.ts): its peak RSS is the
 * measurement's alone. The kernel's high-water mark (VmHWM) is reset once
 * modules are loaded and the connection is open, and read when the work is
 * done, so no sampling interval can miss a peak.
 */

/** A field of /proc/self/status in MiB (Linux). */
function statusMiB(field: "VmRSS" | "VmHWM"): number {
  const kib = new RegExp(`^${field}:\\s+(\\d+) kB$`, "m").exec(readFileSync("/proc/self/status", "utf8"))?.[1];
  if (!kib) throw new Error(`/proc/self/status has no ${field}`);
  return Number(kib) / 1024;
}

/** The export's own COPY drained into nothing: what the database and the driver cost alone. */
async function drainCopy(client: pg.Client, table: string): Promise<Partial<ArchiveJobResult>> {
  let csvBytes = 0;
  const nothing = new Writable({
    write(chunk: Buffer, _encoding, done) {
      csvBytes += chunk.length;
      done();
    },
  });
  await pipeline(client.query(copyStreams.to(copyOutStatement(client, table))), nothing);
  return { csvBytes };
}

/** The whole export as the archive job runs it, to a local directory; it must export this table alone. */
async function exportTable(client: pg.Client, table: string, dir: string): Promise<Partial<ArchiveJobResult>> {
  const { exported } = await exportArchive(client, localDirectoryTarget(dir));
  if (exported.length !== 1 || exported[0]!.table !== table) {
    throw new Error(`expected to export archive.${table} alone, exported: ${exported.map((e) => e.table).join(", ") || "nothing"}`);
  }
  return { rows: exported[0]!.rows, gzipBytes: exported[0]!.bytes };
}

async function measure(job: ArchiveJob): Promise<ArchiveJobResult> {
  const client = new pg.Client({ connectionString: job.ownerUrl });
  await client.connect();
  try {
    const rssAtStartMiB = statusMiB("VmRSS");
    // "5" resets the peak RSS to the current RSS (Linux ≥ 4.0).
    writeFileSync("/proc/self/clear_refs", "5");
    const started = performance.now();
    const work = job.kind === "copy" ? await drainCopy(client, job.table) : await exportTable(client, job.table, job.dir);
    const seconds = (performance.now() - started) / 1000;
    return { seconds, rssAtStartMiB, peakRssMiB: statusMiB("VmHWM"), ...work };
  } finally {
    await client.end();
  }
}

// The runner going away (an interrupted bench) ends this process too.
process.on("disconnect", () => process.exit(1));
measure(JSON.parse(process.argv[2]!) as ArchiveJob).then(
  (result) => process.send!(result, () => process.exit(0)),
  (error: unknown) => process.send!({ error: String((error as Error)?.stack ?? error) }, () => process.exit(1)),
);
