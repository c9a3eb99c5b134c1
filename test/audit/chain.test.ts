import pg from "pg";
import { createTestDatabase, type TestDatabase } from "../helpers/database.js";

let db: TestDatabase;
beforeAll(async () => {
  db = await createTestDatabase();
});
afterAll(async () => {
  await db?.drop();
});

interface Verification {
  intact: boolean;
  first_broken_seq: string | null;
  reason: string | null;
}

async function appendRows(client: pg.ClientBase, count: number, createdAt = "now()"): Promise<void> {
  await client.query(
    `insert into auth.audit_logs (event_type, action, detail, created_at)
     select 'TEST', 'append', jsonb_build_object('n', n), ${createdAt} from generate_series(1, $1) n`,
    [count],
  );
}

async function verify(client: pg.ClientBase, from?: number): Promise<Verification> {
  const { rows } = await client.query<Verification>(
    "select intact, first_broken_seq, reason from auth.verify_audit_chain($1)",
    [from ?? null],
  );
  return rows[0]!;
}

/** Runs `tamper` as superuser with triggers off, verifies inside the same transaction, then rolls back. */
async function verifyAfterTampering(tamper: string): Promise<Verification> {
  return db.asRoot(async (client) => {
    await client.query("begin");
    try {
      await client.query("set local session_replication_role = replica");
      await client.query(tamper);
      await client.query("set local session_replication_role = origin");
      return await verify(client);
    } finally {
      await client.query("rollback");
    }
  });
}

beforeAll(async () => {
  await db.asOwner(async (client) => {
    await appendRows(client, 30);
    await client.query("select auth.chain_audit_logs()");
  });
});

test("linked rows form a gap-free chain that verifies", async () => {
  const { rows } = await db.asOwner((client) =>
    client.query("select min(seq)::int as first, max(seq)::int as last, count(*)::int as n from auth.audit_logs"),
  );
  expect(rows[0]).toEqual({ first: 1, last: 30, n: 30 });
  expect(await db.asOwner((client) => verify(client))).toEqual({ intact: true, first_broken_seq: null, reason: null });
});

test("an inserted row cannot forge its own chain position or hash", async () => {
  const seq = await db.asOwner(async (client) => {
    const { rows } = await client.query(
      `insert into auth.audit_logs (event_type, action, seq, hash) values ('TEST', 'forge', 1, repeat('a', 64))
       returning seq`,
    );
    return rows[0].seq;
  });
  expect(seq).toBeNull();
});

test.each([
  ["update", "update auth.audit_logs set action = 'rewritten' where seq = 3"],
  ["delete", "delete from auth.audit_logs where seq = 3"],
  ["truncate", "truncate auth.audit_logs"],
])("the owner cannot %s audit rows", async (_what, sql) => {
  await expect(db.asOwner((client) => client.query(sql))).rejects.toMatchObject({
    code: "42501",
    message: expect.stringMatching(/^audit_logs is append-only/),
  });
});

test("the owner cannot truncate a single audit partition either", async () => {
  const partition = await db.asOwner(async (client) => {
    const { rows } = await client.query(
      "select inhrelid::regclass::text as name from pg_inherits where inhparent = 'auth.audit_logs'::regclass limit 1",
    );
    return rows[0].name as string;
  });
  await expect(db.asOwner((client) => client.query(`truncate ${partition}`))).rejects.toMatchObject({ code: "42501" });
});

test("an edited column is detected at its sequence number", async () => {
  expect(await verifyAfterTampering("update auth.audit_logs set detail = '{\"n\": 999}' where seq = 7")).toEqual({
    intact: false,
    first_broken_seq: "7",
    reason: "hash mismatch",
  });
});

test("a deleted row is detected at its sequence number", async () => {
  expect(await verifyAfterTampering("delete from auth.audit_logs where seq = 12")).toEqual({
    intact: false,
    first_broken_seq: "12",
    reason: "gap",
  });
});

test("a deleted last row is detected", async () => {
  expect(await verifyAfterTampering("delete from auth.audit_logs where seq = (select max(seq) from auth.audit_logs)")).toMatchObject({
    intact: false,
    reason: "gap",
  });
});

test("reordered rows are detected at the first one moved", async () => {
  expect(
    await verifyAfterTampering(
      "update auth.audit_logs set seq = case seq when 15 then 16 else 15 end where seq in (15, 16)",
    ),
  ).toEqual({ intact: false, first_broken_seq: "15", reason: "broken link" });
});

/** SQL that sets `assignment` on the row at `seq` and gives it the format 2 hash of its new contents. */
function rewriteWithValidHash(seq: number, assignment: string): string {
  return `update auth.audit_logs set ${assignment} where seq = ${seq};
    update auth.audit_logs l set hash = auth.audit_log_digest_v2(l.previous_hash, l.seq, l.id, l.event_type, l.action,
      l.resource, l.resource_id, l.result, l.detail, l.user_id, l.actor_type, l.ip_address, l.user_agent, l.trace_id, l.created_at)
     where seq = ${seq}`;
}

