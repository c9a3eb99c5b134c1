/** What the runner asks the load worker to do, and what it answers. */

export interface HttpLoadJob {
  kind: "http";
  url: string;
  method: "GET" | "POST";
  headers: Record<string, string>;
  body?: string;
  connections: number;
  durationSeconds: number;
  warmupSeconds: number;
  /** A response whose body differs counts as a mismatch (a wrong answer is an error too). */
  expectBody?: string;
}

export interface SqlStatement {
  text: string;
  values?: unknown[];
  /** Prepared once per connection under this name, as Grafast and pgbench -M prepared do. */
  name?: string;
}

export interface SqlLoadJob {
  kind: "sql";
  connectionString: string;
  /** Concurrent connections, each running the transaction in a loop. */
  concurrency: number;
  durationSeconds: number;
  warmupSeconds: number;
  /** One iteration: these statements in order on one connection. */
  statements: SqlStatement[];
}

export type LoadJob = HttpLoadJob | SqlLoadJob;

export interface LoadOutcome {
  /** Completed requests (or transactions) in the measured window. */
  requests: number;
  durationSeconds: number;
  /** Completed per second. */
  throughput: number;
  latencyMs: { p50: number; p99: number; mean: number; max: number };
  /** Connection errors and timeouts (HTTP) or failed transactions (SQL). */
  errors: number;
  timeouts: number;
  non2xx: number;
  /** Responses whose body was not the expected one. */
  mismatches: number;
  /** The first error message seen, to make a failing run explainable. */
  firstError?: string;
}

export type WorkerRequest = { id: number; job: LoadJob };
export type WorkerReply = { id: number; outcome: LoadOutcome } | { id: number; error: string };
