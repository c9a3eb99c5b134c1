import { run } from "graphile-worker";
import pg from "pg";
import { logger } from "../observability/logger.js";
import { runJob, type JobContext, type JobName } from "./jobs.js";

/** When each job runs (UTC), as a graphile-worker crontab. */
export const CRONTAB = [
  "0 2 * * * maintenance",
  "0 3 * * * archive_export",
  "0 4 * * * audit_verify",
].join("\n");

/** How often each job must succeed; /health is down after twice this without success. */
export const JOB_INTERVAL_HOURS: Record<JobName, number> = { maintenance: 24, archive_export: 24, audit_verify: 24 };

export interface Scheduler {
  /** Stops the schedule and closes its connections. */
  stop(): Promise<void>;
}

/**
 * Starts graphile-worker with the lifecycle crontab. It keeps its queue in
 * its own schema, connects as the schema owner (the jobs create, detach and
 * drop partitions), and lets several servers share one schedule.
 *
 * The pool is ours: graphile-worker ends a pool it made without waiting and
 * after removing its error handlers, so a database stopped right after the
 * schedule (the embedded one, at shutdown) made the process crash on the
 * connections still closing.
 */
export async function startScheduler(context: JobContext): Promise<Scheduler> {
  const task = (job: JobName) => async () => {
    await runJob(job, context);
  };
  const pgPool = new pg.Pool({ connectionString: context.ownerUrl });
  // A lost connection is logged, not a crash: pg drops it, and graphile-worker reconnects.
  const logLost = (error: Error) => logger.warn({ err: error }, "scheduler: database connection lost");
  pgPool.on("error", logLost);
  pgPool.on("connect", (client) => client.on("error", logLost));
  const runner = await run({
    pgPool,
    concurrency: 1,
    noHandleSignals: true,
    pollInterval: 5_000,
    crontab: CRONTAB,
    taskList: {
      maintenance: task("maintenance"),
      archive_export: task("archive_export"),
      audit_verify: task("audit_verify"),
    },
  }).catch(async (error: unknown) => {
    await pgPool.end();
    throw error;
  });
  return {
    async stop() {
      await runner.stop();
      await pgPool.end();
    },
  };
}
