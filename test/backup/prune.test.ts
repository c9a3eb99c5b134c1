import fs from "node:fs/promises";
import path from "node:path";
import { pruneBackups } from "../../src/ops/backup/prune.js";
import { writeBackup } from "../../src/ops/backup/write-backup.js";
import { runCommand } from "../helpers/cli.js";
import { editManifest, temporaryDirectory } from "../helpers/backups.js";
import { createTestDatabase, type TestDatabase } from "../helpers/database.js";

const DAY_MS = 86_400_000;

let db: TestDatabase;
let template: string;
let root: string;
beforeAll(async () => {
  db = await createTestDatabase();
  template = (await writeBackup(db.config.database.ownerUrl, await temporaryDirectory())).dir;
});
beforeEach(async () => {
  root = await temporaryDirectory();
});
afterEach(async () => {
  await fs.rm(root, { recursive: true, force: true });
});
afterAll(async () => {
  await fs.rm(path.dirname(template), { recursive: true, force: true });
  await db?.drop();
});

/** A real backup in `root` whose manifest says it was taken `daysAgo` days ago. */
async function backupFrom(daysAgo: number): Promise<string> {
  const createdAt = new Date(Date.now() - daysAgo * DAY_MS).toISOString();
  const dir = path.join(root, createdAt.replace(/:/g, "-"));
  await fs.cp(template, dir, { recursive: true });
  await editManifest(dir, (manifest) => {
    manifest.createdAt = createdAt;
  });
  return dir;
}

async function remaining(): Promise<string[]> {
  return (await fs.readdir(root)).map((name) => path.join(root, name)).sort();
}

test("backups older than the retention are pruned and newer ones kept", async () => {
  const old = [await backupFrom(45), await backupFrom(31)];
  const recent = [await backupFrom(29), await backupFrom(1)];
  const newest = await backupFrom(0);
  expect(await pruneBackups(root, 30, newest)).toEqual(old.sort());
  expect(await remaining()).toEqual([...recent, newest].sort());
});

test("the backup just written is never pruned, even when it is older than the retention", async () => {
  const kept = await backupFrom(10);
  expect(await pruneBackups(root, 1, kept)).toEqual([]);
  expect(await remaining()).toEqual([kept]);
});

test("directories that are not backups are left alone, however old", async () => {
  const stranger = path.join(root, "holiday-photos");
  await fs.mkdir(stranger);
  await fs.utimes(stranger, new Date(0), new Date(0));
  const newest = await backupFrom(0);
  expect(await pruneBackups(root, 1, newest)).toEqual([]);
  expect(await remaining()).toEqual([newest, stranger].sort());
});

test("npm run backup prunes backups older than --retention-days after writing a new one", async () => {
  const old = await backupFrom(8);
  const recent = await backupFrom(6);
  const result = await runCommand("backup", ["--dir", root, "--retention-days", "7"], db.env);
  expect(result.code).toBe(0);
  const written = result.stdout.trim();
  expect(result.stderr).toContain(`pruned ${old} (older than 7 days)`);
  expect(await remaining()).toEqual([recent, written].sort());
});

test("BACKUP_DIR and BACKUP_RETENTION_DAYS apply when no flag is given", async () => {
  const old = await backupFrom(3);
  const result = await runCommand("backup", [], { ...db.env, BACKUP_DIR: root, BACKUP_RETENTION_DAYS: "2" });
  expect(result.code).toBe(0);
  expect(path.dirname(result.stdout.trim())).toBe(root);
  expect(await remaining()).toEqual([result.stdout.trim()]);
  expect(result.stderr).toContain(`pruned ${old}`);
});
