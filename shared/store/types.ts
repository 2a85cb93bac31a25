import type { BudgetSpec } from '../schemas/budget.js';

export type { BudgetSpec };
// The persistence layer behind idempotency and the stop budget (ARCHITECTURE §3: duplicates
// spread over many FC instances still make one stop per chunk; no misfiring rule stops
// more than the budget). Two implementations: in memory (one FC instance) and
// Redis-compatible (Tair, ApsaraDB for Redis, Valkey) shared by every instance.
// Records are opaque strings here; shared/dedupe.ts decides what goes in them.

export type ClaimResult =
  /** This caller owns the key until `ttlMs` passes or it completes/releases it. */
  | { state: 'claimed'; /** The record a released (retryable) attempt left behind. */ previous?: string }
  /** Someone finished this work; `record` is what they stored. */
  | { state: 'completed'; record: string }
  /** Someone else holds the claim right now. */
  | { state: 'in-progress'; remainingMs: number };

export interface BudgetGrant {
  /** How many of the asked-for instance-stops may go ahead (0…asked). */
  granted: number;
  /** Spent in the current window, this grant included. */
  used: number;
  /** Epoch ms at which the oldest spend in the window leaves it (capacity frees then). */
  freesAt: number;
}

export interface IdempotencyStore {
  readonly kind: 'memory' | 'redis';
  /**
   * Atomically take `key` with `token` (in progress for `ttlMs`) unless a record exists.
   * The caller picks the token, so it can still complete or release a claim whose
   * answer came too late.
   */
  claim(key: string, token: string, ttlMs: number): Promise<ClaimResult>;
  /** The work is done: keep `record` for `ttlMs` (only if the claim is still ours). */
  complete(key: string, token: string, record: string, ttlMs: number): Promise<void>;
  /** A retry can finish the work: drop the claim, keep `previous` for the retry to read. */
  release(key: string, token: string, previous: string, ttlMs: number): Promise<void>;
  /** Spend up to `asked` instance-stops of `budget` at `now` (sliding window). */
  spend(scope: string, asked: number, budget: BudgetSpec, now: number): Promise<BudgetGrant>;
  /** Connect ahead of the first request (FC initializer), where that means anything. */
  connect?(): Promise<void>;
  close(): Promise<void>;
}
