import type { Logger } from '../log.js';
import { MemoryStore, type MemoryLimits } from './memory.js';
import type { RedisTarget } from '../config.js';
import type { IdempotencyStore } from './types.js';

// Which store a request uses, and the rule that a store failing never blocks a stop:
// every call to the shared store has its own short timeout, and a failure (unreachable,
// slow, refusing) is answered by the caller as if there were no shared store.

/** How long a failed shared store is left alone (the claim and the budget of one request, at least). */
const SKIP_AFTER_FAILURE_MS = 1000;

export interface StoreSettings {
  redis?: RedisTarget;
  timeoutMs: number;
  memory: MemoryLimits;
}

export class Stores {
  /** This instance's own store: the default, and the fallback while the shared one fails. */
  readonly local: MemoryStore;
  private shared?: Promise<IdempotencyStore>;
  private failures = 0;
  /** After a failure the shared store is skipped this long, so one request never waits on it twice. */
  private skipUntil = 0;

  constructor(private readonly settings: StoreSettings, private readonly log: Logger, private readonly prefix: string) {
    this.local = new MemoryStore(settings.memory);
  }

  get configured(): boolean {
    return this.settings.redis !== undefined;
  }

  /** Load the client and connect (FC initializer); never throws. */
  async warm(): Promise<void> {
    if (!this.configured) return;
    await this.attempt(async (s) => s.connect?.(), Date.now() + this.settings.timeoutMs, 'connect');
  }

  /**
   * Run `op` on the shared store within its timeout (and before `deadline`). Resolves to
   * `{ ok: false }` on any failure, logged once per failure, never rejects.
   */
  async attempt<T>(op: (store: IdempotencyStore) => Promise<T>, deadline: number, what: string): Promise<{ ok: true; value: T } | { ok: false }> {
    const target = this.settings.redis;
    if (!target) return { ok: false };
    const budgetMs = Math.min(this.settings.timeoutMs, deadline - Date.now());
    if (budgetMs <= 0 || Date.now() < this.skipUntil) return { ok: false };
    let timer: NodeJS.Timeout | undefined;
    try {
      this.shared ??= import('./redis.js').then((m) => new m.RedisStore(target, { timeoutMs: this.settings.timeoutMs, prefix: this.prefix, log: this.log }));
      const late = new Promise<never>((_, reject) => {
        timer = setTimeout(() => reject(new Error(`no answer within ${budgetMs} ms`)), budgetMs);
      });
      const value = await Promise.race([this.shared.then(op), late]);
      if (this.failures > 0) this.log.info('shared store answering again', { after: this.failures });
      this.failures = 0;
      return { ok: true, value };
    } catch (err) {
      this.failures++;
      this.skipUntil = Date.now() + Math.max(SKIP_AFTER_FAILURE_MS, this.settings.timeoutMs);
      this.log.warn('shared store unavailable; going ahead without it', {
        operation: what,
        error: err instanceof Error ? { name: err.name, message: err.message } : String(err),
      });
      return { ok: false };
    } finally {
      clearTimeout(timer);
    }
  }

  async close(): Promise<void> {
    const shared = this.shared;
    this.shared = undefined;
    await Promise.all([this.local.close(), shared?.then((s) => s.close(), () => undefined)]);
  }
}
