import type pg from "pg";
import type { DatabaseConfig } from "../../src/config/config.js";
import type { TestDatabase } from "../../test/helpers/database.js";
import type { SqlStatement } from "../load/jobs.js";
import type { StatementProfile } from "./count-statements.js";
import type { Fixtures } from "./fixtures.js";
import type { LoadWorker } from "./load-worker.js";
import type { BenchOptions } from "./options.js";
import { runPgbench } from "./pgbench.js";
import { probe, type HttpRequestSpec } from "./requests.js";
import { sampleCpu } from "./cpu.js";
import { sampleRss, type RssSample } from "./rss.js";
import type { HttpTarget } from "./servers.js";
import type { RunResult, RunRole } from "./types.js";

interface RunLabel {
  id: string;
  label: string;
  role: RunRole;
}

export interface HttpRunSpec extends RunLabel {
  target: HttpTarget;
  request: HttpRequestSpec;
  connections: number;
  durationSeconds?: number;
  warmupSeconds?: number;
  /** The body the target must answer with (e.g. what auth-db answered), so baselines answer the same question. */
  sameAnswerAs?: string;
  /** Filled with the serving process's RSS samples. */
  rssSeries?: RssSample[];
}

export interface SqlRunSpec extends RunLabel {
  connectionString: string;
  statements: SqlStatement[];
  concurrency: number;
}

export interface PgbenchRunSpec extends RunLabel {
  connectionString: string;
  script: string;
  variables: Record<string, string>;
  clients: number;
}

/** What a scenario gets to work with. */
export interface BenchContext {
  options: BenchOptions;
  fixtures: Fixtures;
  /** The benchmark database, for scenarios that change its data (as the owner, bypassing RLS). */
  db: TestDatabase;
  database: DatabaseConfig;
  /** auth-db under test, in its own process. */
  authDb: HttpTarget;
  /** Baseline servers, each started on first use in its own process. */
  expressPg(): Promise<HttpTarget>;
  /** The same hand-written endpoint served as auth-db is: a cluster primary and one worker per CPU. */
  expressPgInAuthDbsShape(): Promise<HttpTarget>;
  casbin(): Promise<HttpTarget>;
  /**
   * Another auth-db, started now and stopped by the caller (or with the
   * bench): for comparisons that need servers with the same history. It
   * serves `db` when given (one from createDatabase), else the benchmark
   * database.
   */
  startAuthDb(name: string, db?: TestDatabase): Promise<HttpTarget>;
  /**
   * A database of its own in the bench's PostgreSQL, with auth-db's schema
   * and none of the benchmark's data: for comparing states of the data that
   * one database cannot hold at once. Dropped by the caller (or with the bench).
   */
  createDatabase(): Promise<TestDatabase>;
  /** auth-db reading token claims without verifying them, started now and stopped by the caller (or with the bench). */
  startAuthDbTrustingTokens(): Promise<HttpTarget>;
  /** pgbench --version, when pgbench is on PATH. */
  pgbenchVersion?: string;
  /** Scratch space in the bench's temporary directory, removed with it. */
  workDir: string;
  /** What the runner counted for this scenario's countStatementsOf requests. */
  statementProfiles: Record<string, StatementProfile>;
  httpRun(spec: HttpRunSpec): Promise<RunResult>;
  sqlRun(spec: SqlRunSpec): Promise<RunResult>;
  /** Undefined when pgbench is not installed. */
  pgbenchRun(spec: PgbenchRunSpec): Promise<RunResult | undefined>;
  /**
   * A CHECKPOINT, then a wait (at most two minutes) until no autovacuum
   * worker is busy, so the next measurement does not pay for the writes of
   * whatever came before it (bulk loads, an earlier write-heavy run).
   */
  settle(): Promise<void>;
  log(message: string): void;
}

export interface ContextParts {
  options: BenchOptions;
  fixtures: Fixtures;
  db: TestDatabase;
  database: DatabaseConfig;
  authDb: HttpTarget;
  startExpressPg(): Promise<HttpTarget>;
  startExpressPgInAuthDbsShape(): Promise<HttpTarget>;
  startCasbin(): Promise<HttpTarget>;
  startAuthDb(name: string, db?: TestDatabase): Promise<HttpTarget>;
  createDatabase(): Promise<TestDatabase>;
  startAuthDbTrustingTokens(): Promise<HttpTarget>;
  pgbenchVersion?: string;
  worker: LoadWorker;
  workDir: string;
  log(message: string): void;
}

function once<T>(start: () => Promise<T>): () => Promise<T> {
  let started: Promise<T> | undefined;
  return () => (started ??= start());
}

function rssSummary(samples: RssSample[]): RunResult["rssMiB"] {
  if (samples.length === 0) return undefined;
  return {
    start: samples[0]!.mib,
    max: Math.max(...samples.map((sample) => sample.mib)),
    end: samples[samples.length - 1]!.mib,
  };
}

/** A GraphQL or baseline answer that is not a clean 200 would make every figure meaningless. */
function assertCleanAnswer(label: string, status: number, body: string): void {
  if (status !== 200) throw new Error(`${label}: HTTP ${status}: ${body.slice(0, 300)}`);
  const parsed = JSON.parse(body) as { errors?: unknown };
  if (parsed.errors) throw new Error(`${label}: answered with errors: ${body.slice(0, 300)}`);
}

