import type pg from "pg";
import { createTestDatabase, type TestDatabase } from "../helpers/database.js";

let db: TestDatabase;
beforeEach(async () => {
  db = await createTestDatabase();
});
afterEach(async () => {
  await db?.drop();
});

function auditPartition(month: Date): string {
  return `audit_logs_y${month.getUTCFullYear()}m${String(month.getUTCMonth() + 1).padStart(2, "0")}`;
}

/** The first of a UTC month `offset` months from now. */
function monthFromNow(offset: number): Date {
  const now = new Date();
  return new Date(Date.UTC(now.getUTCFullYear(), now.getUTCMonth() + offset, 1));
}

/** Creates the partition of `month` and `rows` audit rows in it (created mid-month), then links them. */
async function rowsIn(client: pg.ClientBase, month: Date, rows: number): Promise<string> {
  const { rows: created } = await client.query("select auth.ensure_audit_log_partition($1::date)::text as name", [
    month.toISOString().slice(0, 10),
  ]);
  await client.query(
    "insert into auth.audit_logs (event_type, action, created_at) select 'TEST', 'old', $2::timestamptz + interval '14 days' from generate_series(1, $1)",
    [rows, month],
  );
  await client.query("select auth.chain_audit_logs()");
  return created[0].name;
}

async function appendRecent(client: pg.ClientBase, rows: number): Promise<void> {
  await client.query("insert into auth.audit_logs (event_type, action) select 'TEST', 'recent' from generate_series(1, $1)", [rows]);
  await client.query("select auth.chain_audit_logs()");
}

async function verify(client: pg.ClientBase, from: number | null = null) {
  const { rows } = await client.query("select intact, first_broken_seq::int, reason, checked_rows::int from auth.verify_audit_chain($1)", [from]);
  return rows[0];
}

async function inArchive(client: pg.ClientBase): Promise<string[]> {
  const { rows } = await client.query("select relname from pg_class where relnamespace = 'archive'::regnamespace and relkind = 'r' and relname ~ '^audit_logs_y' order by 1");
  return rows.map((row) => row.relname);
}

test("the current month cannot be detached, whatever the retention says", async () => {
  const current = `auth.${auditPartition(monthFromNow(0))}`;
  await db.asOwner(async (client) => {
    await appendRecent(client, 3);
    await client.query("update auth.partition_policies set retention = interval '1 day' where table_name = 'audit_logs'");
    await expect(client.query("select auth.detach_audit_log_partition($1::regclass)", [current])).rejects.toMatchObject({
      code: "22023",
      message: expect.stringMatching(new RegExp(`^partition: ${current} holds the current month \\(until .*\\), which has not ended`)),
    });
    expect(await verify(client)).toMatchObject({ intact: true, checked_rows: 3 });
  });
});

test("a future month cannot be detached", async () => {
  const next = `auth.${auditPartition(monthFromNow(1))}`;
  await db.asOwner(async (client) => {
    await expect(client.query("select auth.detach_audit_log_partition($1::regclass)", [next])).rejects.toMatchObject({
      code: "22023",
      message: expect.stringContaining(`${next} holds a future month`),
    });
  });
});

test("a past month still within the retention cannot be detached, and the refusal says from when it can", async () => {
  await db.asOwner(async (client) => {
    const partition = await rowsIn(client, monthFromNow(-3), 2);
    await expect(client.query("select auth.detach_audit_log_partition($1::regclass)", [partition])).rejects.toMatchObject({
      code: "22023",
      message: expect.stringMatching(new RegExp(`^partition: ${partition} ends .*, within the 2 years retention of auth.partition_policies; it may be detached from `)),
    });
    expect(await inArchive(client)).toEqual([]);
  });
});

test("the default partition cannot be detached", async () => {
  await db.asOwner(async (client) => {
    await expect(client.query("select auth.detach_audit_log_partition('auth.audit_logs_default')")).rejects.toMatchObject({
      code: "22023",
      message: expect.stringContaining("auth.audit_logs_default is the default partition"),
    });
  });
});

test("maintenance as of a far later moment detaches only audit partitions past their retention now", async () => {
  const expired = monthFromNow(-30);
  await db.asOwner(async (client) => {
    await rowsIn(client, expired, 2);
    await appendRecent(client, 2);
    await client.query("select * from auth.run_partition_maintenance(now() + interval '30 years', false)");
    expect(await inArchive(client)).toEqual([auditPartition(expired)]);
    expect(await verify(client)).toMatchObject({ intact: true, checked_rows: 3 });
  });
});

