// Cloud Assistant statuses and the sets every stage derives from them, defined once.
// InvocationStatus / InvokeStatus values as DescribeInvocations documents them:
//   https://www.alibabacloud.com/help/en/ecs/developer-reference/api-ecs-2014-05-26-describeinvocations
// A periodic invocation's instance is `Scheduled` between runs while the invocation stays
// `Running`; `Success` only after the schedule ends (README "What a target's status means").

/** Invocation-level statuses that can still have something to stop: what resolution lists. */
export const LIVE_INVOKE_STATUSES = ['Running', 'Pending', 'Scheduled'] as const;

/** Instance-level statuses that mean "still going" (verification waits on the same set). */
export const LIVE_INSTANCE: ReadonlySet<string> = new Set(['Running', 'Pending', 'Scheduled', 'Stopping']);

/** Instance-level statuses that have not finished: what the rollout guard stops. */
export const UNFINISHED_INSTANCE: ReadonlySet<string> = new Set(['Pending', 'Scheduled', 'Running']);

/** What a stop leaves behind on an instance: stopped while running, or cancelled before it started. */
export const STOPPED_INSTANCE: ReadonlySet<string> = new Set(['Stopped', 'Cancelled', 'Terminated']);

/** Instance-level statuses that count as a failed run (not Success; Cancelled/Terminated are stops). */
export const FAILED_INSTANCE: ReadonlySet<string> = new Set(['Failed', 'Error', 'Timeout', 'Invalid', 'Aborted']);

/** Invocation-level statuses after which a periodic invocation schedules nothing more. */
export const ENDED_INVOCATION: ReadonlySet<string> = new Set(['Stopped', 'Stopping', 'Success', 'Failed', 'PartialFailed']);
