import cluster, { type Worker } from "node:cluster";
import { logger } from "../observability/logger.js";
import { isMessage, type ReadyMessage, type ShutdownMessage } from "./messages.js";
import { restartDelayMs, STABLE_AFTER_MS } from "./restart-backoff.js";

/** How long a worker may take to finish its requests once asked to stop, before it is killed. */
const WORKER_STOP_TIMEOUT_MS = 30_000;

/** One of the N places a worker fills; a restarted worker takes its predecessor's slot. */
interface Slot {
  number: number;
  worker?: Worker;
  ready: boolean;
  startedAt: number;
  crashesInARow: number;
  restartTimer?: NodeJS.Timeout;
}

function describeExit(code: number | null, signal: string | null): string {
  return signal ? `signal ${signal}` : `code ${code}`;
}

/**
 * Keeps `count` cluster workers running this process's entry point: forks
 * them, restarts one that exits (after a backoff, with a log line), and
 * stops them all by asking each to drain.
 */
export class WorkerSupervisor {
  private readonly slots: Slot[];
  private started = false;
  private stopping = false;

  constructor(count: number) {
    this.slots = Array.from({ length: count }, (_, index) => ({
      number: index + 1,
      ready: false,
      startedAt: 0,
      crashesInARow: 0,
    }));
  }

  /**
   * Forks every worker and resolves with the URL they serve once all are
   * ready. A worker that exits before it is ready fails the start (a wrong
   * setting would fail every restart too).
   */
  async start(): Promise<string> {
    const urls = await Promise.all(this.slots.map((slot) => this.fork(slot)));
    this.started = true;
    return urls[0]!;
  }

  /** Starts a worker in `slot`; resolves with its URL when it is ready, rejects if it exits first. */
  private fork(slot: Slot): Promise<string> {
    const worker = cluster.fork();
    Object.assign(slot, { worker, ready: false, startedAt: Date.now() });
    return new Promise((resolve, reject) => {
      worker.on("message", (message: unknown) => {
        if (!isMessage<ReadyMessage>(message, "auth-db:ready")) return;
        slot.ready = true;
        logger.info({ worker: slot.number, pid: worker.process.pid }, `worker ${slot.number} (pid ${worker.process.pid}) ready`);
        resolve(message.url);
      });
      worker.once("exit", (code, signal) => {
        reject(new Error(`auth-db: worker ${slot.number} exited (${describeExit(code, signal)}) before it was ready (its error is above)`));
        this.replace(slot, worker, code, signal);
      });
    });
  }

  /** After the start, a worker that exits (crash, kill, out of memory) is replaced after a backoff. */
  private replace(slot: Slot, worker: Worker, code: number | null, signal: string | null): void {
    if (slot.worker !== worker) return;
    slot.worker = undefined;
    if (!this.started || this.stopping) return;
    const stable = Date.now() - slot.startedAt >= STABLE_AFTER_MS;
    slot.crashesInARow = stable ? 1 : slot.crashesInARow + 1;
    const delay = restartDelayMs(slot.crashesInARow);
    logger.warn(
      { worker: slot.number, pid: worker.process.pid, code, signal, restartInMs: delay },
      `worker ${slot.number} (pid ${worker.process.pid}) exited (${describeExit(code, signal)}); restarting it in ${delay} ms`,
    );
    slot.restartTimer = setTimeout(() => {
      slot.restartTimer = undefined;
      // A restarted worker that fails is replaced again by its exit handler.
      this.fork(slot).catch(() => {});
    }, delay);
  }

  /** Asks every worker to finish its requests and exit, and waits for them (killing any that take too long). */
  async stop(): Promise<void> {
    this.stopping = true;
    for (const slot of this.slots) clearTimeout(slot.restartTimer);
    await Promise.all(this.slots.map((slot) => (slot.worker ? this.stopWorker(slot, slot.worker) : undefined)));
  }

  private async stopWorker(slot: Slot, worker: Worker): Promise<void> {
    if (worker.isDead()) return;
    const exited = new Promise((resolve) => worker.once("exit", resolve));
    if (slot.ready && worker.isConnected()) {
      worker.send({ type: "auth-db:shutdown" } satisfies ShutdownMessage);
    } else {
      // Still starting: it may not listen for messages yet, and has no requests to finish.
      worker.process.kill("SIGTERM");
    }
    const timer = setTimeout(() => {
      logger.error(
        { worker: slot.number, pid: worker.process.pid },
        `worker ${slot.number} (pid ${worker.process.pid}) did not stop within ${WORKER_STOP_TIMEOUT_MS} ms; killing it`,
      );
      worker.process.kill("SIGKILL");
    }, WORKER_STOP_TIMEOUT_MS);
    await exited;
    clearTimeout(timer);
  }
}
