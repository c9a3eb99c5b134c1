import { run, type Runner } from "graphile-worker";
import { runJob, type JobContext, type JobName } from "./jobs.js";

/** When each job runs (UTC), as a graphile-worker crontab. */
export const CRONTAB = [
  "0 2 * * * maintenance",
  "0 3 * * * archive_export",
  "0 4 * * * audit_verify",
].join("\n");

/** How often each job must succeed; /health is down after twice this without success. */
export const JOB_INTERVAL_HOURS: Record<JobName, number> = { maintenance: 24, archive_export: 24, audit_verify: 24 };

/**
 * Starts graphile-worker with the lifecycle crontab. It keeps its queue in
 * its own schema, connects as the schema owner (the jobs create, detach and
 * drop partitions), and lets several servers share one schedule.
 */
export async function startScheduler(context: JobContext): Promise<Runner> {
  const task = (job: JobName) => async () => {
    await runJob(job, context);
  };
  return run({
    connectionString: context.ownerUrl,
    concurrency: 1,
    noHandleSignals: true,
    pollInterval: 5_000,
    crontab: CRONTAB,
    taskList: {
      maintenance: task("maintenance"),
      archive_export: task("archive_export"),
      audit_verify: task("audit_verify"),
    },
  });
}