test("a row rewritten with a hash that matches its new contents breaks the link of the next row", async () => {
  expect(await verifyAfterTampering(rewriteWithValidHash(7, "detail = '{\"n\": 999}'"))).toEqual({
    intact: false,
    first_broken_seq: "8",
    reason: "broken link",
  });
});

test("a row pointed at another predecessor, with a hash that matches, is a broken link", async () => {
  const pointAtRow5 = "previous_hash = (select hash from auth.audit_logs where seq = 5)";
  expect(await verifyAfterTampering(rewriteWithValidHash(20, pointAtRow5))).toEqual({
    intact: false,
    first_broken_seq: "20",
    reason: "broken link",
  });
});

test("a copy of a row appended under the next seq, with a hash that matches, is a broken link", async () => {
  const copyLastRow = `insert into auth.audit_logs (seq, previous_hash, hash, event_type, action, detail, created_at, chain_format)
    select seq + 1, previous_hash, hash, event_type, action, detail, created_at, chain_format
      from auth.audit_logs where seq = (select max(seq) from auth.audit_logs);
    update auth.audit_chain_head set seq = seq + 1`;
  const { rows } = await db.asOwner((client) => client.query("select max(seq)::int as last from auth.audit_logs"));
  const copy = rows[0].last + 1;
  expect(await verifyAfterTampering(`${copyLastRow}; ${rewriteWithValidHash(copy, "action = action")}`)).toEqual({
    intact: false,
    first_broken_seq: String(copy),
    reason: "broken link",
  });
});

/**
 * Links the chain again from its first row as the chainer of each format
 * would have: rows up to `lastFormat1` in format 1 (as every row linked
 * before migration 7 is), the rest in format 2. Run inside verifyAfterTampering.
 */
function relinkWithFormat1Upto(lastFormat1: number): string {
  const columns = "r.seq, r.id, r.event_type, r.action, r.resource, r.resource_id, r.result, r.detail, r.user_id, r.actor_type, r.ip_address, r.user_agent, r.trace_id, r.created_at";
  return `do $$
    declare
      r auth.audit_logs;
      v_previous text := repeat('0', 64);
      v_hash text;
    begin
      for r in select * from auth.audit_logs where seq is not null order by seq loop
        v_hash := case when r.seq <= ${lastFormat1}
          then auth.audit_log_digest(v_previous, ${columns})
          else auth.audit_log_digest_v2(v_previous, ${columns}) end;
        update auth.audit_logs set previous_hash = v_previous, hash = v_hash, chain_format = case when r.seq <= ${lastFormat1} then 1 else 2 end
         where id = r.id and created_at = r.created_at;
        v_previous := v_hash;
      end loop;
      update auth.audit_chain_head set hash = v_previous;
    end;
  $$`;
}

test("rows linked in format 1 before format 2 existed still verify beside format 2 rows", async () => {
  expect(await verifyAfterTampering(relinkWithFormat1Upto(10))).toEqual({ intact: true, first_broken_seq: null, reason: null });
});

test("an edited format 1 row is detected at its sequence number", async () => {
  const tamper = `${relinkWithFormat1Upto(10)}; update auth.audit_logs set action = 'rewritten' where seq = 4`;
  expect(await verifyAfterTampering(tamper)).toEqual({ intact: false, first_broken_seq: "4", reason: "hash mismatch" });
});

test("a row whose chain format was switched is detected at its sequence number", async () => {
  expect(await verifyAfterTampering("update auth.audit_logs set chain_format = 1 where seq = 9")).toEqual({
    intact: false,
    first_broken_seq: "9",
    reason: "hash mismatch",
  });
});

test("a format 2 hash is the SHA-256 of the row's send form with the result's label as text, for every result", async () => {
  const results = await createTestDatabase();
  try {
    const mismatched = await results.asOwner(async (client) => {
      await client.query(
        `insert into auth.audit_logs (event_type, action, result)
         select 'TEST', 'result', r from unnest(enum_range(null::auth.audit_result)) r`,
      );
      await client.query("select auth.chain_audit_logs()");
      await client.query("set client_encoding = 'UTF8'");
      const { rows } = await client.query<{ result: string }>(
        `select l.result::text from auth.audit_logs l
          where l.hash is distinct from encode(sha256(record_send(row(
            l.previous_hash, l.seq, l.id, l.event_type, l.action, l.resource, l.resource_id, l.result::text, l.detail,
            l.user_id, l.actor_type, l.ip_address, l.user_agent, l.trace_id, l.created_at))), 'hex')`,
      );
      return rows.map((row) => row.result);
    });
    expect(mismatched).toEqual([]);
  } finally {
    await results.drop();
  }
});

