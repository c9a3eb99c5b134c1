import { createTestDatabase, type TestDatabase } from "../helpers/database.js";

let db: TestDatabase;
beforeAll(async () => {
  db = await createTestDatabase();
});
afterAll(async () => {
  await db?.drop();
});

function monthPartitionName(date: Date): string {
  const month = String(date.getUTCMonth() + 1).padStart(2, "0");
  return `auth.audit_logs_y${date.getUTCFullYear()}m${month}`;
}

/** Inserts an audit row at `createdAt` and returns the partition it landed in. */
async function partitionOf(createdAt: Date): Promise<string> {
  const { rows } = await db.asOwner((client) =>
    client.query<{ partition: string }>(
      `insert into auth.audit_logs (event_type, action, created_at) values ('TEST', 'insert', $1)
       returning tableoid::regclass::text as partition`,
      [createdAt],
    ),
  );
  return rows[0]!.partition;
}

test("partitions exist for the current month and the next three", async () => {
  const { rows } = await db.asOwner((client) =>
    client.query<{ name: string }>(
      `select inhrelid::regclass::text as name from pg_inherits
        where inhparent = 'auth.audit_logs'::regclass order by 1`,
    ),
  );
  const now = new Date();
  const expected = [0, 1, 2, 3].map((offset) =>
    monthPartitionName(new Date(Date.UTC(now.getUTCFullYear(), now.getUTCMonth() + offset, 1))),
  );
  expect(rows.map((row) => row.name).sort()).toEqual([...expected, "auth.audit_logs_default"].sort());
});

test("an audit row lands in the partition of its month", async () => {
  const now = new Date();
  expect(await partitionOf(now)).toBe(monthPartitionName(now));
});

test("an audit row on the first instant of next month lands in next month's partition", async () => {
  const now = new Date();
  const nextMonth = new Date(Date.UTC(now.getUTCFullYear(), now.getUTCMonth() + 1, 1));
  expect(await partitionOf(nextMonth)).toBe(monthPartitionName(nextMonth));
});

test("an audit row outside every monthly partition lands in the default partition", async () => {
  const farFuture = new Date(Date.UTC(new Date().getUTCFullYear() + 10, 0, 15));
  expect(await partitionOf(farFuture)).toBe("auth.audit_logs_default");
});
