import { mapLimit } from '../concurrency.js';
import type { EcsApi, Invocation } from '../ecs/client.js';
import { withRetry, type RetryPolicy } from '../ecs/retry.js';
import type { TargetError, TargetResult } from '../types.js';
import { LIVE_INSTANCE, STOPPED_INSTANCE } from '../statuses.js';
import { targetError } from './target-error.js';

// StopInvocation's documented semantics: executions not yet started are cancelled, ones
// already started may run on. So after stopping we read back what ECS says and report
// that, never what we hoped. A target is `stopped` only when DescribeInvocations shows
// that very instance no longer running; anything we could not see is `failed` with a
// code that says so:
//   Verification.Unavailable (retryable)  the read-back failed or did not report the instance's state
//   InvalidInstanceId.NotFound            the invocation has no such instance (it rode along with a whole stop)
//   Invocation.StillRunning (not retryable) ECS still reports it going after the grace period


export interface VerifyOptions {
  graceMs: number;
  pollMs?: number;
  concurrency: number;
  retry: RetryPolicy;
  /** Never poll past this epoch ms. */
  deadline: number;
  sleep?: (ms: number) => Promise<void>;
}

const defaultSleep = (ms: number) => new Promise<void>((resolve) => setTimeout(resolve, ms));

export async function verifyTargets(targets: TargetResult[], ecs: EcsApi, options: VerifyOptions): Promise<{ targets: TargetResult[]; calls: number }> {
  const groups = new Map<string, { regionId: string; invokeId: string; targets: TargetResult[] }>();
  const rest: TargetResult[] = [];
  for (const t of targets) {
    // `stopped` here means "ECS accepted the stop"; it stays so only if the read-back agrees.
    if (t.status === 'stopped' && t.regionId && t.invokeId) {
      const key = `${t.regionId}/${t.invokeId}`;
      const g = groups.get(key) ?? { regionId: t.regionId, invokeId: t.invokeId, targets: [] };
      g.targets.push(t);
      groups.set(key, g);
    } else {
      rest.push(t);
    }
  }
  let calls = 0;
  const sleep = options.sleep ?? defaultSleep;
  const pollMs = options.pollMs ?? 250;
  const verified = await mapLimit([...groups.values()], options.concurrency, async (g) => {
    const until = Math.min(Date.now() + options.graceMs, options.deadline);
    let judged: TargetResult[] | undefined;
    for (;;) {
      let invocation: Invocation | undefined;
      try {
        const { value } = await withRetry(options.retry, () => {
          calls++;
          return ecs.describeInvocations({ regionId: g.regionId, invokeId: g.invokeId });
        });
        invocation = value.invocations.find((i) => i.invokeId === g.invokeId);
      } catch (err) {
        // What ECS said last is still the truth we have; never having read it, we know nothing.
        return judged ?? g.targets.map((t) => unavailable(t, readFailure(err)));
      }
      judged = judgeAll(g.targets, g.invokeId, invocation);
      const stillGoing = judged.some((t) => t.error?.code === STILL_RUNNING);
      if (!stillGoing || Date.now() + pollMs > until) return judged;
      await sleep(pollMs);
    }
  });
  return { targets: [...rest, ...verified.flat()], calls };
}

const STILL_RUNNING = 'Invocation.StillRunning';

function readFailure(err: unknown): { message: string; retryAfterMs?: number } {
  const e = targetError(err, 'DescribeInvocations');
  return { message: `${e.code}: ${e.message}`, retryAfterMs: e.retryAfterMs };
}

function unavailable(t: TargetResult, cause: { message: string; retryAfterMs?: number }): TargetResult {
  const error: TargetError = {
    code: 'Verification.Unavailable',
    message: `StopInvocation was accepted but whether it took effect could not be read back (${cause.message}); a retry re-stops and re-verifies`,
    retryable: true,
    statusCode: 503,
  };
  if (cause.retryAfterMs !== undefined) error.retryAfterMs = cause.retryAfterMs;
  return { ...t, status: 'failed', error };
}

/** Each target judged by what DescribeInvocations reports for that very instance. */
function judgeAll(targets: TargetResult[], invokeId: string, invocation: Invocation | undefined): TargetResult[] {
  if (!invocation) return targets.map((t) => unavailable(t, { message: `DescribeInvocations did not list ${invokeId}` }));
  const whole = targets.some((t) => t.instanceId === undefined);
  // A periodic invocation stopped as a whole schedules no further runs: an instance between
  // runs is judged by the invocation's own status (Stopped once the schedule is cancelled);
  // an execution in progress is judged by its own. Stopped on some instances only, each
  // instance keeps its own status.
  const periodic = whole && invocation.repeatMode !== undefined && invocation.repeatMode !== 'Once';
  const states = new Map<string, string | undefined>(
    invocation.instances.map((i) => [
      i.instanceId,
      periodic && !ownCounts(i.invocationStatus) ? invocation.invocationStatus : i.invocationStatus,
    ]),
  );
  const named = new Set(targets.map((t) => t.instanceId).filter((id): id is string => id !== undefined));
  const out: TargetResult[] = [];
  for (const t of targets) {
    if (t.instanceId === undefined) {
      // A whole-invocation stop: one target per instance ECS lists (those not named on their own).
      if (states.size === 0) out.push(judge({ ...t, invocationStatus: invocation.invocationStatus }));
      for (const [instanceId, invocationStatus] of states) if (!named.has(instanceId)) out.push(judge({ ...t, instanceId, invocationStatus }));
    } else if (!states.has(t.instanceId)) {
      out.push({
        ...t,
        status: 'failed',
        invocationStatus: undefined,
        error: { code: 'InvalidInstanceId.NotFound', message: `instance ${t.instanceId} is not part of invocation ${invokeId} (DescribeInvocations lists no such instance), so nothing was stopped there`, retryable: false, statusCode: 404 },
      });
    } else {
      out.push(judge({ ...t, invocationStatus: states.get(t.instanceId) }));
    }
  }
  return out;
}

/** An instance status that speaks for itself even within a periodic invocation: a run going on, or one stopped. */
function ownCounts(s: string | undefined): boolean {
  return s === 'Running' || s === 'Stopping' || (s !== undefined && STOPPED_INSTANCE.has(s));
}

/** What ECS reports after the stop decides what we may say about each target. */
function judge(t: TargetResult): TargetResult {
  const s = t.invocationStatus;
  if (s === undefined || s === '') return unavailable(t, { message: 'DescribeInvocations reported no status for this instance' });
  if (STOPPED_INSTANCE.has(s)) return t;
  if (LIVE_INSTANCE.has(s)) {
    return {
      ...t,
      status: 'failed',
      error: {
        code: STILL_RUNNING,
        message: `StopInvocation was accepted but ECS still reports ${s} for this instance after the grace period; a command that had already started may keep running (documented StopInvocation behaviour)`,
        retryable: false,
      },
    };
  }
  // Finished on its own (Success, Failed, Timeout, …) before the stop reached it: nothing was stopped.
  return { ...t, status: 'skipped', reason: `not running when the stop arrived (${s})` };
}
