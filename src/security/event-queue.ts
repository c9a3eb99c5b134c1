import type pg from "pg";
import { coalescedRecordsOverflow, securityEventsDropped, securityEventsRecorded } from "../observability/metrics.js";
import { logger } from "../observability/logger.js";
import { validIpAddress } from "../net/ip-address.js";
import { clientKeyOf } from "../net/client-key.js";
import { ValueSummary } from "./value-summary.js";
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

/** A repeated event held for its window: the first occurrence, and the summaries of its caller-chosen fields. */
interface HeldEvent {
  event: SecurityEvent;
  summaries: Map<string, ValueSummary>;
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
  private readonly repeated: WindowCoalescer<HeldEvent>;

  constructor(
    private readonly pool: pg.Pool,
    private readonly options: SecurityEventQueueOptions,
  ) {
    this.timer = setInterval(() => void this.flush(), options.flushIntervalMs);
    this.timer.unref();
    this.repeated = new WindowCoalescer<HeldEvent>(
      options.coalesce ?? { windowMs: 60_000, maxKeys: 10_000 },
      (windows) => {
        for (const { first, count, firstAt, lastAt } of windows) {
          this.record({
            ...first.event,
            created_at: firstAt.toISOString(),
            detail: {
              ...first.event.detail,
              ...Object.fromEntries(first.summaries),
              count,
              first_at: firstAt.toISOString(),
              last_at: lastAt.toISOString(),
            },
          });
        }
      },
      () => coalescedRecordsOverflow.inc({ record: "security_event" }),
      (held, next) => {
        for (const [field, summary] of next.summaries) {
          const into = held.summaries.get(field);
          if (into) into.merge(summary);
          else held.summaries.set(field, summary);
        }
      },
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
   * `last_at` added to the detail. The detail fields named in `summarised`
   * are values the caller chooses (a key prefix, a token's kid): they are not
   * part of what makes events equal, but summarised in the one event (each
   * as `{ counts, distinct }`, bounded). At most maxKeysPerGroup events are
   * counted at once per client address (an IPv6 one by its /64).
   */
  recordRepeated(event: SecurityEvent, summarised: readonly string[] = []): void {
    const clean = sanitizedEvent(event);
    if (!clean) {
      securityEventsDropped.inc({ cause: "malformed" });
      return;
    }
    const detail = { ...clean.detail };
    const summaries = new Map<string, ValueSummary>();
    for (const field of summarised) {
      const value = detail[field];
      delete detail[field];
      if (value === undefined || value === null) continue;
      const summary = new ValueSummary();
      summary.add(typeof value === "string" ? value : JSON.stringify(value));
      summaries.set(field, summary);
    }
    const held = { event: { ...clean, detail }, summaries };
    const key = JSON.stringify([clean.type, clean.user_id, clean.client_id, clean.ip_address, detail]);
    this.repeated.add(key, held, clientKeyOf(clean.ip_address) ?? "");
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
