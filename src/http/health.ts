import type { Request, Response } from "express";
import type pg from "pg";

type Status = "up" | "down";

export interface HealthReport {
  status: "ok" | "error";
  info: {
    database: { status: Status };
    partitions?: { status: Status; runwayDays: Record<string, number> };
    jobs?: { status: Status; hoursSinceSuccess: Record<string, number | null> };
    archive?: { status: Status; waitingTables: number };
  };
}

export interface HealthOptions {
  /** When this server started: a job that never ran counts from here. */
  startedAt: Date;
  /** How often each scheduled job must succeed; down after twice that. */
  jobIntervalHours: Record<string, number>;
  /** Below this many days of premade partitions, partitions are down. */
  minimumRunwayDays: number;
}

const CHECK_TIMEOUT_MS = 3000;

/** Runs a query, giving up after a few seconds. */
async function within<T>(work: Promise<T>): Promise<T> {
  let timer: NodeJS.Timeout | undefined;
  const timeout = new Promise<never>((_, reject) => {
    timer = setTimeout(() => reject(new Error("no answer within 3s")), CHECK_TIMEOUT_MS);
  });
  try {
    return await Promise.race([work, timeout]);
  } finally {
    clearTimeout(timer);
  }
}

async function databaseIsUp(pool: pg.Pool): Promise<boolean> {
  return within(pool.query("select 1")).then(
    () => true,
    () => false,
  );
}

/** Partition runway, job ages and archive backlog, from auth.data_health(). */
async function dataChecks(pool: pg.Pool, options: HealthOptions): Promise<Omit<HealthReport["info"], "database">> {
  const { rows } = await within(
    pool.query<{ check_name: string; value: number | null }>("select check_name, value from auth.data_health()"),
  );
  const runwayDays: Record<string, number> = {};
  const hoursSinceSuccess: Record<string, number | null> = {};
  let waitingTables = 0;
  for (const { check_name: name, value } of rows) {
    const [kind, subject] = name.split(":");
    if (kind === "partition_runway") runwayDays[subject!] = Math.round(value! * 100) / 100;
    else if (kind === "last_success") hoursSinceSuccess[subject!] = value === null ? null : Math.round(value * 100) / 100;
    else if (kind === "archive_waiting") waitingTables = value ?? 0;
  }
  const hoursUp = (Date.now() - options.startedAt.getTime()) / 3_600_000;
  const jobsDown = Object.entries(options.jobIntervalHours).some(
    ([job, interval]) => (hoursSinceSuccess[job] ?? hoursUp) > 2 * interval,
  );
  const runwayDown = Object.values(runwayDays).some((days) => days < options.minimumRunwayDays);
  return {
    partitions: { status: runwayDown ? "down" : "up", runwayDays },
    jobs: { status: jobsDown ? "down" : "up", hoursSinceSuccess },
    archive: { status: "up", waitingTables },
  };
}

/**
 * GET /health: whether the database answers, and whether the data is
 * looked after (premade partitions, recent successful jobs, archive
 * backlog). 200 when everything is up, 503 when anything is down. Each call
 * asks afresh, so the answer recovers by itself.
 */
export function healthHandler(pool: pg.Pool, options: HealthOptions) {
  return async (_req: Request, res: Response): Promise<void> => {
    const info: HealthReport["info"] = { database: { status: (await databaseIsUp(pool)) ? "up" : "down" } };
    if (info.database.status === "up") {
      Object.assign(
        info,
        await dataChecks(pool, options).catch(() => ({
          partitions: { status: "down" as const, runwayDays: {} },
          jobs: { status: "down" as const, hoursSinceSuccess: {} },
          archive: { status: "down" as const, waitingTables: 0 },
        })),
      );
    }
    const up = Object.values(info).every((check) => check.status === "up");
    const report: HealthReport = { status: up ? "ok" : "error", info };
    res.status(up ? 200 : 503).json(report);
  };
}
