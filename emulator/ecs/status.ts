import type { InstanceStatus, InvocationStatus, RepeatMode } from '../types.js';

// How the invocation-level status follows from its instances. Rule (modelled on the
// DescribeInvocations documentation: "if the execution status on at least one instance is
// X, the overall status is X" for the active states, and success/failure mixes for the
// finished ones), first match wins:
//   1. any instance Running                      → Running
//   2. any instance Stopping                     → Stopping
//   3. any instance Pending                      → Pending
//   4. any instance Scheduled (and not stopped)  → Scheduled
//   5. a periodic invocation between runs        → Stopped once StopInvocation hit it (no
//                                                   further runs), else Scheduled
//   6. every instance Stopped/Cancelled/Terminated → Stopped
//   7. no failed instance (Success/Finished, maybe some stopped) → Success
//   8. no successful instance                    → Failed
//   9. otherwise                                 → PartialFailed

const SUCCESS: ReadonlySet<InstanceStatus> = new Set(['Success', 'Finished']);
const STOPPED: ReadonlySet<InstanceStatus> = new Set(['Stopped', 'Cancelled', 'Terminated']);
const ACTIVE: ReadonlySet<InstanceStatus> = new Set(['Pending', 'Scheduled', 'Running', 'Stopping']);

export function isActive(status: InstanceStatus): boolean {
  return ACTIVE.has(status);
}

export function deriveInvocationStatus(
  statuses: readonly InstanceStatus[],
  repeatMode: RepeatMode,
  stopRequested: boolean,
): InvocationStatus {
  const has = (s: InstanceStatus) => statuses.includes(s);
  if (has('Running')) return 'Running';
  if (has('Stopping')) return 'Stopping';
  if (has('Pending')) return 'Pending';
  if (has('Scheduled') && !stopRequested) return 'Scheduled';
  if (repeatMode !== 'Once') return stopRequested ? 'Stopped' : 'Scheduled';
  if (statuses.length > 0 && statuses.every((s) => STOPPED.has(s))) return 'Stopped';
  const anySuccess = statuses.some((s) => SUCCESS.has(s));
  const anyFailure = statuses.some((s) => !SUCCESS.has(s) && !STOPPED.has(s));
  if (!anyFailure) return anySuccess ? 'Success' : 'Stopped';
  if (!anySuccess) return 'Failed';
  return 'PartialFailed';
}

/** The legacy aggregate `InvokeStatus` (Running | Finished | Failed | PartialFinished | Stopped). */
export function legacyInvokeStatus(status: InvocationStatus): string {
  switch (status) {
    case 'Pending':
    case 'Scheduled':
    case 'Running':
    case 'Stopping':
      return 'Running';
    case 'Success':
      return 'Finished';
    case 'PartialFailed':
      return 'PartialFinished';
    default:
      return status;
  }
}

/** The legacy per-instance `InstanceInvokeStatus` / `InvokeRecordStatus`. */
export function legacyInstanceStatus(status: InstanceStatus): string {
  switch (status) {
    case 'Success':
      return 'Finished';
    case 'Error':
    case 'Timeout':
    case 'Invalid':
    case 'Aborted':
      return 'Failed';
    case 'Cancelled':
    case 'Terminated':
      return 'Stopped';
    default:
      return status;
  }
}

/**
 * An `InvokeStatus` filter matches the current name or the legacy aggregate one, so
 * `Running` also finds Pending/Scheduled/Stopping invocations, `Finished` finds Success.
 */
export function statusMatches(filter: string, status: InvocationStatus): boolean {
  return filter === status || filter === legacyInvokeStatus(status);
}
