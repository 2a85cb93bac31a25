import type { BudgetGrant, BudgetSpec, ClaimResult, IdempotencyStore } from './types.js';

// The store of one FC instance: records in a Map used as an LRU (re-inserted on use,
// oldest evicted), bounded both in entries and in bytes, so a run of large distinct
// results (1,000 dry runs of 1,000 ids) cannot outgrow a 128 MB instance. Records are
// strings, so their size is known exactly (V8 keeps ASCII strings at one byte a char).

interface Held {
  kind: 'in-progress' | 'completed' | 'previous';
  value: string;
  expires: number;
  bytes: number;
}

/** What one entry costs besides its key and value: the Map slot and the holder object. */
const ENTRY_OVERHEAD_BYTES = 96;
const PREVIOUS = '\u0000previous';

export interface MemoryLimits {
  maxEntries: number;
  maxBytes: number;
}

export class MemoryStore implements IdempotencyStore {
  readonly kind = 'memory' as const;
  private readonly held = new Map<string, Held>();
  private heldBytes = 0;
  /** Spends of the sliding budget window, oldest first. */
  private spends: Array<{ at: number; n: number }> = [];

  constructor(private readonly limits: MemoryLimits, private readonly now: () => number = Date.now) {}

  /** Bytes held by records (keys, values and per-entry overhead). */
  get bytes(): number {
    return this.heldBytes;
  }

  get size(): number {
    return this.held.size;
  }

  /** A completed record for `key`, if this instance holds one. */
  completed(key: string): string | undefined {
    const current = this.read(key);
    return current?.kind === 'completed' ? current.value : undefined;
  }

  async claim(key: string, token: string, ttlMs: number): Promise<ClaimResult> {
    const current = this.read(key);
    if (current?.kind === 'completed') return { state: 'completed', record: current.value };
    if (current?.kind === 'in-progress') return { state: 'in-progress', remainingMs: current.expires - this.now() };
    this.write(key, { kind: 'in-progress', value: token, expires: this.now() + ttlMs });
    const previous = this.read(key + PREVIOUS)?.value;
    return previous === undefined ? { state: 'claimed' } : { state: 'claimed', previous };
  }

  async complete(key: string, token: string, record: string, ttlMs: number): Promise<void> {
    const current = this.read(key);
    if (current && !(current.kind === 'in-progress' && current.value === token)) return;
    this.drop(key + PREVIOUS);
    this.write(key, { kind: 'completed', value: record, expires: this.now() + ttlMs });
  }

  async release(key: string, token: string, previous: string, ttlMs: number): Promise<void> {
    const current = this.read(key);
    if (current?.kind === 'in-progress' && current.value === token) this.drop(key);
    this.write(key + PREVIOUS, { kind: 'previous', value: previous, expires: this.now() + ttlMs });
  }

  async spend(_scope: string, asked: number, budget: BudgetSpec, now: number): Promise<BudgetGrant> {
    this.spends = this.spends.filter((s) => s.at > now - budget.windowMs);
    const used = this.spends.reduce((sum, s) => sum + s.n, 0);
    const granted = Math.max(0, Math.min(asked, budget.limit - used));
    if (granted > 0) this.spends.push({ at: now, n: granted });
    const oldest = this.spends[0]?.at ?? now;
    return { granted, used: used + granted, freesAt: oldest + budget.windowMs };
  }

  /** Drop our claim without leaving anything for a retry (the work never finished). */
  forget(key: string, token: string): void {
    const current = this.read(key);
    if (current?.kind === 'in-progress' && current.value === token) this.drop(key);
  }

  /** Note a spend granted elsewhere (the shared store), without checking the limit. */
  recordSpend(n: number, now: number, windowMs: number): void {
    this.spends = this.spends.filter((s) => s.at > now - windowMs);
    if (n > 0) this.spends.push({ at: now, n });
  }

  async close(): Promise<void> {
    this.held.clear();
    this.heldBytes = 0;
  }

  private read(key: string): Held | undefined {
    const entry = this.held.get(key);
    if (!entry) return undefined;
    if (entry.expires <= this.now()) {
      this.drop(key);
      return undefined;
    }
    this.held.delete(key);
    this.held.set(key, entry);
    return entry;
  }

  private write(key: string, entry: Omit<Held, 'bytes'>): void {
    this.drop(key);
    const bytes = sizeOf(key) + sizeOf(entry.value) + ENTRY_OVERHEAD_BYTES;
    // A record bigger than the whole budget is not kept: the next copy simply runs again.
    if (bytes > this.limits.maxBytes) return;
    this.held.set(key, { ...entry, bytes });
    this.heldBytes += bytes;
    while (this.held.size > this.limits.maxEntries || this.heldBytes > this.limits.maxBytes) {
      const oldest = this.held.keys().next().value;
      if (oldest === undefined) break;
      this.drop(oldest);
    }
  }

  private drop(key: string): void {
    const entry = this.held.get(key);
    if (!entry) return;
    this.held.delete(key);
    this.heldBytes -= entry.bytes;
  }
}

/** Heap bytes of a string: one a char unless some char needs two (V8's two-byte strings). */
function sizeOf(s: string): number {
  // eslint-disable-next-line no-control-regex
  return /[^\u0000-\u00ff]/.test(s) ? 2 * s.length : s.length;
}
