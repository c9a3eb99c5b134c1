import fs from "node:fs/promises";
import os from "node:os";
import path from "node:path";
import { runCommand } from "../helpers/cli.js";
import { createTestDatabase, type TestDatabase } from "../helpers/database.js";

let db: TestDatabase;
beforeAll(async () => {
  db = await createTestDatabase();
});
afterAll(async () => {
  await db?.drop();
});

test("maintenance --dry-run --at reports what would happen then, changing nothing", async () => {
  const later = new Date(Date.now() + 800 * 86_400_000).toISOString();
  const result = await runCommand("maintenance", ["--dry-run", "--at", later], db.env);
  expect(result.code).toBe(0);
  expect(result.stdout).toMatch(/^would create\taudit_logs\t/m);
  expect(result.stdout).toMatch(/^would detach\tsecurity_events\t/m);
});

test("maintenance runs and records its run", async () => {
  const result = await runCommand("maintenance", [], db.env);
  expect(result.code).toBe(0);
  const { rows } = await db.asOwner((client) => client.query("select succeeded from auth.job_runs where job = 'maintenance'"));
  expect(rows).toEqual([{ succeeded: true }]);
});

test("archive exports waiting tables to ARCHIVE_DIR and drops them", async () => {
  const dir = await fs.mkdtemp(path.join(os.tmpdir(), "auth-db-archive-cli-"));
  try {
    await db.asOwner(async (client) => {
      const day = new Date(Date.now() - 120 * 86_400_000).toISOString().slice(0, 10);
      await client.query("select auth.ensure_security_event_partition($1::date)", [day]);
      await client.query("insert into auth.security_events (type, created_at) values ('TEST', $1::date + interval '1 hour')", [day]);
      await client.query("select * from auth.run_partition_maintenance(now(), false)");
    });
    const dry = await runCommand("archive", ["--dry-run"], { ...db.env, ARCHIVE_DIR: dir });
    expect(dry.stdout).toMatch(/^would wait\tarchive\.security_events_p\d{8}\t1 rows, not exported yet$/m);
    const result = await runCommand("archive", [], { ...db.env, ARCHIVE_DIR: dir });
    expect(result.code).toBe(0);
    expect(result.stdout).toMatch(/^exported\tsecurity_events_p\d{8}\t1 rows\t/m);
    expect(result.stdout).toMatch(/^drop\tarchive\.security_events_p\d{8}\t/m);
  } finally {
    await fs.rm(dir, { recursive: true, force: true });
  }
});

test("maintenance refuses --at without --dry-run", async () => {
  const result = await runCommand("maintenance", ["--at", "2030-01-01T00:00:00Z"], db.env);
  expect(result.code).toBe(1);
  expect(result.stderr).toContain("--at only goes with --dry-run");
});

test("archive refuses an unknown flag", async () => {
  const result = await runCommand("archive", ["--force"], db.env);
  expect(result.code).toBe(1);
  expect(result.stderr).toContain("Unknown option '--force'");
});
