import { writeFile } from "node:fs/promises";
import path from "node:path";
import type { MachineDescription } from "./machine.js";
import { methodology } from "./methodology.js";
import type { BenchOptions } from "./options.js";
import { benchDir } from "./paths.js";
import { describeProfile } from "./statement-notes.js";
import type { RunResult, ScenarioResult, TargetResult } from "./types.js";

export interface BenchReport {
  generatedAt: string;
  mode: BenchOptions["mode"];
  totalSeconds: number;
  options: BenchOptions;
  machine: MachineDescription;
  scenarios: ScenarioResult[];
}

const fixed = (value: number, digits = 1) => (Number.isFinite(value) ? value.toFixed(digits) : "–");
const ms = (value: number) => fixed(value, value < 10 ? 2 : 1);
const ratio = (value: number | undefined) => (value === undefined || !Number.isFinite(value) ? "" : `${value.toFixed(2)}×`);
const cell = (text: string) => text.replace(/\|/g, "\\|").replace(/\n/g, " ");

function duration(seconds: number): string {
  const minutes = Math.floor(seconds / 60);
  return minutes > 0 ? `${minutes} min ${Math.round(seconds % 60)} s` : `${fixed(seconds)} s`;
}

function runRow(run: RunResult, baseline: string | undefined): string {
  const role = run.id === baseline ? " **(baseline)**" : run.role === "subject" ? " **(subject)**" : "";
  const rss = run.rssMiB ? `${fixed(run.rssMiB.max)}` : "–";
  const cpu = run.cpuMsPerRequest ? `${fixed(run.cpuMsPerRequest.server, 2)} / ${fixed(run.cpuMsPerRequest.postgres, 2)}` : "–";
  return `| ${cell(run.label)}${role} | ${run.tool} | ${run.connections} | ${fixed(run.throughput, 0)} | ${ms(run.latencyMs.p50)} | ${ms(run.latencyMs.p99)} | ${run.errors} / ${run.non2xx} / ${run.mismatches} | ${rss} | ${cpu} | ${ratio(run.vsBaseline?.throughput)} | ${ratio(run.vsBaseline?.p99)} |`;
}

function targetsTable(rows: Array<TargetResult & { scenario: string }>): string[] {
  const mark: Record<TargetResult["status"], string> = { met: "met", missed: "**missed**", reported: "reported", "not run": "not run" };
  return [
    "| target | requirement | measured | status |",
    "|---|---|---|---|",
    ...rows.map((t) => `| ${cell(t.name)} | ${cell(t.requirement)} | ${cell(t.measured)} | ${mark[t.status]} |`),
  ];
}

function scenarioSection(scenario: ScenarioResult, index: number): string[] {
  const lines = [`### ${index}. ${scenario.title}`, "", scenario.description, ""];
  if (scenario.status !== "ran") {
    lines.push(`**${scenario.status === "failed" ? "Failed" : "Not run"}:** ${scenario.reason ?? ""}`, "");
  }
  if (scenario.runs.length > 0) {
    lines.push(
      "| run | load | conn. | req/s | p50 ms | p99 ms | errors / non-2xx / wrong body | server RSS max MiB | CPU ms per request: server / PostgreSQL | req/s vs baseline | p99 vs baseline |",
      "|---|---|---|---|---|---|---|---|---|---|---|",
      ...scenario.runs.map((run) => runRow(run, scenario.baseline)),
      "",
    );
  }
  for (const [key, profile] of Object.entries(scenario.statementProfiles ?? {})) {
    lines.push(
      `SQL statements per request (${key}): ${describeProfile(profile)}.`,
      "",
      "<details><summary>the statements, as sent</summary>",
      "",
      "```sql",
      ...profile.statements.map((text) => `${text.replace(/\s+/g, " ").trim().replace(/;?$/, ";")}`),
      "```",
      "",
      "</details>",
      "",
    );
  }
  if (scenario.rssSeries?.length) {
    const every5 = scenario.rssSeries.filter((_, i) => i % 5 === 0).map((s) => `${fixed(s.t, 0)} s: ${fixed(s.mib)}`);
    lines.push(`RSS samples (MiB, every 5th): ${every5.join(", ")}.`, "");
  }
  for (const note of scenario.notes) lines.push(`- ${note}`);
  if (scenario.notes.length) lines.push("");
  return lines;
}

