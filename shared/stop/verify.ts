import { mapLimit } from '../concurrency.js';
import type { EcsApi, Invocation } from '../ecs/client.js';
import { withRetry, type RetryPolicy } from '../ecs/retry.js';
import type { TargetResult } from '../types.js';
import { LIVE_INSTANCE } from './resolve.js';
import { targetError } from './target-error.js';

// StopInvocation's documented semantics: executions not yet started are cancelled, ones
// already started may run on. So after stopping we read back what ECS says and report
// that, never what we hoped: a target still Running after the grace period is not
// "stopped".

/** What a stop leaves behind: stopped while running, or cancelled before it started. */
const STOPPED = new Set(['Stopped', 'Cancelled', 'Terminated']);

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
    const whole = g.targets.some((t) => t.instanceId === undefined);
    for (;;) {
      let invocation: Invocation | undefined;
      try {
        const { value } = await withRetry(options.retry, () => {
          calls++;
          return ecs.describeInvocations({ regionId: g.regionId, invokeId: g.invokeId });
        });
        invocation = value.invocations.find((i) => i.invokeId === g.invokeId);
      } catch (err) {
        const { message } = targetError(err, 'DescribeInvocations');
        return g.targets.map((t) => ({ ...t, reason: `stop accepted; verification failed (${message})` }));
      }
      // A periodic invocation stopped as a whole schedules no further runs; its instances'
      // last runs may have ended long ago, so the invocation's own status is what counts.
      // Stopped on some instances only, each instance keeps its own status.
      const periodic = whole && invocation?.repeatMode !== undefined && invocation.repeatMode !== 'Once' && invocation.invocationStatus !== undefined;
      const states = new Map<string, string | undefined>(
        (invocation?.instances ?? []).map((i) => [i.instanceId, periodic ? invocation?.invocationStatus : i.invocationStatus]),
      );
      const expanded = expand(g.targets, states);
      const stillGoing = expanded.some((t) => t.invocationStatus !== undefined && LIVE_INSTANCE.has(t.invocationStatus));
      if (!stillGoing || Date.now() + pollMs > until) return expanded.map(judge);
      await sleep(pollMs);
    }
  });
  return { targets: [...rest, ...verified.flat()], calls };
}

/**
 * A whole-invocation target becomes one target per instance ECS lists, except the instances
 * already named by a target of their own (so none is reported twice).
 */
function expand(targets: TargetResult[], states: Map<string, string | undefined>): TargetResult[] {
  const named = new Set(targets.map((t) => t.instanceId).filter((id): id is string => id !== undefined));
  const out: TargetResult[] = [];
  for (const t of targets) {
    if (t.instanceId === undefined && states.size > 0) {
      for (const [instanceId, invocationStatus] of states) if (!named.has(instanceId)) out.push({ ...t, instanceId, invocationStatus });
    } else {
      out.push({ ...t, invocationStatus: t.instanceId ? states.get(t.instanceId) : undefined });
    }
  }
  return out;
}

/** What ECS reports after the stop decides what we may say about each target. */
function judge(t: TargetResult): TargetResult {
  const s = t.invocationStatus;
  if (s === undefined || STOPPED.has(s)) return t;
  if (LIVE_INSTANCE.has(s)) {
    return {
      ...t,
      status: 'failed',
      error: {
        code: 'Invocation.StillRunning',
        message: `StopInvocation was accepted but ECS still reports ${s} for this instance after the grace period; a command that had already started may keep running (documented StopInvocation behaviour)`,
        retryable: false,
      },
    };
  }
  // Finished on its own (Success, Failed, Timeout, …) before the stop reached it: nothing was stopped.
  return { ...t, status: 'skipped', reason: `not running when the stop arrived (${s})` };
}
