import { productionProcesses } from "../../src/config/config.js";
import type { SqlStatement } from "../load/jobs.js";
import type { BenchContext, HttpRunSpec } from "./context.js";
import { alternatingRuns, roundsFor, runsEach, type Pooled } from "./alternating-runs.js";
import { probe, jsonRequest, type HttpRequestSpec } from "./requests.js";
import { asCaller, asCallerPgbenchScript, callerSettings } from "./sql-transactions.js";
import { noFailures, notRun, ratioAtLeast, ratioAtMost, reported, times } from "./targets.js";
import type { RunResult, ScenarioOutcome } from "./types.js";

export interface PermissionCheckSpec {
  /** Name used in target names, e.g. "hasPermission". */
  what: string;
  graphql: HttpRequestSpec;
  /** The baseline servers' endpoint and JSON body for the same question. */
  baselinePath: string;
  baselineBody: unknown;
  /** The permission call alone, for the SQL loop. */
  sql: SqlStatement;
  /** The same call for pgbench, with :variables. */
  pgbench: { statement: string; variables: Record<string, string> };
}

/** The CPU split of both sides, for the report: on two shared cores, throughput follows the total CPU a request costs. */
function whatBoundsIt(graphql: RunResult[], handWritten: RunResult[]): string {
  const perRequest = (runs: RunResult[], part: "server" | "postgres") => runs.map((run) => run.cpuMsPerRequest?.[part] ?? 0);
  const mean = (runs: RunResult[], part: "server" | "postgres") =>
    perRequest(runs, part).reduce((sum, value) => sum + value, 0) / runs.length;
  const ms = (value: number) => `${value.toFixed(2)} ms`;
  const range = (runs: RunResult[], part: "server" | "postgres") => {
    const values = perRequest(runs, part);
    return `${Math.min(...values).toFixed(2)}–${ms(Math.max(...values))}`;
  };
  return (
    `What bounds the ratio: per request, auth-db's processes used ${ms(mean(graphql, "server"))} of CPU and the hand-written endpoint's ${ms(mean(handWritten, "server"))}; ` +
    `PostgreSQL ${ms(mean(graphql, "postgres"))} and ${ms(mean(handWritten, "postgres"))}. ` +
    (graphql.length > 1
      ? `From run to run, auth-db's processes used ${range(graphql, "server")} and PostgreSQL ${range(graphql, "postgres")} while serving it; ` +
        `the hand-written endpoint ${range(handWritten, "server")} and PostgreSQL ${range(handWritten, "postgres")}. `
      : "") +
    "Both share the machine's two cores with PostgreSQL and the load generator, " +
    "so throughput follows the CPU a request costs in all processes together. auth-db's extra Node time is the GraphQL layer: parsing the body and " +
    "coercing its variables, Grafast's execution and the output objects, and the garbage they leave. Sampling profiles (node --cpu-prof) put much of a worker's busy " +
    "time in socket writes, but strace counts four per request, each a few µs of system time: node-postgres writes the begin with the settings, the statement and " +
    "commit one after another as they are issued (two writes and a writev, sent before any answer: one round trip), and the response is one more. Writing the three " +
    "as one (a corked socket) made no measurable difference to the SQL loop's throughput. The rest of that time is the worker preempted by the processes its writes " +
    "wake on the loopback, not work of its own."
  );
}

const rps = (run: { throughput: number }) => `${run.throughput.toFixed(0)} req/s`;
const p99 = (pooled: Pooled) => `p99 ${pooled.p99.toFixed(1)} ms`;

/**
 * auth-db against the hand-written endpoint served in its own shape, and
 * that endpoint's two shapes against each other: how much of the tail the
 * process shape brings. Full mode only, for quick mode's two minutes.
 */
function sameShapeFindings(name: string, graphql: Pooled, handWritten: Pooled, inAuthDbsShape: Pooled | undefined, workers: number) {
  if (!inAuthDbsShape) return { target: notRun(name, "full mode only"), notes: [] };
  const ms = (value: number) => `${value.toFixed(1)} ms`;
  const target = reported(
    name,
    `reported, no threshold: against the hand-written endpoint in ${workers} cluster workers, as auth-db's npm start serves`,
    `req/s ${times(graphql.throughput / inAuthDbsShape.throughput)} (${rps(graphql)} vs ${rps(inAuthDbsShape)}), ` +
      `p99 ${times(graphql.p99 / inAuthDbsShape.p99)} (${p99(graphql)} vs ${p99(inAuthDbsShape)}); ` +
      `the hand-written endpoint in ${workers} workers against one process: req/s ${times(inAuthDbsShape.throughput / handWritten.throughput)}, ` +
      `p99 ${times(inAuthDbsShape.p99 / handWritten.p99)}`,
  );
  const tail =
    `What bounds the p99: served from ${workers} workers as auth-db is, the hand-written endpoint's own p99 was ` +
    `${times(inAuthDbsShape.p99 / handWritten.p99)} its p99 from one process (${ms(inAuthDbsShape.p99)} against ${ms(handWritten.p99)}), ` +
    `at a p50 of ${ms(inAuthDbsShape.p50)} against ${ms(handWritten.p50)} (means of the runs'). auth-db's p99 was ` +
    `${times(graphql.p99 / inAuthDbsShape.p99)} the hand-written endpoint's in that same shape. A likely reason: each worker keeps the connections ` +
    "it was handed for as long as they stay open, so while one worker gets less of the two cores than the other (they share them with PostgreSQL " +
    "and the load generator), the requests on its connections wait longer, where one process would have served them in turn.";
  return { target, notes: [tail] };
}

