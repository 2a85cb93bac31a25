import type { InstanceStatus, InvocationStatus, RepeatMode } from '../types.js';

// How the invocation-level status follows from its instances, after the DescribeInvocations
// documentation (https://www.alibabacloud.com/help/en/ecs/developer-reference/api-ecs-2014-05-26-describeinvocations):
// "if the execution status on at least one instance is X, the overall status is X" for the
// active states, success/failure mixes for the finished ones, and for a periodic (scheduled)
// invocation: Running overall until it is stopped or its schedule ends, its instances
// `Scheduled` between runs; Success (or Failed, …) only once the schedule has ended. First
// match wins:
//   periodic:
//     1. any instance Running / Stopping          → Running / Stopping (a run in progress)
//     2. StopInvocation hit it as a whole         → Stopped (no further runs)
//     3. any instance still scheduled (Scheduled,
//        Pending) or running                      → Running (the schedule goes on)
//     4. every instance finished: the schedule has ended → as a one-time invocation below
//   one-time:
//     1. any instance Running                      → Running
//     2. any instance Stopping                     → Stopping
//     3. any instance Pending                      → Pending
//     4. any instance Scheduled (and not stopped)  → Scheduled
//     5. every instance Stopped/Cancelled/Terminated → Stopped
//     6. no failed instance (Success/Finished, maybe some stopped) → Success
//     7. no successful instance                    → Failed
//     8. otherwise                                 → PartialFailed

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
  if (repeatMode !== 'Once') {
    if (stopRequested) return 'Stopped';
    if (statuses.some((s) => ACTIVE.has(s))) return 'Running';
  }
  if (has('Pending')) return 'Pending';
  if (has('Scheduled') && !stopRequested) return 'Scheduled';
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
