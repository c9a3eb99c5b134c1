import type pg from "pg";
import { securityEventsDropped, securityEventsRecorded } from "../observability/metrics.js";
import { logger } from "../observability/logger.js";

export interface SecurityEvent {
  type: string;
  description: string;
  ip_address?: string;
  user_agent?: string;
  user_id?: string;
  user_name?: string;
  client_id?: string;
  detail?: Record<string, unknown>;
  created_at?: string;
}

export interface SecurityEventQueueOptions {
  /** Events held at most; more are dropped (and counted) rather than slowing requests. */
  capacity: number;
  flushIntervalMs: number;
}

/**
 * Collects security events (rejected tokens, denied requests) without
 * touching the database on the request path: `record` only queues, and a
 * timer writes batches. When a flood fills the queue, further events are
 * dropped and counted in authdb_security_events_dropped_total.
 */
export class SecurityEventQueue {
  private queue: SecurityEvent[] = [];
  private flushing: Promise<void> | undefined;
  private readonly timer: NodeJS.Timeout;

  constructor(
    private readonly pool: pg.Pool,
    private readonly options: SecurityEventQueueOptions,
  ) {
    this.timer = setInterval(() => void this.flush(), options.flushIntervalMs);
    this.timer.unref();
  }

  record(event: SecurityEvent): void {
    if (this.queue.length >= this.options.capacity) {
      securityEventsDropped.inc({ cause: "queue_full" });
      return;
    }
    this.queue.push({ ...event, created_at: event.created_at ?? new Date().toISOString() });
  }

  /** Writes what is queued; one write at a time. */
  async flush(): Promise<void> {
    if (this.flushing) return this.flushing;
    if (this.queue.length === 0) return;
    const batch = this.queue;
    this.queue = [];
    this.flushing = this.pool
      .query("select auth.record_security_events($1::jsonb)", [JSON.stringify(batch)])
      .then(
        () => void securityEventsRecorded.inc(batch.length),
        (error: unknown) => {
          securityEventsDropped.inc({ cause: "write_failed" }, batch.length);
          logger.warn({ err: error, dropped: batch.length }, "security events: batch dropped");
        },
      )
      .finally(() => {
        this.flushing = undefined;
      });
    return this.flushing;
  }

  async stop(): Promise<void> {
    clearInterval(this.timer);
    await this.flushing;
    await this.flush();
  }
}