export function permissionTargetNames(what: string): string[] {
  return [
    `${what}: GraphQL throughput ≥ 0.8× hand-written`,
    `${what}: GraphQL p99 ≤ 1.5× hand-written`,
    `${what}: no errors at 64 connections`,
    `${what}: GraphQL as a fraction of the SQL alone`,
    `${what}: against hand-written served as auth-db is`,
  ];
}

/**
 * One question asked five ways on the same data: auth-db's GraphQL, the
 * hand-written express + pg endpoint (the baseline), casbin in process,
 * and the SQL alone (node-postgres loop, and pgbench when installed).
 */
export async function comparePermissionChecks(ctx: BenchContext, spec: PermissionCheckSpec): Promise<ScenarioOutcome> {
  const { fixtures, options, database } = ctx;
  const token = fixtures.reader.token;
  const connections = options.checkConnections;
  const answer = (await probe(ctx.authDb.url, spec.graphql)).body;
  const baselineRequest = jsonRequest(token, spec.baselinePath, spec.baselineBody);
  const settings = callerSettings(fixtures.reader, database.roles.user);

  const expressPg = await ctx.expressPg();
  const workers = productionProcesses();
  const inAuthDbsShape: HttpRunSpec[] =
    options.mode === "full"
      ? [{
          id: "express-pg-workers", label: `hand-written express + pg, ${workers} workers`, role: "reference",
          target: await ctx.expressPgInAuthDbsShape(), request: baselineRequest, connections, sameAnswerAs: answer,
        }]
      : [];
  const compared = await alternatingRuns(
    ctx,
    roundsFor(ctx),
    { id: "graphql", label: "auth-db GraphQL", role: "subject", target: ctx.authDb, request: spec.graphql, connections },
    { id: "express-pg", label: "hand-written express + pg", role: "baseline", target: expressPg, request: baselineRequest, connections, sameAnswerAs: answer },
    ...inAuthDbsShape,
  );
  const graphql = compared.subject;
  const handWritten = compared.baseline;
  const casbin = await ctx.httpRun({
    id: "casbin", label: "express + casbin (in process)", role: "reference",
    target: await ctx.casbin(), request: baselineRequest, connections, sameAnswerAs: answer,
  });
  const sqlLoop = await ctx.sqlRun({
    id: "sql-loop", label: "SQL alone (node-postgres loop)", role: "reference",
    connectionString: database.authenticatorUrl, statements: asCaller(settings, spec.sql), concurrency: options.sqlConcurrency,
  });
  const pgbench = await ctx.pgbenchRun({
    id: "pgbench", label: "SQL alone (pgbench)", role: "reference",
    connectionString: database.authenticatorUrl, script: asCallerPgbenchScript(spec.pgbench.statement),
    variables: { settings: JSON.stringify(Object.entries(settings)), ...spec.pgbench.variables }, clients: options.sqlConcurrency,
  });
  const runs: RunResult[] = [...compared.inOrder, casbin, sqlLoop, ...(pgbench ? [pgbench] : [])];

  const [throughputName, p99Name, errorsName, fractionName, sameShapeName] = permissionTargetNames(spec.what);
  const sameShape = sameShapeFindings(sameShapeName!, graphql, handWritten, compared.references[0], workers);
  const fractionOf = (ceiling: RunResult) => `${times(graphql.throughput / ceiling.throughput)} of ${ceiling.label} (${rps(ceiling)})`;
  return {
    runs,
    baseline: compared.baselineId,
    targets: [
      ratioAtLeast(throughputName!, "≥ 0.80× the hand-written endpoint's req/s", graphql.throughput / handWritten.throughput, 0.8, `${rps(graphql)} vs ${rps(handWritten)}, over ${runsEach(graphql)}`),
      ratioAtMost(p99Name!, "≤ 1.50× the hand-written endpoint's p99", graphql.p99 / handWritten.p99, 1.5, `${p99(graphql)} vs ${p99(handWritten)}, mean of the runs' p99s`),
      noFailures(errorsName!, graphql.runs),
      reported(fractionName!, "reported, no threshold", [sqlLoop, ...(pgbench ? [pgbench] : [])].map(fractionOf).join("; ")),
      sameShape.target,
    ],
    notes: [whatBoundsIt(graphql.runs, handWritten.runs), ...sameShape.notes],
  };
}
