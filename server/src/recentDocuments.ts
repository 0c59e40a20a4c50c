/** How many open documents stay analysed when nothing else says otherwise. */
export const DEFAULT_ANALYSED_DOCUMENTS = 8;

/**
 * The open documents used most recently (edited, checked, asked about), up to a capacity. The
 * server keeps these analysed and lets the others rest: a workspace with a hundred files open is
 * worked on a few files at a time.
 */
export class RecentDocuments {
  /** Least recently used first: a Map keeps insertion order. */
  private readonly order = new Map<string, true>();

  constructor(private readonly capacity = DEFAULT_ANALYSED_DOCUMENTS) {
    if (!Number.isInteger(capacity) || capacity < 1) throw new RangeError(`RecentDocuments: capacity ${capacity} is not a positive integer`);
  }

  /** Marks `key` as just used; returns the keys that fell out of the recent set. */
  use(key: string): string[] {
    this.order.delete(key);
    this.order.set(key, true);
    const evicted: string[] = [];
    for (const oldest of this.order.keys()) {
      if (this.order.size <= this.capacity) break;
      this.order.delete(oldest);
      evicted.push(oldest);
    }
    return evicted;
  }

  forget(key: string): void {
    this.order.delete(key);
  }
}
