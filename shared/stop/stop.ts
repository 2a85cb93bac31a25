import { chunk, mapLimit } from '../concurrency.js';
import type { EcsApi } from '../ecs/client.js';
import { withRetry, RetryError, type RetryPolicy } from '../ecs/retry.js';
import type { TargetError, TargetResult } from '../types.js';
import type { Work } from './resolve.js';
import { targetError } from './target-error.js';

// Work → StopInvocation calls of at most 50 instance ids (ECS refuses more with
// InstanceIds.ExceedLimit), run with bounded concurrency; a failed chunk fails only its
// own targets.

export const MAX_IDS_PER_CALL = 50;

/** Errors that name a bad instance id inside an otherwise good chunk. */
const SPLIT_ON = /^InvalidInstanceId\.NotFound$|^InvalidInstance\.NotFound$/;

export interface StopOptions {
  concurrency: number;
  retry: RetryPolicy;
  /** (region/invokeId/instanceId) already stopped by an earlier delivery: not stopped again. */
  alreadyStopped?: ReadonlySet<string>;
}

export interface StopOutcome {
  targets: TargetResult[];
  calls: number;
  attempts: number;
}

export const pairKey = (regionId: string | undefined, invokeId: string | undefined, instanceId: string | undefined) =>
  `${regionId ?? ''}/${invokeId ?? ''}/${instanceId ?? '*'}`;

interface Call {
  work: Work;
  instanceIds?: string[];
}

export async function stopAll(work: Work[], ecs: EcsApi, options: StopOptions): Promise<StopOutcome> {
  const targets: TargetResult[] = [];
  const calls: Call[] = [];
  for (const w of work) {
    if (w.dryRun) {
      for (const instanceId of w.instanceIds ?? [undefined, ...(w.covered ?? [])]) {
        targets.push({ regionId: w.regionId, invokeId: w.invokeId, instanceId, status: 'dry-run', reason: 'dry run: StopInvocation not called' });
      }
      continue;
    }
    if (!w.instanceIds) {
      calls.push({ work: w });
      continue;
    }
    const pending: string[] = [];
    for (const instanceId of w.instanceIds) {
      if (options.alreadyStopped?.has(pairKey(w.regionId, w.invokeId, instanceId))) {
        targets.push({ regionId: w.regionId, invokeId: w.invokeId, instanceId, status: 'stopped', reason: 'already stopped by an earlier delivery' });
      } else {
        pending.push(instanceId);
      }
    }
    for (const ids of chunk(pending, MAX_IDS_PER_CALL)) calls.push({ work: w, instanceIds: ids });
  }

  let attempts = 0;
  let sent = 0;
  // Halving is the fallback when the invocation's members cannot be read; bounded.
  let splitBudget = 2 * calls.length + 20;
  const members = new Map<string, Promise<Set<string> | undefined>>();
  const membersOf = (w: Work) => {
    const key = `${w.regionId}/${w.invokeId}`;
    let known = members.get(key);
    if (!known) {
      sent++;
      known = withRetry(options.retry, () => ecs.describeInvocations({ regionId: w.regionId, invokeId: w.invokeId }))
        .then(({ value }) => new Set(value.invocations.find((i) => i.invokeId === w.invokeId)?.instances.map((i) => i.instanceId) ?? []))
        .then((set) => (set.size > 0 ? set : undefined))
        .catch(() => undefined);
      members.set(key, known);
    }
    return known;
  };
  const fail = (w: Work, ids: Array<string | undefined>, error: TargetError, ecsRequestId?: string): TargetResult[] =>
    ids.map((instanceId) => ({ regionId: w.regionId, invokeId: w.invokeId, instanceId, status: 'failed', ecsRequestId, error }));

  // One call. When ECS refuses the whole chunk because some id in it is not part of the
  // invocation, the ids outside it are found from the invocation's own instance list (one
  // DescribeInvocations per invocation) and the rest stopped, so one stray id cannot keep
  // the other 49 running; if that list cannot be read, the chunk is halved instead.
  const stop = async (w: Work, instanceIds: string[] | undefined): Promise<TargetResult[]> => {
    // A whole-invocation stop reports itself (no instance) and each instance id that came in.
    const ids: Array<string | undefined> = instanceIds ?? [undefined, ...(w.covered ?? [])];
    sent++;
    try {
      const { value, attempts: n } = await withRetry(options.retry, () => ecs.stopInvocation(w.regionId, w.invokeId, instanceIds));
      attempts += n;
      return ids.map((instanceId) => ({ regionId: w.regionId, invokeId: w.invokeId, instanceId, status: 'stopped', ecsRequestId: value.requestId }));
    } catch (err) {
      attempts += err instanceof RetryError ? err.attempts : 1;
      const { requestId, ...error } = targetError(err, 'StopInvocation');
      if (!instanceIds || instanceIds.length < 2 || !SPLIT_ON.test(error.code)) return fail(w, ids, error, requestId);
      const known = await membersOf(w);
      const inside = known ? instanceIds.filter((id) => known.has(id)) : instanceIds;
      if (known && inside.length < instanceIds.length) {
        const strays = instanceIds.filter((id) => !known.has(id));
        return [...fail(w, strays, error, requestId), ...(inside.length > 0 ? await stop(w, inside) : [])];
      }
      if (splitBudget <= 0) return fail(w, ids, error, requestId);
      splitBudget--;
      const half = Math.ceil(instanceIds.length / 2);
      return [...(await stop(w, instanceIds.slice(0, half))), ...(await stop(w, instanceIds.slice(half)))];
    }
  };
  const results = await mapLimit(calls, options.concurrency, ({ work: w, instanceIds }) => stop(w, instanceIds));
  for (const r of results) targets.push(...r);
  return { targets, calls: sent, attempts };
}
