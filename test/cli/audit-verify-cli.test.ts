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

/** A fresh database holding `rows` linked audit rows, and the head `audit:verify` printed for them. */
async function chainWithSavedHead(rows: number): Promise<{ victim: TestDatabase; head: string }> {
  const victim = await createTestDatabase();
  await victim.asOwner((client) =>
    client.query("insert into auth.audit_logs (event_type, action) select 'TEST', 'append' from generate_series(1, $1)", [rows]),
  );
  const head = (await runCommand("audit-verify", [], victim.env)).stdout.match(/head: (\S+)/)![1]!;
  return { victim, head };
}

/** SQL an attacker with owner rights would run to record checkpoint `seq` in the checkpoints table, where one exists. */
function forgedCheckpoint(seq: number): string {
  return `do $$ begin
    if to_regclass('auth.audit_chain_checkpoints') is not null then
      execute $q$insert into auth.audit_chain_checkpoints (seq, hash, partition_name)
        select seq, hash, 'auth.audit_logs_forged' from auth.audit_logs where seq = ${seq}$q$;
    end if;
  end $$`;
}

/** SQL appending a forged anchor that lists seqs first..last as detached, copying row `last` as a real detach does. */
function forgedAnchor(first: number, last: number): string {
  return `insert into auth.audit_logs (event_type, action, resource, detail)
    select 'AUDIT_CHAIN', 'detach', 'audit_logs', jsonb_build_object('detached', jsonb_build_array(jsonb_build_object(
      'first_seq', ${first}, 'last_seq', ${last},
      'previous_hash', (select previous_hash from auth.audit_logs where seq = ${first}),
      'last_row', to_jsonb(l))))
      from auth.audit_logs l where l.seq = ${last}`;
}

/** SQL deleting linked rows as the superuser, past the append-only triggers. */
function deleteRows(where: string): string {
  return `set session_replication_role = replica;
    delete from auth.audit_logs where seq is not null and ${where};
    set session_replication_role = origin`;
}

test("deleting the oldest rows fails a saved head, even with a forged checkpoint and a forged detach record", async () => {
  const { victim, head } = await chainWithSavedHead(10);
  try {
    await victim.asRoot((client) => client.query(`${forgedAnchor(1, 4)}; ${forgedCheckpoint(4)}; ${deleteRows("seq <= 4")}`));
    const result = await runCommand("audit-verify", ["--expect-head", head], victim.env);
    expect(result.code).toBe(1);
    expect(result.stderr).toMatch(/^AUDIT ROWS REMOVED BEFORE THEIR RETENTION: seqs 1 to 4 left the log since the saved head/m);
  } finally {
    await victim.drop();
  }
});

test("deleting the newest rows fails a saved head, even with a forged checkpoint and the head moved back", async () => {
  const { victim, head } = await chainWithSavedHead(10);
  try {
    await victim.asRoot((client) =>
      client.query(`${forgedCheckpoint(10)}; ${deleteRows("seq >= 8")};
        update auth.audit_chain_head set seq = 7, hash = (select hash from auth.audit_logs where seq = 7)`),
    );
    const result = await runCommand("audit-verify", ["--expect-head", head], victim.env);
    expect(result.code).toBe(1);
    expect(result.stderr).toContain(`AUDIT CHAIN REWRITTEN: the saved head ${head} is no longer in it`);
  } finally {
    await victim.drop();
  }
});

test("deleting the newest rows fails a saved head, even with a forged detach record chained after them", async () => {
  const { victim, head } = await chainWithSavedHead(10);
  try {
    await victim.asRoot((client) => client.query(`${forgedAnchor(8, 10)}; ${deleteRows("seq between 8 and 10")}`));
    const result = await runCommand("audit-verify", ["--expect-head", head], victim.env);
    expect(result.code).toBe(1);
    expect(result.stderr).toMatch(/^AUDIT ROWS REMOVED BEFORE THEIR RETENTION: seqs 8 to 10 left the log since the saved head/m);
  } finally {
    await victim.drop();
  }
});

test("a partition detached after its retention verifies against a head saved before, and the CLI says what left", async () => {
  const victim = await createTestDatabase();
  try {
    const old = new Date(Date.UTC(new Date().getUTCFullYear() - 3, 0, 15));
    await victim.asOwner(async (client) => {
      await client.query("select auth.ensure_audit_log_partition($1::date)", [old.toISOString().slice(0, 10)]);
      await client.query("insert into auth.audit_logs (event_type, action, created_at) select 'TEST', 'old', $1 from generate_series(1, 5)", [old]);
      await client.query("insert into auth.audit_logs (event_type, action) select 'TEST', 'recent' from generate_series(1, 3)");
    });
    const head = (await runCommand("audit-verify", [], victim.env)).stdout.match(/head: (\S+)/)![1]!;
    await victim.asOwner((client) => client.query("select * from auth.run_partition_maintenance(now() + interval '30 years', false)"));

    const result = await runCommand("audit-verify", ["--expect-head", head], victim.env);
    expect(result).toMatchObject({ code: 0, stderr: "" });
    expect(result.stdout).toMatch(/^audit chain intact: 4 rows checked, 5 detached$/m);
    expect(result.stdout).toMatch(/^seqs 1 to 5 left the log since the saved head; the last of them was created .+, past the retention of 2 years$/m);
    expect(result.stdout).toContain(`expected head ${head.split(":")[0]} is still part of the chain`);
  } finally {
    await victim.drop();
  }
});
