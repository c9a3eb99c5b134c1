import type pg from "pg";
import { logger } from "../observability/logger.js";
import { auditRowsLinked } from "../observability/metrics.js";

export interface AuditChainer {
  /** Links every committed, unlinked audit row now. */
  runOnce(): Promise<number>;
  stop(): Promise<void>;
}

/**
 * Links new audit rows into the hash chain every `intervalMs`
 * (auth.chain_audit_logs). Several servers may run one: the function lets
 * one chainer work at a time and the others skip.
 */
export function startAuditChainer(pool: pg.Pool, intervalMs: number): AuditChainer {
  let running: Promise<number> | undefined;
  let failing = false;
  const runOnce = async (): Promise<number> => {
    let total = 0;
    for (;;) {
      const { rows } = await pool.query<{ linked: number }>("select auth.chain_audit_logs(10000) as linked");
      total += rows[0]!.linked;
      auditRowsLinked.inc(rows[0]!.linked);
      if (rows[0]!.linked < 10000) return total;
    }
  };
  const tick = () => {
    if (running) return;
    running = runOnce()
      .then((linked) => {
        if (failing) logger.info("audit chain: linking works again");
        failing = false;
        return linked;
      })
      .catch((error: unknown) => {
        if (!failing) logger.warn({ err: error }, "audit chain: linking failed, will retry");
        failing = true;
        return 0;
      })
      .finally(() => {
        running = undefined;
      });
  };
  const timer = setInterval(tick, intervalMs);
  timer.unref();
  return {
    runOnce,
    async stop() {
      clearInterval(timer);
      await running;
    },
  };
}
