import autocannon from "autocannon";
import type { HttpLoadJob, LoadOutcome } from "./jobs.js";

function fire(job: HttpLoadJob, durationSeconds: number): Promise<autocannon.Result> {
  return autocannon({
    url: job.url,
    method: job.method,
    headers: job.headers,
    body: job.body,
    connections: job.connections,
    duration: durationSeconds,
    expectBody: job.expectBody,
  });
}

/** Drives an HTTP endpoint with autocannon: a discarded warm-up, then the measured run. */
export async function runHttpLoad(job: HttpLoadJob): Promise<LoadOutcome> {
  // Warm-up: JIT, the server's pool, the JWKS cache and the user-sync cache.
  if (job.warmupSeconds > 0) await fire(job, job.warmupSeconds);
  const result = await fire(job, job.durationSeconds);
  const requests = result.requests.total;
  return {
    requests,
    durationSeconds: result.duration,
    throughput: requests / result.duration,
    latencyMs: {
      p50: result.latency.p50,
      p99: result.latency.p99,
      mean: result.latency.mean,
      max: result.latency.max,
    },
    errors: result.errors,
    timeouts: result.timeouts,
    non2xx: result.non2xx,
    mismatches: result.mismatches,
  };
}
