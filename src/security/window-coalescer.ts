import { logger } from "../observability/logger.js";

export interface CoalescerOptions {
  /** How long occurrences of one key are counted before they are written as one record. */
  windowMs: number;
  /** Keys held at once; occurrences of further keys are not recorded, only counted by onOverflow. */
  maxKeys: number;
  /**
   * Keys held at once for one group (one client address): once a group has
   * as many, its further keys are treated as beyond maxKeys, so one client
   * cannot take the room of others. Unbounded when not given.
   */
  maxKeysPerGroup?: number;
  /** The time in milliseconds (Date.now unless a test steers it). */
  clock?: () => number;
}

/** What a window of one key comes to: its first occurrence, how many there were, when. */
export interface Coalesced<T> {
  first: T;
  count: number;
  firstAt: Date;
  lastAt: Date;
}

/**
 * Turns a stream of repeated occurrences into one record per key and
 * window: the first occurrence of a key opens its window, later ones only
 * count, and when the window is over the key's record (first occurrence,
 * count, first and last time) is handed to `write`. Memory and records are
 * bounded by maxKeys whatever the rate, and by maxKeysPerGroup for each
 * group (client): occurrences of a key beyond either are dropped and
 * reported to onOverflow. With `merge`, each further occurrence of an open
 * key is folded into its held value (a bounded summary, say). stop() writes
 * every open window.
 */
export class WindowCoalescer<T> {
  private windows = new Map<string, Coalesced<T> & { group: string }>();
  private readonly keysPerGroup = new Map<string, number>();
  private readonly timer: NodeJS.Timeout;
  private writing: Promise<void> = Promise.resolve();
  private readonly now: () => number;

  constructor(
    private readonly options: CoalescerOptions,
    private readonly write: (records: Coalesced<T>[]) => Promise<void> | void,
    private readonly onOverflow: () => void,
    private readonly merge?: (held: T, next: T) => void,
  ) {
    this.now = options.clock ?? Date.now;
    this.timer = setInterval(() => void this.flush(), Math.min(options.windowMs, 1000));
    this.timer.unref();
  }

  /**
   * Counts one occurrence of `key` of `group`; `value` is held if it opens
   * the key's window, else merged into the held one (when there is a merge).
   */
  add(key: string, value: T, group = ""): void {
    const now = new Date(this.now());
    const open = this.windows.get(key);
    if (open) {
      open.count++;
      open.lastAt = now;
      this.merge?.(open.first, value);
      return;
    }
    const groupKeys = this.keysPerGroup.get(group) ?? 0;
    if (this.windows.size >= this.options.maxKeys || groupKeys >= (this.options.maxKeysPerGroup ?? Infinity)) {
      this.onOverflow();
      return;
    }
    this.windows.set(key, { first: value, count: 1, firstAt: now, lastAt: now, group });
    this.keysPerGroup.set(group, groupKeys + 1);
  }

  /** Writes the windows that are over (all of them with `all`); one write at a time. */
  flush(all = false): Promise<void> {
    const due: Coalesced<T>[] = [];
    const closesBefore = this.now() - this.options.windowMs;
    // Windows open in insertion order, so the ones that are over come first.
    for (const [key, window] of this.windows) {
      if (!all && window.firstAt.getTime() > closesBefore) break;
      const { group, ...record } = window;
      due.push(record);
      this.windows.delete(key);
      const groupKeys = this.keysPerGroup.get(group)! - 1;
      if (groupKeys === 0) this.keysPerGroup.delete(group);
      else this.keysPerGroup.set(group, groupKeys);
    }
    if (due.length === 0) return this.writing;
    this.writing = this.writing
      .then(() => this.write(due))
      .catch((error: unknown) => logger.error({ err: error }, "coalesced records could not be written"));
    return this.writing;
  }

  /** Stops the timer and writes every open window. */
  async stop(): Promise<void> {
    clearInterval(this.timer);
    await this.flush(true);
  }
}
