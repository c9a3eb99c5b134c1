/** Distinct values of a field shown with their counts. */
const SHOWN = 10;
/** Distinct values of a field counted, at most. */
const COUNTED = 100;

/** A short hash of a value: distinct values are counted by it, so memory does not grow with the values' length. */
function fingerprint(value: string): number {
  let hash = 0x811c9dc5;
  for (let index = 0; index < value.length; index++) hash = Math.imul(hash ^ value.charCodeAt(index), 0x01000193);
  return hash >>> 0;
}

/**
 * What the occurrences of one caller-chosen field (a key prefix, a token's
 * kid) came to within a window, in bounded memory whatever was sent: the
 * first SHOWN distinct values with their counts, and how many distinct
 * values there were, counted up to COUNTED.
 */
export class ValueSummary {
  private readonly counts = new Map<string, number>();
  private readonly seen = new Set<number>();

  /** Counts `times` occurrences of `value`. */
  add(value: string, times = 1): void {
    const shown = this.counts.get(value);
    if (shown !== undefined) {
      this.counts.set(value, shown + times);
      return;
    }
    if (this.counts.size < SHOWN) this.counts.set(value, times);
    if (this.seen.size < COUNTED) this.seen.add(fingerprint(value));
  }

  /** Adds what `other` counted (its values beyond the shown ones only to the distinct count). */
  merge(other: ValueSummary): void {
    for (const [value, times] of other.counts) this.add(value, times);
    for (const print of other.seen) if (this.seen.size < COUNTED) this.seen.add(print);
  }

  /** `{ counts: { value: n, … }, distinct }` for an event's detail. */
  toJSON(): { counts: Record<string, number>; distinct: number } {
    return { counts: Object.fromEntries(this.counts), distinct: this.seen.size };
  }
}