export function renderMarkdown(report: BenchReport): string {
  const { machine, options } = report;
  const ran = report.scenarios.filter((s) => s.status !== "pending");
  const pending = report.scenarios.filter((s) => s.status === "pending");
  const targets = report.scenarios.flatMap((s) => s.targets.map((t) => ({ ...t, scenario: s.id })));
  const lines = [
    "# auth-db benchmark results",
    "",
    `Written by \`npm run bench${options.mode === "quick" ? " -- --quick" : ""}\` (${options.mode} mode: ${options.durationSeconds} s per measured run after ${options.warmupSeconds} s of discarded warm-up) on ${report.generatedAt}; the whole run took ${duration(report.totalSeconds)}.`,
    "One run on one machine: compare figures only with runs from the same machine. Ratios are what this benchmark is for; absolute numbers depend on the box.",
    options.mode === "quick" ? "\n**Quick mode:** runs are short, so figures are noisy and the 60-second memory run is skipped. Use `npm run bench` for figures to quote." : "",
    "",
    "## Machine",
    "",
    "| | |",
    "|---|---|",
    `| CPU | ${machine.cpus} × ${machine.cpuModel} |`,
    `| memory | ${fixed(machine.memoryGiB)} GiB |`,
    `| OS | ${machine.os} |`,
    `| Node | ${machine.node} (server, baselines, load generator) |`,
    `| PostgreSQL | ${machine.postgres} (embedded, default settings) |`,
    `| load generator | autocannon ${machine.autocannon}, in its own process |`,
    `| pgbench | ${machine.pgbench ?? "not installed: SQL-alone figures come from the node-postgres loop only"} |`,
    `| casbin | ${machine.casbin} |`,
    `| load average at start | ${machine.loadAverageAtStart.map((n) => n.toFixed(2)).join(", ")} |`,
    "",
    "## Targets",
    "",
    "Reported, never asserted: the bench does not fail on a missed target.",
    "",
    ...targetsTable(targets),
    "",
    "## Scenarios",
    "",
    "Columns: req/s is completed requests (or transactions) per second over the measured run; latencies are per request as the load generator saw them; *errors* are connection errors and timeouts, *wrong body* a 200 whose body differed from the answer checked before the run; server RSS is the resident memory of the serving process and its cluster workers, summed, sampled every second; CPU per request is the user and system time the serving process (with its cluster workers) and all of PostgreSQL's processes used over the run, warm-up included, divided by the requests the run's rate implies, so the split says where a request's cost lies; ratios are to the scenario's baseline (req/s > 1× is faster, p99 > 1× is slower; latency ratios only between runs with the same number of connections).",
    "",
    ...ran.flatMap((scenario, i) => scenarioSection(scenario, i + 1)),
    "## Not yet measured",
    "",
    ...(pending.length
      ? pending.map((s) => `- **${s.title}** (\`bench/scenarios/*-${s.id}.ts\`): ${s.description} *Pending:* ${s.reason}`)
      : ["Nothing: every scenario in bench/scenarios/ ran (a scenario whose feature does not exist yet sets `pending` and is listed here)."]),
    "",
    "## How it is measured",
    "",
    ...methodology(options).map((item) => `- ${item}`),
    "",
  ];
  return lines.join("\n");
}

export async function writeReport(report: BenchReport): Promise<{ markdown: string; json: string }> {
  const markdown = path.join(benchDir, "RESULTS.md");
  const json = path.join(benchDir, "results.json");
  await writeFile(markdown, renderMarkdown(report));
  await writeFile(json, `${JSON.stringify(report, null, 2)}\n`);
  return { markdown, json };
}
