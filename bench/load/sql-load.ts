import pg from "pg";
import { allInSendingOrder } from "../../src/db/request-transaction.js";
import type { LoadOutcome, SqlLoadJob } from "./jobs.js";

function percentile(sorted: Float64Array, p: number): number {
  if (sorted.length === 0) return 0;
  return sorted[Math.min(sorted.length - 1, Math.floor((p / 100) * sorted.length))]!;
}

interface LoopTally {
  latencies: number[];
  errors: number;
  firstError?: string;
}

/**
 * Runs the job's transaction back to back on one connection until `until`,
 * its statements sent without waiting for answers (the client pipelines), as auth-db does.
 */
async function loop(client: pg.Client, job: SqlLoadJob, until: number, tally: LoopTally): Promise<void> {
  while (performance.now() < until) {
    const started = performance.now();
    try {
      await allInSendingOrder(
        job.statements.map((statement) => client.query({ text: statement.text, values: statement.values, name: statement.name })),
      );
      tally.latencies.push(performance.now() - started);
    } catch (error) {
      tally.errors++;
      tally.firstError ??= (error as Error).message;
      await client.query("rollback").catch(() => undefined);
    }
  }
}

/**
 * The database alone: `concurrency` connections each run the same
 * transaction as the server would, with nothing in front of PostgreSQL but
 * node-postgres.
 */
export async function runSqlLoad(job: SqlLoadJob): Promise<LoadOutcome> {
  const clients = await Promise.all(
    Array.from({ length: job.concurrency }, async () => {
      const client = new pg.Client({ connectionString: job.connectionString, pipeline: true });
      await client.connect();
      return client;
    }),
  );
  try {
    const run = async (seconds: number) => {
      const tally: LoopTally = { latencies: [], errors: 0 };
      const started = performance.now();
      const until = started + seconds * 1000;
      await Promise.all(clients.map((client) => loop(client, job, until, tally)));
      return { tally, elapsed: (performance.now() - started) / 1000 };
    };
    if (job.warmupSeconds > 0) await run(job.warmupSeconds);
    const { tally, elapsed } = await run(job.durationSeconds);
    const sorted = Float64Array.from(tally.latencies).sort();
    const total = sorted.reduce((sum, value) => sum + value, 0);
    return {
      requests: sorted.length,
      durationSeconds: elapsed,
      throughput: sorted.length / elapsed,
      latencyMs: {
        p50: percentile(sorted, 50),
        p99: percentile(sorted, 99),
        mean: sorted.length ? total / sorted.length : 0,
        max: sorted.length ? sorted[sorted.length - 1]! : 0,
      },
      errors: tally.errors,
      timeouts: 0,
      non2xx: 0,
      mismatches: 0,
      firstError: tally.firstError,
    };
  } finally {
    await Promise.all(clients.map((client) => client.end().catch(() => undefined)));
  }
}
