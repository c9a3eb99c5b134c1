import { spawn } from "node:child_process";
import { createReadStream } from "node:fs";
import fs from "node:fs/promises";
import { createRequire } from "node:module";
import os from "node:os";
import path from "node:path";
import { pipeline } from "node:stream/promises";
import { createGunzip } from "node:zlib";
import copyStreams from "pg-copy-streams";
import { exportArchive } from "../../src/lifecycle/archive-export.js";
import { localDirectoryTarget } from "../../src/lifecycle/archive-target.js";
import { archivedEventDay, archiveTables, rowsAsText } from "../helpers/archived-events.js";
import { createTestDatabase, type TestDatabase } from "../helpers/database.js";

let db: TestDatabase;
let dir: string;
beforeEach(async () => {
  db = await createTestDatabase();
  dir = await fs.mkdtemp(path.join(os.tmpdir(), "auth-db-archive-"));
});
afterEach(async () => {
  await db?.drop();
  await fs.rm(dir, { recursive: true, force: true });
});

test("an archived table is written as gzip CSV under Hive-style paths with a manifest", async () => {
  const { table, day } = await archivedEventDay(db, 50);
  await db.asOwner((client) => exportArchive(client, localDirectoryTarget(dir)));
  const [year, month, date] = day.toISOString().slice(0, 10).split("-");
  const prefix = path.join(dir, "security_events", `year=${year}`, `month=${month}`, `day=${date}`);
  expect((await fs.readdir(prefix)).sort()).toEqual([`${table}.csv.gz`, `${table}.manifest.json`]);
  const manifest = JSON.parse(await fs.readFile(path.join(prefix, `${table}.manifest.json`), "utf8"));
  const { createHash } = await import("node:crypto");
  const sha256 = createHash("sha256").update(await fs.readFile(path.join(prefix, `${table}.csv.gz`))).digest("hex");
  expect(manifest).toMatchObject({ table: `archive.${table}`, rows: 50, sha256, format: "csv+gzip" });
});

test("the table is dropped only after its export is verified", async () => {
  const { table } = await archivedEventDay(db, 10);
  const dry = await db.asOwner((client) => exportArchive(client, localDirectoryTarget(dir), { dryRun: true }));
  expect(dry.processed).toEqual([expect.objectContaining({ table_name: table, action: "wait" })]);
  expect(await archiveTables(db)).toEqual([table]);

  const run = await db.asOwner((client) => exportArchive(client, localDirectoryTarget(dir)));
  expect(run.processed).toEqual([expect.objectContaining({ table_name: table, action: "drop" })]);
  expect(await archiveTables(db)).toEqual([]);
});

test("exported CSV loads back into the same rows", async () => {
  const { table } = await archivedEventDay(db, 25);
  const original = await rowsAsText(db, `archive.${table}`);
  const run = await db.asOwner((client) => exportArchive(client, localDirectoryTarget(dir)));
  const file = path.join(dir, run.exported[0]!.key);
  const reloaded = await db.asOwner(async (client) => {
    await client.query("create temporary table reloaded (like auth.security_events)");
    await pipeline(createReadStream(file), createGunzip(), client.query(copyStreams.from("copy reloaded from stdin with (format csv, header)")));
    const { rows } = await client.query("select t::text as r from reloaded t order by created_at, id");
    return rows.map((row) => row.r);
  });
  expect(reloaded).toEqual(original);
});

test("an export to an unwritable target leaves the table, and a rerun completes", async () => {
  const { table } = await archivedEventDay(db, 10);
  const blocked = path.join(dir, "blocked");
  await fs.writeFile(blocked, "a file where a directory must go");
  await expect(db.asOwner((client) => exportArchive(client, localDirectoryTarget(blocked)))).rejects.toThrow();
  expect(await archiveTables(db)).toEqual([table]);

  await db.asOwner((client) => exportArchive(client, localDirectoryTarget(path.join(dir, "good"))));
  expect(await archiveTables(db)).toEqual([]);
});

test("an export killed mid-way leaves the table, and a rerun completes", async () => {
  const { table } = await archivedEventDay(db, 300_000);
  // One process (tsx as a loader, not its CLI, which forks): the kill must hit the exporter itself.
  const tsx = createRequire(import.meta.url).resolve("tsx");
  const child = spawn(process.execPath, ["--import", tsx, "src/cli/archive.ts"], {
    env: { ...process.env, ...db.env, ARCHIVE_DIR: dir, LOG_LEVEL: "warn" },
    stdio: "ignore",
  });
  const exited = new Promise((resolve) => child.once("exit", resolve));
  // Kill it as soon as it is writing: a partial object exists.
  for (let tries = 0; tries < 600; tries++) {
    const partial = await findPartial(dir);
    if (partial) break;
    await new Promise((resolve) => setTimeout(resolve, 25));
  }
  child.kill("SIGKILL");
  await exited;
  expect(await archiveTables(db)).toEqual([table]);

  const run = await db.asOwner((client) => exportArchive(client, localDirectoryTarget(dir)));
  expect(run.exported).toEqual([expect.objectContaining({ table, rows: 300_000 })]);
  expect(await archiveTables(db)).toEqual([]);
}, 120_000);

async function findPartial(root: string): Promise<string | undefined> {
  const entries = await fs.readdir(root, { recursive: true }).catch(() => [] as string[]);
  return entries.find((entry) => entry.includes(".partial-"));
}

test("an archived audit partition's manifest carries its chain range, and the chain still verifies", async () => {
  await db.asOwner(async (client) => {
    const old = new Date(Date.UTC(new Date().getUTCFullYear() - 3, 0, 15));
    await client.query("select auth.ensure_audit_log_partition($1::date)", [old.toISOString().slice(0, 10)]);
    await client.query("insert into auth.audit_logs (event_type, action, created_at) select 'TEST', 'old', $1 from generate_series(1, 5)", [old]);
    await client.query("insert into auth.audit_logs (event_type, action) values ('TEST', 'recent')");
    await client.query("select * from auth.run_partition_maintenance(now(), false)");
  });
  const run = await db.asOwner((client) => exportArchive(client, localDirectoryTarget(dir)));
  const audit = run.exported.find((table) => table.table.startsWith("audit_logs_"))!;
  const manifest = JSON.parse(await fs.readFile(path.join(dir, audit.key.replace(".csv.gz", ".manifest.json")), "utf8"));
  expect(manifest.auditChain).toMatchObject({ first_seq: "1", last_seq: "5", last_hash: expect.stringMatching(/^[0-9a-f]{64}$/) });
  const { rows } = await db.asOwner((client) => client.query("select intact from auth.verify_audit_chain()"));
  expect(rows[0].intact).toBe(true);
});