export function createContext(parts: ContextParts): Omit<BenchContext, "statementProfiles"> {
  const { options, worker } = parts;
  const warmedUp = new Set<number>();
  return {
    options,
    fixtures: parts.fixtures,
    db: parts.db,
    database: parts.database,
    authDb: parts.authDb,
    expressPg: once(parts.startExpressPg),
    expressPgInAuthDbsShape: once(parts.startExpressPgInAuthDbsShape),
    casbin: once(parts.startCasbin),
    startAuthDb: parts.startAuthDb,
    createDatabase: parts.createDatabase,
    startAuthDbTrustingTokens: parts.startAuthDbTrustingTokens,
    pgbenchVersion: parts.pgbenchVersion,
    workDir: parts.workDir,
    log: parts.log,

    async settle() {
      const started = performance.now();
      const busy = await parts.db.asRoot(async (client) => {
        await client.query("checkpoint");
        return untilAutovacuumIdle(client, started + AUTOVACUUM_WAIT_MS);
      });
      if (busy > 0) parts.log(`  settle: still ${busy} autovacuum worker(s) after ${AUTOVACUUM_WAIT_MS / 1000} s; measuring anyway`);
      else if (performance.now() - started > 1000) parts.log(`  settle: waited ${((performance.now() - started) / 1000).toFixed(0)} s for autovacuum`);
    },

    async httpRun(spec) {
      const first = await probe(spec.target.url, spec.request);
      assertCleanAnswer(spec.label, first.status, first.body);
      if (spec.sameAnswerAs !== undefined && first.body !== spec.sameAnswerAs) {
        throw new Error(`${spec.label} does not give the same answer:\n  got      ${first.body.slice(0, 300)}\n  expected ${spec.sameAnswerAs.slice(0, 300)}`);
      }
      const load = {
        kind: "http" as const,
        url: `${spec.target.url}${spec.request.path}`,
        method: spec.request.method,
        headers: spec.request.headers,
        body: spec.request.body,
        connections: spec.connections,
        expectBody: first.body,
      };
      if (!warmedUp.has(spec.target.pid) && options.serverWarmupSeconds > 0) {
        warmedUp.add(spec.target.pid);
        parts.log(`  ${spec.target.name}: ${options.serverWarmupSeconds}s of discarded load before its first measured run`);
        await worker.run({ ...load, durationSeconds: options.serverWarmupSeconds, warmupSeconds: 0 });
      }
      const durationSeconds = spec.durationSeconds ?? options.durationSeconds;
      parts.log(`  ${spec.label}: ${spec.connections} connections, ${durationSeconds}s`);
      const sampler = sampleRss(spec.target.pid);
      const cpu = sampleCpu(spec.target.pid);
      const wallStarted = performance.now();
      const outcome = await worker.run({ ...load, durationSeconds, warmupSeconds: spec.warmupSeconds ?? options.warmupSeconds });
      const samples = await sampler.stop();
      const used = await cpu.stop();
      // Per second of the whole run (warm-up included, at the same load) over the measured requests per second.
      const perRequest = (ms: number) => ms / ((performance.now() - wallStarted) / 1000) / outcome.throughput;
      spec.rssSeries?.push(...samples);
      return {
        ...outcome, id: spec.id, label: spec.label, role: spec.role, tool: "autocannon", connections: spec.connections, rssMiB: rssSummary(samples),
        cpuMsPerRequest: {
          server: perRequest(used.serverMs),
          postgres: perRequest(used.postgresMs),
        },
      };
    },

    async sqlRun(spec) {
      parts.log(`  ${spec.label}: ${spec.concurrency} connections, ${options.durationSeconds}s`);
      const outcome = await worker.run({
        kind: "sql",
        connectionString: spec.connectionString,
        concurrency: spec.concurrency,
        durationSeconds: options.durationSeconds,
        warmupSeconds: options.warmupSeconds,
        statements: spec.statements,
      });
      return { ...outcome, id: spec.id, label: spec.label, role: spec.role, tool: "node-postgres loop", connections: spec.concurrency };
    },

    async pgbenchRun(spec) {
      if (!parts.pgbenchVersion) return undefined;
      parts.log(`  ${spec.label}: ${spec.clients} clients, ${options.durationSeconds}s`);
      const outcome = await runPgbench({
        connectionString: spec.connectionString,
        clients: spec.clients,
        durationSeconds: options.durationSeconds,
        warmupSeconds: options.warmupSeconds,
        script: spec.script,
        variables: spec.variables,
        workDir: parts.workDir,
      });
      return { ...outcome, id: spec.id, label: spec.label, role: spec.role, tool: "pgbench", connections: spec.clients };
    },
  };
}

const AUTOVACUUM_WAIT_MS = 120_000;

/** Polls until no autovacuum worker runs or the deadline passes; returns how many still run. */
async function untilAutovacuumIdle(client: pg.ClientBase, deadline: number): Promise<number> {
  for (;;) {
    const { rows } = await client.query<{ n: number }>(
      "select count(*)::int as n from pg_stat_activity where backend_type = 'autovacuum worker'",
    );
    if (rows[0]!.n === 0 || performance.now() >= deadline) return rows[0]!.n;
    await new Promise((resolve) => setTimeout(resolve, 500));
  }
}
