import { createHash } from "node:crypto";
import fs from "node:fs/promises";
import path from "node:path";
import { gzipSync } from "node:zlib";
import { runCommand } from "../helpers/cli.js";
import { allRows, backUp, editManifest, populate, temporaryDirectory } from "../helpers/backups.js";
import { createTestDatabase, type TestDatabase } from "../helpers/database.js";

let source: TestDatabase;
let root: string;
let backupDir: string;
const targets: TestDatabase[] = [];

beforeAll(async () => {
  source = await createTestDatabase();
  await populate(source);
  root = await temporaryDirectory();
  backupDir = await backUp(source, root);
});
afterAll(async () => {
  for (const target of targets) await target.drop();
  await source?.drop();
  if (root) await fs.rm(root, { recursive: true, force: true });
});

/** A copy of the good backup that a test may damage. */
async function copyOfBackup(): Promise<string> {
  const copy = path.join(root, `.copy-${targets.length}-${Date.now()}`);
  await fs.cp(backupDir, copy, { recursive: true });
  return copy;
}

async function freshTarget(): Promise<TestDatabase> {
  const target = await createTestDatabase();
  targets.push(target);
  return target;
}

/** Runs restore into `target` and returns its result and whether the target's rows changed. */
async function restoreInto(target: TestDatabase, dir: string) {
  const before = await allRows(target);
  const result = await runCommand("restore", [dir], target.env);
  return { ...result, unchanged: JSON.stringify(await allRows(target)) === JSON.stringify(before) };
}

test("a backup with one byte changed in one file is refused, naming the file, and the target stays empty", async () => {
  const dir = await copyOfBackup();
  const file = path.join(dir, "auth.users.copy.gz");
  const bytes = await fs.readFile(file);
  bytes[Math.floor(bytes.length / 2)]! ^= 0x01;
  await fs.writeFile(file, bytes);
  const target = await freshTarget();
  const result = await restoreInto(target, dir);
  expect(result.code).toBe(1);
  expect(result.stderr).toContain("auth.users.copy.gz (the rows of auth.users) does not match its SHA-256 in manifest.json");
  expect(result.unchanged).toBe(true);
});

test("a backup missing a file is refused, naming the file", async () => {
  const dir = await copyOfBackup();
  await fs.rm(path.join(dir, "auth.api_keys.copy.gz"));
  const target = await freshTarget();
  const result = await restoreInto(target, dir);
  expect(result.code).toBe(1);
  expect(result.stderr).toContain("is incomplete: auth.api_keys.copy.gz (the rows of auth.api_keys) is missing");
  expect(result.unchanged).toBe(true);
});

test("a manifest that lists no file for a table is refused as partial", async () => {
  const dir = await copyOfBackup();
  await editManifest(dir, (manifest) => {
    manifest.tables = manifest.tables.filter((entry: { table: string }) => entry.table !== "auth.user_roles");
  });
  const target = await freshTarget();
  const result = await restoreInto(target, dir);
  expect(result.code).toBe(1);
  expect(result.stderr).toContain("the backup is partial: manifest.json lists no file for auth.user_roles");
  expect(result.unchanged).toBe(true);
});

test("a directory without a manifest is refused as not a backup", async () => {
  const dir = await copyOfBackup();
  await fs.rm(path.join(dir, "manifest.json"));
  const result = await restoreInto(await freshTarget(), dir);
  expect(result.code).toBe(1);
  expect(result.stderr).toContain(`${dir} is not a backup: manifest.json is missing`);
  expect(result.unchanged).toBe(true);
});

test("restore into a database that holds a user is refused and changes nothing", async () => {
  const target = await freshTarget();
  await target.asOwner((client) => client.query("insert into auth.users (username) values ('already-here')"));
  const result = await restoreInto(target, backupDir);
  expect(result.code).toBe(1);
  expect(result.stderr).toMatch(/refusing to restore into database \w+: it is not empty \(auth\.audit_logs, auth\.users have rows\)/);
  expect(result.unchanged).toBe(true);
});

test("a backup taken at another schema version is refused", async () => {
  const dir = await copyOfBackup();
  await editManifest(dir, (manifest) => {
    manifest.migrations.pop();
  });
  const target = await freshTarget();
  const result = await restoreInto(target, dir);
  expect(result.code).toBe(1);
  expect(result.stderr).toMatch(/the backup was taken at schema version \S+ \(\d+ migrations\), but database \w+ is at/);
  expect(result.unchanged).toBe(true);
});

test("a restore that fails after loading every table leaves the target unchanged", async () => {
  const dir = await copyOfBackup();
  await editManifest(dir, (manifest) => {
    manifest.tables.find((entry: { table: string }) => entry.table === "auth.users").rows += 1;
  });
  const target = await freshTarget();
  const result = await restoreInto(target, dir);
  expect(result.code).toBe(1);
  expect(result.stderr).toContain("restored auth.users holds 2 rows, but the manifest says the backup wrote 3");
  expect(result.unchanged).toBe(true);
});

test("a backup whose recorded chain head is not the one its audit rows hold is refused", async () => {
  const dir = await copyOfBackup();
  await editManifest(dir, (manifest) => {
    manifest.auditChainHead.hash = "0".repeat(64);
  });
  const target = await freshTarget();
  const result = await restoreInto(target, dir);
  expect(result.code).toBe(1);
  expect(result.stderr).toMatch(/restored audit chain head is \d+:[0-9a-f]{64}, but the backup recorded \d+:0{64}/);
  expect(result.unchanged).toBe(true);
});

test("restored rows that reference missing rows are refused", async () => {
  const dir = await copyOfBackup();
  const noUsers = gzipSync(Buffer.alloc(0));
  await fs.writeFile(path.join(dir, "auth.users.copy.gz"), noUsers);
  await editManifest(dir, (manifest) => {
    Object.assign(manifest.tables.find((entry: { table: string }) => entry.table === "auth.users"), {
      rows: 0,
      sha256: createHash("sha256").update(noUsers).digest("hex"),
    });
  });
  const target = await freshTarget();
  const result = await restoreInto(target, dir);
  expect(result.code).toBe(1);
  expect(result.stderr).toMatch(/restored data breaks foreign key \w+: \d+ rows of auth\.(api_keys|user_roles) reference missing rows of auth\.users/);
  expect(result.unchanged).toBe(true);
});
