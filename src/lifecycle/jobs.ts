import type pg from "pg";
import { withClient } from "../db/client.js";
import { exportArchive, type ArchiveRun } from "./archive-export.js";
import type { ArchiveTarget } from "./archive-target.js";
import { logger } from "../observability/logger.js";
import { jobRuns } from "../observability/metrics.js";

export type JobName = "maintenance" | "archive_export" | "audit_verify";

/** The scheduled jobs: what each does, with the schema owner's connection. */
export interface JobContext {
  ownerUrl: string;
  archiveTarget: ArchiveTarget;
}

export interface MaintenanceAction {
  table_name: string;
  action: string;
  partition: string | null;
  detail: string;
}

/** What each job reports when it succeeds (recorded in auth.job_runs). */
export interface JobResults {
  maintenance: { actions: MaintenanceAction[] };
  archive_export: ArchiveRun;
  audit_verify: { checkedRows: number; head: string };
}

const JOBS: { [J in JobName]: (client: pg.Client, context: JobContext) => Promise<JobResults[J]> } = {
  async maintenance(client) {
    const { rows } = await client.query<MaintenanceAction>("select * from auth.run_partition_maintenance(now(), false)");
    return { actions: rows };
  },
  archive_export: (client, context) => exportArchive(client, context.archiveTarget),
  async audit_verify(client) {
    const { rows } = await client.query("select * from auth.verify_audit_chain()");
    const result = rows[0];
    if (!result.intact) {
      throw Object.assign(new Error(`audit chain broken at seq ${result.first_broken_seq}: ${result.reason}`), { detail: result });
    }
    return { checkedRows: Number(result.checked_rows), head: `${result.head_seq}:${result.head_hash}` };
  },
};

/**
 * Runs one job and records its outcome in auth.job_runs (which /health
 * reads) and in the log. A failed job is recorded and then rethrown, so
 * the scheduler can retry it.
 */
export async function runJob<J extends JobName>(job: J, context: JobContext): Promise<JobResults[J]> {
  const startedAt = new Date();
  return withClient(context.ownerUrl, async (client) => {
    try {
      const detail = (await JOBS[job](client, context)) as JobResults[J];
      await client.query("select auth.record_job_run($1, $2, true, $3)", [job, startedAt, detail]);
      jobRuns.inc({ job, outcome: "success" });
      logger.info({ job, durationMs: Date.now() - startedAt.getTime() }, `job ${job} succeeded`);
      return detail;
    } catch (error) {
      const message = error instanceof Error ? error.message : String(error);
      await client
        .query("select auth.record_job_run($1, $2, false, $3)", [job, startedAt, { error: message }])
        .catch(() => undefined);
      jobRuns.inc({ job, outcome: "failure" });
      logger.error({ job, err: error }, `job ${job} failed`);
      throw error;
    }
  });
}
