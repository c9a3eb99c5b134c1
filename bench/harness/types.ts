import type { LoadOutcome } from "../load/jobs.js";
import type { StatementProfile } from "./count-statements.js";
import type { BenchContext } from "./context.js";
import type { Fixtures } from "./fixtures.js";
import type { HttpRequestSpec } from "./requests.js";
import type { RssSample } from "./rss.js";

/** What a run is to its scenario: the thing measured, the baseline ratios refer to, or context. */
export type RunRole = "subject" | "baseline" | "reference";

export interface RunResult extends LoadOutcome {
  id: string;
  label: string;
  role: RunRole;
  tool: string;
  connections: number;
  /** RSS of the serving process over the run (absent for SQL-only runs). */
  rssMiB?: { start: number; max: number; end: number };
  /**
   * CPU time per request over the run (warm-up included, at the same load):
   * the serving process with its workers, and PostgreSQL's processes.
   */
  cpuMsPerRequest?: { server: number; postgres: number };
  /** Ratios to the scenario's baseline run: >1 throughput is faster, >1 latency is slower. */
  vsBaseline?: { baseline: string; throughput: number; p50?: number; p99?: number };
}

export type TargetStatus = "met" | "missed" | "reported" | "not run";

export interface TargetResult {
  name: string;
  requirement: string;
  measured: string;
  status: TargetStatus;
}

/** What a scenario's run() hands back. */
export interface ScenarioOutcome {
  runs: RunResult[];
  /** Id of the run that ratios refer to. */
  baseline?: string;
  targets?: TargetResult[];
  notes?: string[];
  rssSeries?: RssSample[];
}

/** One benchmark scenario: a module in bench/scenarios/ named NN-<id>.ts exporting it as default. */
export interface Scenario {
  id: string;
  title: string;
  /** What is measured and against what, for the report. */
  description: string;
  /** Why it cannot run yet; the runner reports it as a placeholder instead of running it. */
  pending?: string;
  /** Skipped by --quick. */
  fullOnly?: boolean;
  /** Targets this scenario reports, so a skipped or pending scenario still lists them as not run. */
  targetNames?: string[];
  /** Requests whose SQL statements the runner counts (on a separate, proxied instance) before any load. */
  countStatementsOf?(fixtures: Fixtures): Record<string, HttpRequestSpec>;
  run(ctx: BenchContext): Promise<ScenarioOutcome>;
}

export interface ScenarioResult {
  id: string;
  title: string;
  description: string;
  status: "ran" | "pending" | "skipped" | "failed";
  reason?: string;
  runs: RunResult[];
  baseline?: string;
  targets: TargetResult[];
  notes: string[];
  statementProfiles?: Record<string, StatementProfile>;
  rssSeries?: RssSample[];
  seconds?: number;
}
