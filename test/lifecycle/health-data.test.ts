import { quickAddJob } from "graphile-worker";
import { createTestDatabase, type TestDatabase } from "../helpers/database.js";
import { health } from "../helpers/http.js";
import { startTestService } from "../helpers/service.js";

let db: TestDatabase;
let service: Awaited<ReturnType<typeof startTestService>>;
beforeAll(async () => {
  db = await createTestDatabase();
  service = await startTestService(db.config);
});
afterAll(async () => {
  await service?.stop();
  await db?.drop();
});

interface DataHealth {
  status: string;
  info: {
    partitions: { status: string; runwayDays: Record<string, number> };
    jobs: { status: string; hoursSinceSuccess: Record<string, number | null> };
    archive: { status: string; waitingTables: number };
  };
}

test("health reports partition runway, job ages and the archive backlog", async () => {
  const { status, body } = await health(service.url);
  expect(status).toBe(200);
  const report = body as DataHealth;
  expect(report.info.partitions.status).toBe("up");
  expect(report.info.partitions.runwayDays.security_events).toBeGreaterThanOrEqual(7);
  expect(report.info.partitions.runwayDays.audit_logs).toBeGreaterThan(60);
  expect(report.info.jobs).toEqual({
    status: "up",
    hoursSinceSuccess: { maintenance: null, archive_export: null, audit_verify: null },
  });
  expect(report.info.archive).toEqual({ status: "up", waitingTables: 0 });
});

test("health is 503 while the partition runway is under 7 days, and recovers after maintenance", async () => {
  await db.asOwner(async (client) => {
    const { rows } = await client.query(
      `select b.partition::text as name from auth.partition_bounds('auth.security_events') b
        where not b.is_default and b.lower_bound > now() + interval '3 days'`,
    );
    for (const { name } of rows) await client.query(`drop table ${name}`);
  });
  const down = await health(service.url);
  expect(down.status).toBe(503);
  expect((down.body as DataHealth).info.partitions.status).toBe("down");

  await db.asOwner((client) => client.query("select * from auth.run_partition_maintenance(now(), false)"));
  expect((await health(service.url)).status).toBe(200);
});

test("health is 503 when a job has not succeeded for twice its interval", async () => {
  await db.asOwner((client) =>
    client.query("insert into auth.job_runs (job, started_at, finished_at, succeeded) values ('audit_verify', now() - interval '50 hours', now() - interval '50 hours', true)"),
  );
  const down = await health(service.url);
  expect(down.status).toBe(503);
  expect((down.body as DataHealth).info.jobs.hoursSinceSuccess.audit_verify).toBeGreaterThan(48);

  await db.asOwner((client) =>
    client.query("insert into auth.job_runs (job, started_at, succeeded) values ('audit_verify', now(), true)"),
  );
  expect((await health(service.url)).status).toBe(200);
});

test("the scheduler runs a queued job and records its outcome", async () => {
  const scheduled = await startTestService({ ...db.config, lifecycle: { ...db.config.lifecycle, schedulerInServer: true } });
  try {
    await quickAddJob({ connectionString: db.config.database.ownerUrl }, "audit_verify", {});
    let runs: Array<{ succeeded: boolean }> = [];
    for (let tries = 0; tries < 60 && runs.length === 0; tries++) {
      await new Promise((resolve) => setTimeout(resolve, 250));
      runs = (await db.asOwner((client) =>
        client.query("select succeeded from auth.job_runs where job = 'audit_verify' and finished_at > now() - interval '1 minute' and detail ? 'head'"),
      )).rows;
    }
    expect(runs).toEqual([{ succeeded: true }]);
  } finally {
    await scheduled.stop();
  }
});

test("the server links new audit rows into the chain by itself", async () => {
  await db.asOwner((client) => client.query("insert into auth.audit_logs (event_type, action) values ('TEST', 'unlinked')"));
  let seq: string | null = null;
  for (let tries = 0; tries < 40 && seq === null; tries++) {
    await new Promise((resolve) => setTimeout(resolve, 250));
    seq = (await db.asOwner((client) => client.query("select seq from auth.audit_logs where action = 'unlinked'"))).rows[0].seq;
  }
  expect(seq).not.toBeNull();
});