test("hashes do not depend on the client encoding of the session that links or verifies", async () => {
  const encodings = await createTestDatabase();
  try {
    await encodings.asOwner(async (client) => {
      await client.query("set client_encoding = 'LATIN1'");
      await client.query(
        "insert into auth.audit_logs (event_type, action, detail, user_agent) values ('TEST', 'encoding', '{\"name\": \"Zoë\"}', 'Müller-Agent')",
      );
      await client.query("select auth.chain_audit_logs()");
    });
    const verifiedIn = async (encoding: string) =>
      encodings.asOwner(async (client) => {
        await client.query(`set client_encoding = '${encoding}'`);
        return verify(client);
      });
    expect([await verifiedIn("UTF8"), await verifiedIn("LATIN1")]).toEqual([
      { intact: true, first_broken_seq: null, reason: null },
      { intact: true, first_broken_seq: null, reason: null },
    ]);
  } finally {
    await encodings.drop();
  }
});

test("a session that verifies again and again keeps planning the single pass for each range", async () => {
  // A generic plan would stay cached in the session as a CachedPlan memory
  // context; custom plans are dropped after each call.
  const cachedPlans = await db.asRoot(async (client) => {
    for (let i = 0; i < 8; i++) await verify(client);
    const { rows } = await client.query<{ n: number }>(
      `select count(*)::int as n from pg_backend_memory_contexts
        where name = 'CachedPlan' and ident like '%from auth.audit_logs l%where l.seq between from_seq and to_seq%'`,
    );
    return rows[0]!.n;
  });
  expect(cachedPlans).toBe(0);
});

test("a break is announced on the audit_tampering_detected channel", async () => {
  const victim = await createTestDatabase();
  const listener = new pg.Client({ connectionString: victim.config.database.ownerUrl });
  try {
    await victim.asOwner(async (client) => {
      await appendRows(client, 5);
      await client.query("select auth.chain_audit_logs()");
    });
    await victim.asRoot(async (client) => {
      await client.query("set session_replication_role = replica");
      await client.query("update auth.audit_logs set action = 'forged' where seq = 2");
    });
    await listener.connect();
    await listener.query("listen audit_tampering_detected");
    const notified = new Promise<string>((resolve) => listener.on("notification", (message) => resolve(message.payload!)));
    await victim.asOwner((client) => verify(client));
    expect(JSON.parse(await notified)).toEqual({ severity: "critical", first_broken_seq: 2, reason: "hash mismatch", from_seq: 1, to_seq: 5 });
  } finally {
    await listener.end();
    await victim.drop();
  }
});

test("20 concurrent writers and a concurrent chainer leave one valid chain", async () => {
  const pool = new pg.Pool({ connectionString: db.config.database.ownerUrl, max: 21 });
  try {
    let writing = true;
    const chaining = (async () => {
      while (writing) await pool.query("select auth.chain_audit_logs(50)");
    })();
    await Promise.all(
      Array.from({ length: 20 }, async () => {
        for (let i = 0; i < 25; i++) await appendRows(pool as unknown as pg.ClientBase, 2);
      }),
    );
    writing = false;
    await chaining;
    await pool.query("select auth.chain_audit_logs()");
    const { rows } = await pool.query("select count(*)::int as n, max(seq)::int as last from auth.audit_logs");
    expect(rows[0].n).toBe(rows[0].last);
    expect(await verify(pool as unknown as pg.ClientBase)).toMatchObject({ intact: true });
  } finally {
    await pool.end();
  }
});

test("the chain still verifies from seq 1 after an expired partition is detached, through the anchor it chains", async () => {
  const victim = await createTestDatabase();
  try {
    await victim.asOwner(async (client) => {
      await client.query("update auth.partition_policies set retention = interval '1 month' where table_name = 'audit_logs'");
      const { rows } = await client.query("select auth.ensure_audit_log_partition((now() - interval '3 months')::date)::text as name");
      await appendRows(client, 10, "date_trunc('month', now() - interval '3 months') + interval '1 day'");
      await client.query("select auth.chain_audit_logs()");
      await appendRows(client, 10);
      await client.query("select auth.detach_audit_log_partition($1::regclass)", [rows[0].name]);
      const detached = await client.query("select first_seq::int, last_seq::int from auth.audit_chain_detached_runs()");
      expect(detached.rows).toEqual([{ first_seq: 1, last_seq: 10 }]);
      expect(await verify(client)).toMatchObject({ intact: true });
      expect(await verify(client, 1)).toMatchObject({ intact: true });
      expect(await verify(client, 11)).toMatchObject({ intact: true });
    });
  } finally {
    await victim.drop();
  }
});
