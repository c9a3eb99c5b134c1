import type { RunResult, TargetResult } from "./types.js";

export const times = (ratio: number) => `${ratio.toFixed(2)}×`;

/** Every way a request can fail to produce the right answer. */
export function failures(run: RunResult): number {
  return run.errors + run.non2xx + run.mismatches;
}

/** An absolute figure against its floor, e.g. rows per second. */
export function valueAtLeast(name: string, requirement: string, value: number, minimum: number, measured: string): TargetResult {
  return { name, requirement, measured, status: value >= minimum ? "met" : "missed" };
}

export function ratioAtLeast(name: string, requirement: string, ratio: number, minimum: number, detail: string): TargetResult {
  return { name, requirement, measured: `${times(ratio)} (${detail})`, status: ratio >= minimum ? "met" : "missed" };
}

export function ratioAtMost(name: string, requirement: string, ratio: number, maximum: number, detail: string): TargetResult {
  return { name, requirement, measured: `${times(ratio)} (${detail})`, status: ratio <= maximum ? "met" : "missed" };
}

export function noFailures(name: string, runs: RunResult[]): TargetResult {
  const total = runs.reduce((sum, run) => sum + failures(run), 0);
  const requests = runs.reduce((sum, run) => sum + run.requests, 0);
  const detail = runs
    .map((run) => `${run.label}: ${run.errors} errors, ${run.non2xx} non-2xx, ${run.mismatches} wrong bodies`)
    .join("; ");
  return {
    name,
    requirement: "0 errors, 0 non-2xx, 0 wrong answers",
    measured: `${total} of ${requests} requests (${detail})`,
    status: total === 0 ? "met" : "missed",
  };
}

/** A figure the issue asks to see, without a threshold. */
export function reported(name: string, requirement: string, measured: string): TargetResult {
  return { name, requirement, measured, status: "reported" };
}

export function notRun(name: string, why: string): TargetResult {
  return { name, requirement: "", measured: why, status: "not run" };
}

/**
 * Fills in each run's ratios to the baseline run. Latency ratios only
 * between runs at the same concurrency: 64 HTTP connections against 10
 * database connections compares queueing, not speed.
 */
export function withRatios(runs: RunResult[], baselineId: string | undefined): RunResult[] {
  const baseline = runs.find((run) => run.id === baselineId);
  if (!baseline) return runs;
  return runs.map((run) =>
    run === baseline
      ? run
      : {
          ...run,
          vsBaseline: {
            baseline: baseline.label,
            throughput: run.throughput / baseline.throughput,
            p50: run.connections === baseline.connections ? run.latencyMs.p50 / baseline.latencyMs.p50 : undefined,
            p99: run.connections === baseline.connections ? run.latencyMs.p99 / baseline.latencyMs.p99 : undefined,
          },
        },
  );
}
