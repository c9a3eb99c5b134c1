import type pg from "pg";
import { createTestDatabase, type TestDatabase } from "../helpers/database.js";

let db: TestDatabase;
beforeEach(async () => {
  db = await createTestDatabase();
});
afterEach(async () => {
  await db?.drop();
});

const DAY = 86_400_000;

function utcMonth(date: Date, offset = 0): Date {
  return new Date(Date.UTC(date.getUTCFullYear(), date.getUTCMonth() + offset, 1));
}

function auditPartition(month: Date): string {
  return `audit_logs_y${month.getUTCFullYear()}m${String(month.getUTCMonth() + 1).padStart(2, "0")}`;
}

function eventPartition(day: Date): string {
  return `security_events_p${day.toISOString().slice(0, 10).replaceAll("-", "")}`;
}

async function partitionsIn(client: pg.ClientBase, schema: string): Promise<string[]> {
  const { rows } = await client.query<{ relname: string }>(
    "select relname from pg_class where relnamespace = $1::regnamespace and relkind = 'r' and relname ~ '^(audit_logs|security_events)_' order by 1",
    [schema],
  );
  return rows.map((row) => row.relname);
}

async function maintain(client: pg.ClientBase, at: Date, dryRun = false) {
  const { rows } = await client.query("select * from auth.run_partition_maintenance($1, $2)", [at, dryRun]);
  return rows as Array<{ table_name: string; action: string; partition: string | null; detail: string }>;
}

test("future partitions appear through the premake horizon", async () => {
  const at = new Date(Date.now() + 400 * DAY);
  await db.asOwner(async (client) => {
    await maintain(client, at);
    const partitions = await partitionsIn(client, "auth");
    for (const offset of [0, 1, 2, 3]) expect(partitions).toContain(auditPartition(utcMonth(at, offset)));
    for (const days of [0, 3, 7]) expect(partitions).toContain(eventPartition(new Date(at.getTime() + days * DAY)));
  });
});

test("running maintenance twice does nothing the second time", async () => {
  await db.asOwner(async (client) => {
    await maintain(client, new Date());
    expect(await maintain(client, new Date())).toEqual([]);
  });
});

test("a row in the default partition is moved to its own partition, keeping its chain position", async () => {
  const far = new Date(Date.UTC(new Date().getUTCFullYear() + 5, 5, 15));
  await db.asOwner(async (client) => {
    await client.query("insert into auth.audit_logs (event_type, action, created_at) values ('TEST', 'far', $1)", [far]);
    await client.query("select auth.chain_audit_logs()");
    const before = (await client.query("select seq, hash, tableoid::regclass::text as part from auth.audit_logs where action = 'far'")).rows[0];
    expect(before.part).toBe("auth.audit_logs_default");

    const actions = await maintain(client, new Date());
    expect(actions).toContainEqual(expect.objectContaining({ table_name: "audit_logs", action: "move" }));
    const after = (await client.query("select seq, hash, tableoid::regclass::text as part from auth.audit_logs where action = 'far'")).rows[0];
    expect(after).toEqual({ seq: before.seq, hash: before.hash, part: `auth.${auditPartition(utcMonth(far))}` });
    expect((await client.query("select intact from auth.verify_audit_chain()")).rows[0].intact).toBe(true);
  });
});

test("a security event in the default partition is moved to its day's partition", async () => {
  const far = new Date(Date.UTC(new Date().getUTCFullYear() + 5, 0, 2, 12));
  await db.asOwner(async (client) => {
    await client.query("insert into auth.security_events (type, created_at) values ('TEST', $1)", [far]);
    await maintain(client, new Date());
    const { rows } = await client.query("select tableoid::regclass::text as part from auth.security_events where type = 'TEST'");
    expect(rows).toEqual([{ part: `auth.${eventPartition(far)}` }]);
  });
});

test("partitions older than the retention move to schema archive, never dropped", async () => {
  const now = new Date();
  const expired = utcMonth(now, -25);
  await db.asOwner(async (client) => {
    await client.query("select auth.ensure_audit_log_partition($1::date)", [expired]);
    await client.query("insert into auth.audit_logs (event_type, action, created_at) values ('TEST', 'old', $1)", [new Date(expired.getTime() + DAY)]);
    await client.query("insert into auth.security_events (type) values ('TEST')");
    const later = new Date(utcMonth(now, 25).getTime() + DAY);
    await maintain(client, later);
    const archived = await partitionsIn(client, "archive");
    expect(archived).toContain(auditPartition(expired));
    expect(archived).toContain(eventPartition(now));
    expect((await client.query(`select count(*)::int as n from archive.${auditPartition(expired)}`)).rows[0].n).toBe(1);
  });
});

test("audit partitions leave by the real clock: maintenance as of a later moment keeps the current month", async () => {
  const now = new Date();
  await db.asOwner(async (client) => {
    await client.query("insert into auth.audit_logs (event_type, action) values ('TEST', 'kept')");
    await maintain(client, new Date(utcMonth(now, 25).getTime() + DAY));
    expect(await partitionsIn(client, "archive")).not.toContain(auditPartition(utcMonth(now)));
    expect(await partitionsIn(client, "auth")).toContain(auditPartition(utcMonth(now)));
  });
});

test("detaching an audit partition chains an anchor and the chain still verifies", async () => {
  const expired = utcMonth(new Date(), -25);
  await db.asOwner(async (client) => {
    await client.query("select auth.ensure_audit_log_partition($1::date)", [expired]);
    await client.query("insert into auth.audit_logs (event_type, action, created_at) values ('TEST', 'old', $1)", [new Date(expired.getTime() + DAY)]);
    await client.query("insert into auth.audit_logs (event_type, action) values ('TEST', 'kept')");
    await maintain(client, new Date());
    const { rows } = await client.query("select action, resource_id from auth.audit_logs where event_type = 'AUDIT_CHAIN'");
    expect(rows).toEqual([{ action: "detach", resource_id: `auth.${auditPartition(expired)}` }]);
    expect((await client.query("select intact from auth.verify_audit_chain()")).rows[0].intact).toBe(true);
  });
});

test("a dry run reports what it would do and changes nothing", async () => {
  const at = new Date(utcMonth(new Date(), 25).getTime() + DAY);
  await db.asOwner(async (client) => {
    const before = [await partitionsIn(client, "auth"), await partitionsIn(client, "archive")];
    const planned = await maintain(client, at, true);
    expect(planned.map((row) => row.action)).toEqual(expect.arrayContaining(["create", "detach"]));
    expect([await partitionsIn(client, "auth"), await partitionsIn(client, "archive")]).toEqual(before);
  });
});

test("retention comes from the policy table", async () => {
  const now = new Date();
  await db.asOwner(async (client) => {
    await client.query("update auth.partition_policies set retention = interval '1 month' where table_name = 'audit_logs'");
    await client.query("select auth.ensure_audit_log_partition($1::date)", [utcMonth(now, -2)]);
    await maintain(client, now);
    expect(await partitionsIn(client, "archive")).toContain(auditPartition(utcMonth(now, -2)));
  });
});
