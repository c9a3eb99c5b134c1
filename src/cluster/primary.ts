import type { Config } from "../config/config.js";
import { warnAboutConnectionBudget } from "../db/connection-budget.js";
import { provisionDatabase } from "../db/provision.js";
import { jobContextFor } from "../lifecycle/context.js";
import { startScheduler } from "../lifecycle/scheduler.js";
import { WorkerSupervisor } from "./supervisor.js";

export interface RunningCluster {
  /** Where the workers serve (they share one port). */
  url: string;
  /** Drains and stops the workers, then the schedule, then the embedded database. */
  stop(): Promise<void>;
  /** Where the embedded PostgreSQL keeps its data (and binaries, when copied). */
  embeddedWhere?: string;
}

/**
 * The primary of `npm start` with WEB_CONCURRENCY > 1. It does what must
 * happen once: starts the embedded PostgreSQL if configured, creates roles,
 * migrates, and runs the lifecycle schedule (so exactly one scheduler runs,
 * whatever becomes of the workers). Then it forks the workers, which serve
 * HTTP on the shared port and skip all of that.
 */
export async function startClusterPrimary(config: Config, workers: number): Promise<RunningCluster> {
  const provisioned = await provisionDatabase(config.database);
  let scheduler: Awaited<ReturnType<typeof startScheduler>> | undefined;
  const supervisor = new WorkerSupervisor(workers);
  let url: string;
  try {
    await warnAboutConnectionBudget(config.database, workers);
    if (config.lifecycle.schedulerInServer) scheduler = await startScheduler(jobContextFor(config));
    url = await supervisor.start();
  } catch (error) {
    await supervisor.stop();
    await scheduler?.stop();
    await provisioned.close();
    throw error;
  }
  return {
    url,
    embeddedWhere: provisioned.embedded?.where,
    async stop() {
      await supervisor.stop();
      await scheduler?.stop();
      await provisioned.close();
    },
  };
}
