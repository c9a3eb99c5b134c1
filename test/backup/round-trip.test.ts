import { createHash } from "node:crypto";
import fs from "node:fs/promises";
import path from "node:path";
import { runCommand, type CliResult } from "../helpers/cli.js";
import { allRows, backUp, populate, temporaryDirectory } from "../helpers/backups.js";
import { createTestDatabase, type TestDatabase } from "../helpers/database.js";

let source: TestDatabase;
let target: TestDatabase;
let root: string;
let backupDir: string;
let restored: CliResult;

beforeAll(async () => {
  source = await createTestDatabase();
  await populate(source);
  root = await temporaryDirectory();
  backupDir = await backUp(source, root);
  target = await createTestDatabase();
  restored = await runCommand("restore", [backupDir], target.env);
});
afterAll(async () => {
  await source?.drop();
  await target?.drop();
  if (root) await fs.rm(root, { recursive: true, force: true });
});

async function manifest() {
  return JSON.parse(await fs.readFile(path.join(backupDir, "manifest.json"), "utf8"));
}

test("the backup is a timestamped directory under the backup root", () => {
  expect(path.dirname(backupDir)).toBe(root);
  expect(path.basename(backupDir)).toMatch(/^\d{4}-\d{2}-\d{2}T\d{2}-\d{2}-\d{2}\.\d{3}Z$/);
});

test("the manifest lists every auth table with its row count and the SHA-256 of its file", async () => {
  const { tables } = await manifest();
  const counts = await source.asOwner(async (client) => {
    const result: Record<string, number> = {};
    for (const { table } of tables) {
      result[table] = (await client.query(`select count(*)::int as n from ${table}`)).rows[0].n;
    }
    return result;
  });
  expect(tables.map((entry: { table: string }) => entry.table).sort()).toEqual(
    expect.arrayContaining(["auth.api_keys", "auth.audit_logs", "auth.security_events", "auth.users", "auth.user_roles"]),
  );
  for (const entry of tables) {
    expect(entry.rows).toBe(counts[entry.table]);
    const bytes = await fs.readFile(path.join(backupDir, entry.file));
    expect(createHash("sha256").update(bytes).digest("hex")).toBe(entry.sha256);
  }
});

test("the manifest records the migrations and the audit chain head", async () => {
  const { migrations, auditChainHead } = await manifest();
  const expected = await source.asOwner(async (client) => ({
    migrations: (await client.query("select filename, hash from graphile_migrate.migrations order by filename")).rows,
    head: (await client.query("select seq::text, hash from auth.audit_chain_head")).rows[0],
  }));
  expect(migrations).toEqual(expected.migrations);
  expect(auditChainHead).toEqual(expected.head);
});

test("restore reports success with an intact audit chain", () => {
  expect(restored.stderr).toBe("");
  expect(restored.code).toBe(0);
  expect(restored.stdout).toMatch(/^restored \d+ tables \(\d+ rows\) from .* audit chain intact: \d+ rows checked, head \d+:[0-9a-f]{64}\n$/);
});

test("every table, partitions included, holds the same rows after restore", async () => {
  const before = await allRows(source);
  const after = await allRows(target);
  for (const table of Object.keys(before)) expect([table, after[table]]).toEqual([table, before[table]]);
  expect(before["auth.users"]).toHaveLength(2);
});

test("the restored audit chain verifies and ends at the head the backup recorded", async () => {
  const { auditChainHead } = await manifest();
  const { rows } = await target.asOwner((client) =>
    client.query("select intact, head_seq::text as seq, head_hash as hash from auth.verify_audit_chain()"),
  );
  expect(rows[0]).toEqual({ intact: true, ...auditChainHead });
});

test("new rows get ids past the restored ones", async () => {
  const ids = await target.asOwner(async (client) => {
    const highest = (await client.query("select max(id)::int as id from auth.audit_logs")).rows[0].id;
    const inserted = (await client.query("insert into auth.audit_logs (event_type, action) values ('TEST', 'after') returning id::int")).rows[0].id;
    return { highest, inserted };
  });
  expect(ids.inserted).toBeGreaterThan(ids.highest);
});

test("audit rows not yet linked when the backup ran are linked after restore and the chain verifies", async () => {
  const writer = await createTestDatabase();
  const fresh = await createTestDatabase();
  try {
    await writer.asOwner(async (client) => {
      await client.query("insert into auth.audit_logs (event_type, action) select 'TEST', 'linked' from generate_series(1, 3)");
      await client.query("select auth.chain_audit_logs()");
      await client.query("insert into auth.audit_logs (event_type, action) select 'TEST', 'pending' from generate_series(1, 2)");
    });
    const result = await runCommand("restore", [await backUp(writer, root)], fresh.env);
    expect(result.code).toBe(0);
    const { rows } = await fresh.asOwner((client) =>
      client.query("select count(*)::int as rows, count(seq)::int as linked, max(seq)::int as last from auth.audit_logs"),
    );
    expect(rows[0]).toEqual({ rows: 5, linked: 5, last: 5 });
    expect(result.stdout).toContain("audit chain intact: 5 rows checked, head 5:");
  } finally {
    await writer.drop();
    await fresh.drop();
  }
});
