import type { Work } from '../stop/resolve.js';
import { pairKey } from '../stop/stop.js';
import type { TargetResult } from '../types.js';
import type { BudgetSpec } from '../schemas/budget.js';
import type { Stores } from './open.js';

// The blast-radius budget (STOP_BUDGET, e.g. `500/10m`): at most `limit` instance-stops
// in any window of that length, counted in the shared store across every FC instance
// (in this instance alone without one). Pure parts: counting and splitting work; the
// setting itself is parsed in schemas/budget.ts.

/** What one work item spends: each instance it names (a whole-invocation stop: those that came in, at least 1). */
function cost(w: Work, alreadyStopped: ReadonlySet<string>): number {
  if (w.dryRun) return 0;
  if (!w.instanceIds) return Math.max(1, w.covered?.length ?? 0);
  return w.instanceIds.filter((id) => !alreadyStopped.has(pairKey(w.regionId, w.invokeId, id))).length;
}

export function budgetCost(work: readonly Work[], alreadyStopped: ReadonlySet<string>): number {
  return work.reduce((sum, w) => sum + cost(w, alreadyStopped), 0);
}

export interface Limited {
  work: Work[];
  /** Targets beyond the budget, as failed BudgetExceeded. */
  refused: TargetResult[];
}

/** Keep work worth at most `granted` instance-stops (in order); the rest becomes BudgetExceeded. */
export function limitWork(work: readonly Work[], granted: number, alreadyStopped: ReadonlySet<string>, message: string, retryAfterMs: number): Limited {
  const kept: Work[] = [];
  const refused: TargetResult[] = [];
  const error = { code: 'BudgetExceeded', message, retryable: false, retryAfterMs };
  let left = granted;
  for (const w of work) {
    const n = cost(w, alreadyStopped);
    if (n <= left) {
      kept.push(w);
      left -= n;
      continue;
    }
    if (!w.instanceIds) {
      // A whole-invocation stop cannot be cut in part.
      for (const instanceId of [undefined, ...(w.covered ?? [])]) refused.push({ regionId: w.regionId, invokeId: w.invokeId, instanceId, status: 'failed', error });
      continue;
    }
    // Already stopped ones cost nothing and stay (stopAll reports them); the rest in order.
    const allowed: string[] = [];
    for (const id of w.instanceIds) {
      if (alreadyStopped.has(pairKey(w.regionId, w.invokeId, id))) allowed.push(id);
      else if (left > 0) {
        allowed.push(id);
        left--;
      } else refused.push({ regionId: w.regionId, invokeId: w.invokeId, instanceId: id, status: 'failed', error });
    }
    if (allowed.length > 0) kept.push({ ...w, instanceIds: allowed });
  }
  return { work: kept, refused };
}

export interface BudgetTake {
  granted: number;
  used: number;
  freesAt: number;
  scope: 'shared' | 'instance';
}

/** Spends instance-stops of STOP_BUDGET: in the shared store, or in this instance when it has none or it fails. */
export class StopBudget {
  constructor(readonly spec: BudgetSpec, private readonly stores: Stores) {}

  async take(scope: string, asked: number, deadline: number): Promise<BudgetTake> {
    const now = Date.now();
    if (this.stores.configured) {
      const shared = await this.stores.attempt((s) => s.spend(scope, asked, this.spec, now), deadline, 'budget');
      if (shared.ok) {
        // Mirrored here, so a later fallback to this instance's count includes what it spent.
        this.stores.local.recordSpend(shared.value.granted, now, this.spec.windowMs);
        return { ...shared.value, scope: 'shared' };
      }
    }
    return { ...(await this.stores.local.spend(scope, asked, this.spec, now)), scope: 'instance' };
  }
}
