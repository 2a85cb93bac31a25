import type { TargetResult } from '../types.js';

// The one place that decides the HTTP status from the targets (README, "The result"):
// it tells the sender what to do next. Pure; every row is in test/status.test.ts.
//
//   no target failed                                   → 200
//   some target failed in a way a retry can fix        → that 5xx when all such failures
//                                                         agree on one, else 503; + Retry-After
//   the rest: failures a retry cannot fix, and at least
//     one target handled (stopped, skipped, not found,
//     dry run)                                         → 207
//   every target failed, none retryable:
//     all with the same 4xx from ECS (or the request)  → that 4xx (404, 403, 400, …)
//     all with a 4xx, but different ones               → 400
//     otherwise (our credentials or permissions, a
//     command still running after the stop)            → 424

export interface HttpVerdict {
  status: number;
  /** Seconds, only with a 5xx. */
  retryAfterSeconds?: number;
}

const DEFAULT_RETRY_AFTER_SECONDS = 5;

export function httpStatusFor(targets: readonly TargetResult[]): HttpVerdict {
  const failures = targets.filter((t) => t.status === 'failed');
  if (failures.length === 0) return { status: 200 };
  const retryable = failures.filter((t) => t.error?.retryable === true);
  if (retryable.length > 0) {
    const codes = new Set(retryable.map((t) => t.error?.statusCode));
    const only = codes.size === 1 ? [...codes][0] : undefined;
    const waitMs = Math.max(0, ...retryable.map((t) => t.error?.retryAfterMs ?? 0));
    return {
      status: only !== undefined && only >= 500 && only <= 599 ? only : 503,
      retryAfterSeconds: waitMs > 0 ? Math.ceil(waitMs / 1000) : DEFAULT_RETRY_AFTER_SECONDS,
    };
  }
  if (failures.length < targets.length) return { status: 207 };
  const statuses = new Set(failures.map((t) => t.error?.statusCode));
  const all4xx = [...statuses].every((s) => s !== undefined && s >= 400 && s <= 499);
  if (!all4xx) return { status: 424 };
  return { status: statuses.size === 1 ? ([...statuses][0] as number) : 400 };
}

/** Some target failed in a way a retry can fix (HTTP senders get a 5xx; events are thrown back to FC). */
export function retryCanHelp(targets: readonly TargetResult[]): boolean {
  return targets.some((t) => t.status === 'failed' && t.error?.retryable === true);
}
