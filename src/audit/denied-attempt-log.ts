import type pg from "pg";
import { coalescedRecordsOverflow } from "../observability/metrics.js";
import { logger } from "../observability/logger.js";
import { clientKeyOf } from "../net/client-key.js";
import { WindowCoalescer, type Coalesced, type CoalescerOptions } from "../security/window-coalescer.js";

/** A mutation refused for lack of a permission, as the audit log records it. */
export interface DeniedAttempt {
  /** The mutation field (never its alias). */
  operation: string;
  message: string;
  /** The missing permission ("resource:action"), when the refusal named one. */
  permission: string | null;
  /** The Keycloak sub or the API key id. */
  userId: string;
  actorType: "user" | "service";
  ipAddress?: string;
  userAgent?: string;
  traceId?: string;
}

/** Rows per call of auth.record_denied_attempts. */
const BATCH = 1000;

/**
 * The audit log's record of refused mutations, bounded: refusals are
 * counted per caller, operation and address for a window, and each window
 * becomes one ACCESS_DENIED row with its count (auth.record_denied_attempts,
 * called by the server's own role, off the request path). However many
 * aliases or requests an attacker sends, one key writes one row per window,
 * and at most `maxKeys` keys are counted at once, `maxKeysPerGroup` of one
 * client address (more are counted in authdb_coalesced_records_overflow_total).
 * The operation is the mutation field, bounded by the schema. stop() writes open windows.
 */
export class DeniedAttemptLog {
  private readonly windows: WindowCoalescer<DeniedAttempt>;

  constructor(
    private readonly pool: pg.Pool,
    options: CoalescerOptions,
  ) {
    this.windows = new WindowCoalescer<DeniedAttempt>(
      options,
      (records) => this.write(records),
      () => coalescedRecordsOverflow.inc({ record: "access_denied" }),
    );
  }

  record(attempt: DeniedAttempt): void {
    this.windows.add(
      JSON.stringify([attempt.actorType, attempt.userId, attempt.operation, attempt.ipAddress]),
      attempt,
      clientKeyOf(attempt.ipAddress) ?? "",
    );
  }

  private async write(records: Coalesced<DeniedAttempt>[]): Promise<void> {
    for (let start = 0; start < records.length; start += BATCH) {
      const rows = records.slice(start, start + BATCH).map(({ first, count, firstAt, lastAt }) => ({
        operation: first.operation,
        message: first.message,
        permission: first.permission,
        user_id: first.userId,
        actor_type: first.actorType,
        ip_address: first.ipAddress,
        user_agent: first.userAgent,
        trace_id: first.traceId,
        count,
        first_at: firstAt.toISOString(),
        last_at: lastAt.toISOString(),
      }));
      await this.pool
        .query("select auth.record_denied_attempts($1::jsonb)", [JSON.stringify(rows)])
        .catch((error: unknown) => logger.error({ err: error, lost: rows.length }, "could not record denied attempts"));
    }
  }

  stop(): Promise<void> {
    return this.windows.stop();
  }
}
