import type { Pool } from "pg";
import { Counter, Gauge, Histogram, Registry, collectDefaultMetrics } from "prom-client";

/** auth-db's Prometheus metrics, served at /metrics. */
export const registry = new Registry();
collectDefaultMetrics({ register: registry, prefix: "authdb_" });

export const securityEventsRecorded = new Counter({
  name: "authdb_security_events_recorded_total",
  help: "Security events written to auth.security_events by the server.",
  registers: [registry],
});

export const securityEventsDropped = new Counter({
  name: "authdb_security_events_dropped_total",
  help: "Security events dropped because the queue was full, the event was malformed or the database refused the batch.",
  labelNames: ["cause"] as const,
  registers: [registry],
});

export const coalescedRecordsOverflow = new Counter({
  name: "authdb_coalesced_records_overflow_total",
  help: "Refusals not recorded because as many distinct callers, operations and addresses were already being counted in the window (REFUSAL_RECORD_MAX_KEYS, or REFUSAL_RECORD_MAX_KEYS_PER_ADDRESS of one address), by record (access_denied audit row, security_event).",
  labelNames: ["record"] as const,
  registers: [registry],
});

export const graphqlRequests = new Counter({
  name: "authdb_graphql_requests_total",
  help: "GraphQL operations executed, by operation name and outcome (ok, error, denied).",
  labelNames: ["operation", "outcome"] as const,
  registers: [registry],
});

export const graphqlDuration = new Histogram({
  name: "authdb_graphql_request_duration_seconds",
  help: "Time to execute a GraphQL operation, by operation name and outcome.",
  labelNames: ["operation", "outcome"] as const,
  buckets: [0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5],
  registers: [registry],
});

export const credentialRejections = new Counter({
  name: "authdb_credential_rejections_total",
  help: "Tokens and API keys refused, by reason.",
  labelNames: ["reason"] as const,
  registers: [registry],
});

export const requestRefusals = new Counter({
  name: "authdb_request_refusals_total",
  help: "Requests refused by a limit (size, depth, cost, rate, origin) or while the database is away, by reason.",
  labelNames: ["reason"] as const,
  registers: [registry],
});

export const auditRowsLinked = new Counter({
  name: "authdb_audit_rows_linked_total",
  help: "Audit rows appended to the hash chain.",
  registers: [registry],
});

export const jobRuns = new Counter({
  name: "authdb_job_runs_total",
  help: "Runs of scheduled lifecycle jobs, by job and outcome.",
  labelNames: ["job", "outcome"] as const,
  registers: [registry],
});

const pools = new Set<Pool>();

/** Connections of the server's pools: total, idle, and requests waiting for one. */
export const poolConnections = new Gauge({
  name: "authdb_db_pool_connections",
  help: "Database pool connections by state (total, idle, waiting).",
  labelNames: ["state"] as const,
  registers: [registry],
  collect() {
    const sum = (pick: (pool: Pool) => number) => [...pools].reduce((total, pool) => total + pick(pool), 0);
    this.set({ state: "total" }, sum((pool) => pool.totalCount));
    this.set({ state: "idle" }, sum((pool) => pool.idleCount));
    this.set({ state: "waiting" }, sum((pool) => pool.waitingCount));
  },
});

/** Counts `pool` in authdb_db_pool_connections until the returned function is called. */
export function trackPool(pool: Pool): () => void {
  pools.add(pool);
  return () => pools.delete(pool);
}

const operationNames = new Set<string>();

/**
 * A metric label for a client-chosen operation name: well-formed names up to
 * a bounded number of distinct ones, so clients cannot blow up cardinality.
 */
export function operationLabel(name: string | null | undefined): string {
  if (!name) return "anonymous";
  if (!/^[A-Za-z_][A-Za-z0-9_]{0,63}$/.test(name)) return "invalid";
  if (!operationNames.has(name) && operationNames.size >= 200) return "other";
  operationNames.add(name);
  return name;
}
