import type pg from "pg";
import { coalescedRecordsOverflow, securityEventsDropped, securityEventsRecorded } from "../observability/metrics.js";
import { logger } from "../observability/logger.js";
import { validIpAddress } from "../net/ip-address.js";
import { WindowCoalescer, type CoalescerOptions } from "./window-coalescer.js";

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
  /** How recordRepeated folds repeated events (default: one per minute and kind, 10 000 kinds at once). */
  coalesce?: CoalescerOptions;
}

const EVENT_TYPE = /^[A-Z][A-Z0-9_]{0,63}$/;

function text(value: unknown, max: number): string | undefined {
  return typeof value === "string" && value !== "" ? value.slice(0, max) : undefined;
}

function isPlainObject(value: unknown): value is Record<string, unknown> {
  return typeof value === "object" && value !== null && !Array.isArray(value);
}

function timestamp(value: unknown): string | undefined {
  if (typeof value !== "string") return undefined;
  const time = new Date(value);
  return Number.isNaN(time.getTime()) ? undefined : time.toISOString();
}

/**
 * The event as auth.security_events can store it: a field that is not what
 * its column holds (an address that is not one, a detail that is not an
 * object, a time that is not one) is left out, long texts are cut; an event
 * without a valid type is no event (undefined).
 */
export function sanitizedEvent(event: SecurityEvent): SecurityEvent | undefined {
  if (typeof event.type !== "string" || !EVENT_TYPE.test(event.type)) return undefined;
  return {
    type: event.type,
    description: text(event.description, 1000) ?? "",
    ip_address: validIpAddress(event.ip_address),
    user_agent: text(event.user_agent, 512),
    user_id: text(event.user_id, 255),
    user_name: text(event.user_name, 255),
    client_id: text(event.client_id, 255),
    detail: isPlainObject(event.detail) ? event.detail : undefined,
    created_at: timestamp(event.created_at) ?? new Date().toISOString(),
  };
}

/**
 * Collects security events (rejected tokens, denied requests) without
 * touching the database on the request path: `record` only queues, and a
 * timer writes batches. When a flood fills the queue, further events are
 * dropped and counted in authdb_security_events_dropped_total. Events that
 * can repeat at an attacker's will (refusals, rejected keys) go through
 * `recordRepeated`, which folds them into one event per window with a count.
 */
export class SecurityEventQueue {
  private queue: SecurityEvent[] = [];
  private flushing: Promise<void> | undefined;
  private readonly timer: NodeJS.Timeout;
  private readonly repeated: WindowCoalescer<SecurityEvent>;

  constructor(
    private readonly pool: pg.Pool,
    private readonly options: SecurityEventQueueOptions,
  ) {
    this.timer = setInterval(() => void this.flush(), options.flushIntervalMs);
    this.timer.unref();
    this.repeated = new WindowCoalescer<SecurityEvent>(
      options.coalesce ?? { windowMs: 60_000, maxKeys: 10_000 },
      (windows) => {
        for (const { first, count, firstAt, lastAt } of windows) {
          this.record({
            ...first,
            created_at: firstAt.toISOString(),
            detail: { ...first.detail, count, first_at: firstAt.toISOString(), last_at: lastAt.toISOString() },
          });
        }
      },
      () => coalescedRecordsOverflow.inc({ record: "security_event" }),
    );
  }

  /** Queues one event; a malformed one is dropped and counted, never sent to poison a batch. */
  record(event: SecurityEvent): void {
    const clean = sanitizedEvent(event);
    if (!clean) {
      securityEventsDropped.inc({ cause: "malformed" });
      return;
    }
    if (this.queue.length >= this.options.capacity) {
      securityEventsDropped.inc({ cause: "queue_full" });
      return;
    }
    this.queue.push(clean);
  }

  /**
   * Counts an event that may repeat: events equal in type, caller, address
   * and detail are written once per window, with `count`, `first_at` and
   * `last_at` added to the detail.
   */
  recordRepeated(event: SecurityEvent): void {
    const clean = sanitizedEvent(event);
    if (!clean) {
      securityEventsDropped.inc({ cause: "malformed" });
      return;
    }
    this.repeated.add(JSON.stringify([clean.type, clean.user_id, clean.client_id, clean.ip_address, clean.detail]), clean);
  }

  /** Writes what is queued; one write at a time. */
  async flush(): Promise<void> {
    if (this.flushing) return this.flushing;
    if (this.queue.length === 0) return;
    const batch = this.queue;
    this.queue = [];
    this.flushing = this.pool
      .query<{ written: number }>("select auth.record_security_events($1::jsonb) as written", [JSON.stringify(batch)])
      .then(
        ({ rows }) => {
          const written = rows[0]?.written ?? 0;
          securityEventsRecorded.inc(written);
          if (written < batch.length) securityEventsDropped.inc({ cause: "malformed" }, batch.length - written);
        },
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

  /** Writes every open window of repeated events, then everything queued. */
  async stop(): Promise<void> {
    clearInterval(this.timer);
    await this.repeated.stop();
    await this.flushing;
    await this.flush();
  }
}
