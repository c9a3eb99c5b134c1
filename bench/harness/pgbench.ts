import { execFile } from "node:child_process";
import { readdir, readFile, rm, writeFile } from "node:fs/promises";
import path from "node:path";
import { promisify } from "node:util";
import type { LoadOutcome } from "../load/jobs.js";

const run = promisify(execFile);

/** pgbench's version line if one is on PATH (Debian's postgresql-client has it; the embedded package does not). */
export async function findPgbench(): Promise<string | undefined> {
  try {
    const { stdout } = await run("pgbench", ["--version"]);
    return stdout.trim();
  } catch {
    return undefined;
  }
}

export interface PgbenchJob {
  /** libpq URL of the login role. */
  connectionString: string;
  clients: number;
  durationSeconds: number;
  warmupSeconds: number;
  /** pgbench script; `:name` variables are bound as parameters (-M prepared). */
  script: string;
  variables: Record<string, string>;
  /** Where the script and the per-transaction logs go. */
  workDir: string;
}

function connectionArgs(url: string): { args: string[]; password: string } {
  const u = new URL(url);
  return {
    args: ["-h", u.hostname, "-p", u.port || "5432", "-U", decodeURIComponent(u.username), decodeURIComponent(u.pathname.slice(1))],
    password: decodeURIComponent(u.password),
  };
}

function percentile(sorted: Float64Array, p: number): number {
  return sorted.length === 0 ? 0 : sorted[Math.min(sorted.length - 1, Math.floor((p / 100) * sorted.length))]!;
}

/** Per-transaction latencies (ms) from pgbench --log files: column 3 is the time in µs. */
async function loggedLatencies(dir: string, prefix: string): Promise<Float64Array> {
  const files = (await readdir(dir)).filter((name) => name.startsWith(`${prefix}.`));
  const values: number[] = [];
  for (const file of files) {
    for (const line of (await readFile(path.join(dir, file), "utf8")).split("\n")) {
      const micros = Number(line.split(" ")[2]);
      if (Number.isFinite(micros) && line.trim()) values.push(micros / 1000);
    }
    await rm(path.join(dir, file));
  }
  return Float64Array.from(values).sort();
}

/**
 * The database's ceiling measured by PostgreSQL's own load generator: a C
 * client with no JavaScript in the loop. Same statements as the server
 * sends, prepared, `clients` connections, one thread.
 */
export async function runPgbench(job: PgbenchJob): Promise<LoadOutcome> {
  const scriptFile = path.join(job.workDir, "pgbench-script.sql");
  await writeFile(scriptFile, job.script);
  const { args: connection, password } = connectionArgs(job.connectionString);
  const variables = Object.entries(job.variables).flatMap(([name, value]) => ["-D", `${name}=${value}`]);
  const base = ["-n", "-M", "prepared", "-c", String(job.clients), "-j", "1", "-f", scriptFile, ...variables];
  const options = { env: { ...process.env, PGPASSWORD: password }, maxBuffer: 16 * 1024 * 1024 };
  // pgbench -T takes whole seconds: a fraction is rounded up.
  const durationSeconds = Math.ceil(job.durationSeconds);
  try {
    if (job.warmupSeconds > 0) await run("pgbench", [...base, "-T", String(Math.ceil(job.warmupSeconds)), ...connection], options);
    const prefix = "pgbench_log";
    const { stdout } = await run(
      "pgbench",
      [...base, "-T", String(durationSeconds), "--log", `--log-prefix=${path.join(job.workDir, prefix)}`, ...connection],
      options,
    );
    const latencies = await loggedLatencies(job.workDir, prefix);
    const tps = Number(/tps = ([\d.]+) \(without initial connection time\)/.exec(stdout)?.[1] ?? NaN);
    const failed = Number(/number of failed transactions: (\d+)/.exec(stdout)?.[1] ?? 0);
    const total = latencies.reduce((sum, value) => sum + value, 0);
    return {
      requests: latencies.length,
      durationSeconds,
      throughput: Number.isFinite(tps) ? tps : latencies.length / durationSeconds,
      latencyMs: {
        p50: percentile(latencies, 50),
        p99: percentile(latencies, 99),
        mean: latencies.length ? total / latencies.length : 0,
        max: latencies.length ? latencies[latencies.length - 1]! : 0,
      },
      errors: failed,
      timeouts: 0,
      non2xx: 0,
      mismatches: 0,
    };
  } catch (error) {
    const { stderr, message } = error as { stderr?: string; message: string };
    throw new Error(`pgbench failed: ${(stderr || message).trim().split("\n").slice(-5).join(" | ")}`);
  }
}