test("a detach chains an anchor naming the partition and the range that left, with the previous hash of its first row", async () => {
  const expired = monthFromNow(-30);
  await db.asOwner(async (client) => {
    const partition = await rowsIn(client, expired, 4);
    const { rows: first } = await client.query("select previous_hash from auth.audit_logs where seq = 1");
    await appendRecent(client, 1);
    await client.query("select auth.detach_audit_log_partition($1::regclass)", [partition]);
    const { rows } = await client.query(
      "select seq::int, action, resource_id, detail - 'detached' - 'from' - 'to' as detail from auth.audit_logs where event_type = 'AUDIT_CHAIN'",
    );
    expect(rows).toEqual([{ seq: 6, action: "detach", resource_id: partition, detail: { partition, rows: 4, seq_ranges: [[1, 4]] } }]);
    const runs = await client.query("select first_seq::int, last_seq::int, previous_hash, sound from auth.audit_chain_detached_runs()");
    expect(runs.rows).toEqual([{ first_seq: 1, last_seq: 4, previous_hash: first[0].previous_hash, sound: true }]);
  });
});

test("after detaches the chain verifies from seq 1, and ranges that left join into one", async () => {
  await db.asOwner(async (client) => {
    const january = await rowsIn(client, monthFromNow(-31), 3);
    const february = await rowsIn(client, monthFromNow(-30), 2);
    await appendRecent(client, 2);
    await client.query("select auth.detach_audit_log_partition($1::regclass)", [january]);
    await client.query("select auth.detach_audit_log_partition($1::regclass)", [february]);
    const runs = await client.query("select first_seq::int, last_seq::int from auth.audit_chain_detached_runs()");
    expect(runs.rows).toEqual([{ first_seq: 1, last_seq: 5 }]);
    expect(await verify(client)).toEqual({ intact: true, first_broken_seq: null, reason: null, checked_rows: 4 });
    expect(await verify(client, 1)).toMatchObject({ intact: true });
    expect(await verify(client, 6)).toMatchObject({ intact: true, checked_rows: 4 });
    await expect(verify(client, 3)).rejects.toMatchObject({
      code: "22023",
      message: expect.stringMatching(/^from_seq, to_seq: seqs 1 to 5 left the log with a detached partition/),
    });
  });
});

test("a partition detached and dropped without the function leaves a gap at its first seq", async () => {
  await db.asOwner(async (client) => {
    const partition = await rowsIn(client, monthFromNow(-30), 3);
    await appendRecent(client, 2);
    await client.query(`alter table auth.audit_logs detach partition ${partition}`);
    await client.query(`drop table ${partition}`);
    expect(await verify(client)).toEqual({ intact: false, first_broken_seq: 1, reason: "gap", checked_rows: 2 });
  });
});

test("an anchor whose copy of the last row that left does not recompute is a broken anchor", async () => {
  await db.asOwner(async (client) => {
    const partition = await rowsIn(client, monthFromNow(-30), 3);
    await appendRecent(client, 1);
    await client.query(
      `insert into auth.audit_logs (event_type, action, detail)
       select 'AUDIT_CHAIN', 'detach', jsonb_build_object('detached', jsonb_build_array(jsonb_build_object(
         'first_seq', 1, 'last_seq', 3, 'previous_hash', repeat('0', 64),
         'last_row', to_jsonb(l) || jsonb_build_object('created_at', now() - interval '40 years'))))
         from auth.audit_logs l where l.seq = 3`,
    );
    await db.asRoot((root) => root.query(`alter table auth.audit_logs detach partition ${partition}; drop table ${partition}`));
    expect(await verify(client)).toEqual({ intact: false, first_broken_seq: 5, reason: "broken anchor", checked_rows: 2 });
  });
});

test("an anchor that is not the shape of one is a broken anchor, not an error", async () => {
  await db.asOwner(async (client) => {
    await appendRecent(client, 1);
    await client.query(
      `insert into auth.audit_logs (event_type, action, detail)
       values ('AUDIT_CHAIN', 'detach', '{"detached": [{"first_seq": "one", "last_row": 7}]}')`,
    );
    expect(await verify(client)).toMatchObject({ intact: false, first_broken_seq: 2, reason: "broken anchor" });
    const { rows } = await client.query("select auth.audit_chain_contains(1, (select hash from auth.audit_logs where seq = 1)) as contained");
    expect(rows[0].contained).toBe(true);
  });
});
