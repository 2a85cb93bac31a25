// Dedupe within one FC instance: the same key inside the TTL gets the first answer back
// instead of a second round of ECS calls, and concurrent duplicates wait for the one in
// flight. Bounded: a Map used as an LRU (re-inserted on use, oldest evicted).
// Across instances nothing is shared; StopInvocation's own idempotence covers that.

export interface Entry<T> {
  expires: number;
  value: Promise<T>;
  /** Whether `value` had settled: a request arriving while it is still in flight is a copy of the same delivery. */
  settled: boolean;
}

export class DedupeCache<T> {
  private readonly entries = new Map<string, Entry<T>>();

  constructor(private readonly ttlMs: number, private readonly maxEntries: number, private readonly now: () => number = Date.now) {}

  get enabled(): boolean {
    return this.ttlMs > 0;
  }

  /** The earlier (possibly still running) result for `key`, if any, as it stands now. */
  get(key: string): Readonly<Entry<T>> | undefined {
    const entry = this.entries.get(key);
    if (!entry) return undefined;
    if (entry.expires <= this.now()) {
      this.entries.delete(key);
      return undefined;
    }
    this.entries.delete(key);
    this.entries.set(key, entry);
    return { ...entry };
  }

  set(key: string, value: Promise<T>): void {
    const entry: Entry<T> = { expires: this.now() + this.ttlMs, value, settled: false };
    const settle = () => {
      entry.settled = true;
    };
    value.then(settle, settle);
    this.entries.delete(key);
    this.entries.set(key, entry);
    while (this.entries.size > this.maxEntries) {
      const oldest = this.entries.keys().next().value;
      if (oldest === undefined) break;
      this.entries.delete(oldest);
    }
  }

  delete(key: string): void {
    this.entries.delete(key);
  }

  get size(): number {
    return this.entries.size;
  }
}
