import { Counter, Registry, collectDefaultMetrics } from "prom-client";

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
  help: "Security events dropped because the queue was full or the database refused the batch.",
  labelNames: ["cause"] as const,
  registers: [registry],
});
