import type { BenchContext, HttpRunSpec, SqlRunSpec } from "./context.js";
import type { RunResult } from "./types.js";

/** Runs of one server, pooled: requests over seconds, and the means of the runs' p50s and p99s. */
export interface Pooled {
  runs: RunResult[];
  throughput: number;
  p50: number;
  p99: number;
}

function pool(runs: RunResult[]): Pooled {
  const requests = runs.reduce((sum, run) => sum + run.requests, 0);
  const seconds = runs.reduce((sum, run) => sum + run.requests / run.throughput, 0);
  const meanOf = (latency: (run: RunResult) => number) => runs.reduce((sum, run) => sum + latency(run), 0) / runs.length;
  return {
    runs,
    throughput: requests / seconds,
    p50: meanOf((run) => run.latencyMs.p50),
    p99: meanOf((run) => run.latencyMs.p99),
  };
}

/** One side of an alternation: load through HTTP on a server, or statements in a node-postgres loop. */
export type AlternatingSpec = HttpRunSpec | SqlRunSpec;

function runOnce(ctx: BenchContext, spec: AlternatingSpec): Promise<RunResult> {
  return "target" in spec ? ctx.httpRun(spec) : ctx.sqlRun(spec);
}

/**
 * Measures a subject, its baseline and any other references in alternating
 * rounds, the order reversed every round (subject, baseline, reference;
 * reference, baseline, subject; …), so whatever drifts during the bench
 * (the other processes, the database's background work) falls on all alike
 * and no side always runs first after the previous scenario; each side's
 * runs are pooled. The first baseline run is the one the report's per-run
 * ratios refer to. Run ids and labels get the round's number.
 */
export async function alternatingRuns(
  ctx: BenchContext,
  rounds: number,
  subject: AlternatingSpec,
  baseline: AlternatingSpec,
  ...references: AlternatingSpec[]
): Promise<{ subject: Pooled; baseline: Pooled; references: Pooled[]; inOrder: RunResult[]; baselineId: string }> {
  const numbered = (spec: AlternatingSpec, round: number): AlternatingSpec =>
    rounds === 1 ? spec : { ...spec, id: `${spec.id}-${round}`, label: `${spec.label} (${round})`, role: round === 1 ? spec.role : "reference" };
  const inOrder: RunResult[] = [];
  const sides = [subject, baseline, ...references].map((spec) => ({ spec, runs: [] as RunResult[] }));
  for (let round = 1; round <= rounds; round++) {
    for (const side of round % 2 === 1 ? sides : [...sides].reverse()) {
      side.runs.push(await runOnce(ctx, numbered(side.spec, round)));
      inOrder.push(side.runs.at(-1)!);
    }
  }
  const [subjects, baselines, ...others] = sides.map((side) => pool(side.runs));
  return { subject: subjects!, baseline: baselines!, references: others, inOrder, baselineId: sides[1]!.runs[0]!.id };
}

/** How many runs a side's pooled figures stand for, as the report says it: "5 alternating runs each" or "one run each". */
export function runsEach(pooled: Pooled): string {
  return pooled.runs.length > 1 ? `${pooled.runs.length} alternating runs each` : "one run each";
}

/**
 * Rounds of runs per comparison: five in full mode, one in quick mode. On a
 * shared two-core machine one run of a server can read half of its next, so
 * fewer rounds left a ratio's side of its target to chance.
 */
export function roundsFor(ctx: BenchContext): number {
  return ctx.options.mode === "full" ? 5 : 1;
}
