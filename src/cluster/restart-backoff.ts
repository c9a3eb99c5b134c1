/** A worker that stayed up this long before it exited was healthy: its restart starts the backoff afresh. */
export const STABLE_AFTER_MS = 30_000;

/**
 * How long to wait before restarting a worker that exited `crashesInARow`
 * times in a row (1 the first time): 0.5 s, doubling, at most 30 s. Quick for
 * a one-off crash; a worker that cannot start does not spin the CPU or flood
 * the log.
 */
export function restartDelayMs(crashesInARow: number): number {
  return Math.min(30_000, 500 * 2 ** Math.max(0, crashesInARow - 1));
}
