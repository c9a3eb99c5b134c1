import type { BenchContext } from "./context.js";
import { log } from "./log.js";
import type { BenchOptions } from "./options.js";
import type { StatementProfiles } from "./statement-profiling.js";
import { notRun, withRatios } from "./targets.js";
import type { Scenario, ScenarioResult } from "./types.js";

/** Whether a scenario runs in this mode, and if not, why. */
export function skipReason(scenario: Scenario, options: BenchOptions): { status: "pending" | "skipped"; reason: string } | undefined {
  if (scenario.pending) return { status: "pending", reason: scenario.pending };
  if (options.only && !options.only.includes(scenario.id)) return { status: "skipped", reason: "not selected with --only" };
  if (scenario.fullOnly && options.mode === "quick") return { status: "skipped", reason: "full mode only (`npm run bench`)" };
  return undefined;
}

/**
 * Runs each scenario in turn. A failing scenario is reported as failed and
 * the others still run: one broken measurement should not cost the rest.
 */
export async function runScenarios(
  scenarios: Scenario[],
  context: Omit<BenchContext, "statementProfiles">,
  profiles: StatementProfiles,
): Promise<ScenarioResult[]> {
  const results: ScenarioResult[] = [];
  for (const scenario of scenarios) {
    const base = { id: scenario.id, title: scenario.title, description: scenario.description, runs: [], notes: [] };
    const skip = skipReason(scenario, context.options);
    if (skip) {
      results.push({ ...base, ...skip, targets: (scenario.targetNames ?? []).map((name) => notRun(name, skip.reason)) });
      continue;
    }
    log(`scenario ${scenario.id}`);
    const started = performance.now();
    const statementProfiles = profiles[scenario.id] ?? {};
    try {
      await context.settle();
      const outcome = await scenario.run({ ...context, statementProfiles });
      results.push({
        ...base,
        status: "ran",
        runs: withRatios(outcome.runs, outcome.baseline),
        baseline: outcome.baseline,
        targets: outcome.targets ?? [],
        notes: outcome.notes ?? [],
        statementProfiles: Object.keys(statementProfiles).length ? statementProfiles : undefined,
        rssSeries: outcome.rssSeries,
        seconds: (performance.now() - started) / 1000,
      });
    } catch (error) {
      const reason = (error as Error).message;
      log(`scenario ${scenario.id} failed: ${reason}`);
      results.push({ ...base, status: "failed", reason, targets: (scenario.targetNames ?? []).map((name) => notRun(name, "scenario failed")) });
    }
  }
  return results;
}
