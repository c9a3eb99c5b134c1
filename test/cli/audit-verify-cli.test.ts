import { runCommand } from "../helpers/cli.js";
import { createTestDatabase, type TestDatabase } from "../helpers/database.js";

let db: TestDatabase;
beforeAll(async () => {
  db = await createTestDatabase();
  await db.asOwner((client) =>
    client.query("insert into auth.audit_logs (event_type, action) select 'TEST', 'append' from generate_series(1, 5)"),
  );
});
afterAll(async () => {
  await db?.drop();
});

test("an intact chain exits 0 and prints its head", async () => {
  const result = await runCommand("audit-verify", [], db.env);
  expect(result.code).toBe(0);
  expect(result.stdout).toMatch(/^audit chain intact: \d+ rows checked\nhead: \d+:[0-9a-f]{64}\n$/);
});

test("a saved head that the chain still contains passes", async () => {
  const head = (await runCommand("audit-verify", [], db.env)).stdout.match(/head: (\S+)/)![1]!;
  const result = await runCommand("audit-verify", ["--expect-head", head], db.env);
  expect(result.code).toBe(0);
  expect(result.stdout).toContain("is still part of the chain");
});

test("a saved head the chain no longer contains fails, even though the chain verifies", async () => {
  const forged = `1:${"f".repeat(64)}`;
  const result = await runCommand("audit-verify", ["--expect-head", forged], db.env);
  expect(result.code).toBe(1);
  expect(result.stderr).toContain(`AUDIT CHAIN REWRITTEN: the saved head ${forged} is no longer in it`);
});

test("tampering exits 1 naming the broken sequence number", async () => {
  const victim = await createTestDatabase();
  try {
    await victim.asOwner((client) =>
      client.query("insert into auth.audit_logs (event_type, action) select 'TEST', 'append' from generate_series(1, 5)"),
    );
    await runCommand("audit-verify", [], victim.env);
    await victim.asRoot(async (client) => {
      await client.query("set session_replication_role = replica");
      await client.query("update auth.audit_logs set action = 'forged' where seq = 3");
    });
    const result = await runCommand("audit-verify", [], victim.env);
    expect(result.code).toBe(1);
    expect(result.stderr).toContain("AUDIT CHAIN BROKEN at seq 3: hash mismatch");
  } finally {
    await victim.drop();
  }
});

test("a malformed --expect-head is refused", async () => {
  const result = await runCommand("audit-verify", ["--expect-head", "latest"], db.env);
  expect(result.code).toBe(1);
  expect(result.stderr).toContain("--expect-head: expected <seq>:<64 hex characters>");
});
