import { runHttpLoad } from "./http-load.js";
import type { LoadJob, LoadOutcome, WorkerReply, WorkerRequest } from "./jobs.js";
import { runSqlLoad } from "./sql-load.js";

/*
 * The load generator's own process, forked by the runner: it must not share
 * an event loop (or a core's time slices, as far as the OS lets us) with the
 * server it measures. It runs one job at a time and answers over IPC.
 */

function run(job: LoadJob): Promise<LoadOutcome> {
  return job.kind === "http" ? runHttpLoad(job) : runSqlLoad(job);
}

process.on("message", (message: WorkerRequest) => {
  run(message.job).then(
    (outcome) => process.send!({ id: message.id, outcome } satisfies WorkerReply),
    (error: unknown) => process.send!({ id: message.id, error: String((error as Error)?.stack ?? error) } satisfies WorkerReply),
  );
});

process.on("disconnect", () => process.exit(0));
