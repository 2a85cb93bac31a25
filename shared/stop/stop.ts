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
const NOT_A_MEMBER = /^(InvalidInstanceId\.NotFound|InvalidInstance\.NotFound)$/;
/**
 * Authorization refusals. With a tag-scoped RAM policy one untagged instance denies the
 * whole call, so a refused chunk is split until the denied instance stands alone.
 */
const DENIED = /^(Forbidden\.RAM|Forbidden\.SubUser|Forbidden\.NoPermission|NoPermission)$/;

export interface StopOptions {
  concurrency: number;
  retry: RetryPolicy;
  /** (region/invokeId/instanceId) already stopped by an earlier delivery: not stopped again. */
  alreadyStopped?: ReadonlySet<string>;
  /**
   * Without verification, a whole-invocation stop says nothing about the instance ids that
   * rode along with it: read the invocation's members once so each is judged by what ECS
   * lists (one not in it is `failed InvalidInstanceId.NotFound`). Verification does this itself.
   */
  checkCovered?: boolean;
}

export interface StopOutcome {
  targets: TargetResult[];
  calls: number;
  attempts: number;
}

export const pairKey = (regionId: string | undefined, invokeId: string | undefined, instanceId: string | undefined) =>
  `${regionId ?? ''}/${invokeId ?? ''}/${instanceId ?? '*'}`;

interface Members {
  /** The invocation's instance ids, when they could be read. */
  ids?: Set<string>;
  error?: string;
}

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
  // Halving is the fallback when the invocation's members cannot be read, and the way to
  // isolate an authorization refusal; bounded.
  let splitBudget = 2 * calls.length + 20;
  const members = new Map<string, Promise<Members>>();
  const membersOf = (w: Work): Promise<Members> => {
    const key = `${w.regionId}/${w.invokeId}`;
    let known = members.get(key);
    if (!known) {
      sent++;
      known = withRetry(options.retry, () => ecs.describeInvocations({ regionId: w.regionId, invokeId: w.invokeId }))
        .then(({ value }): Members => {
          const inv = value.invocations.find((i) => i.invokeId === w.invokeId);
          return inv ? { ids: new Set(inv.instances.map((i) => i.instanceId)) } : { error: `DescribeInvocations did not list ${w.invokeId}` };
        })
        .catch((err: unknown): Members => {
          const e = targetError(err, 'DescribeInvocations');
          return { error: `${e.code}: ${e.message}` };
        });
      members.set(key, known);
    }
    return known;
  };
  const fail = (w: Work, ids: Array<string | undefined>, error: TargetError, ecsRequestId?: string): TargetResult[] =>
    ids.map((instanceId) => ({ regionId: w.regionId, invokeId: w.invokeId, instanceId, status: 'failed', ecsRequestId, error }));
  const notMember = (w: Work, instanceId: string, ecsRequestId?: string): TargetResult => ({
    regionId: w.regionId,
    invokeId: w.invokeId,
    instanceId,
    status: 'failed',
    ecsRequestId,
    error: { code: 'InvalidInstanceId.NotFound', message: `instance ${instanceId} is not part of invocation ${w.invokeId}, so nothing was stopped there`, retryable: false, statusCode: 404 },
  });

  // Instance ids that came in with a whole-invocation stop ECS accepted: each is judged by
  // whether the invocation lists it.
  const judgeCovered = async (w: Work, ecsRequestId: string): Promise<TargetResult[]> => {
    const covered = w.covered ?? [];
    if (covered.length === 0 || !options.checkCovered) {
      return covered.map((instanceId) => ({ regionId: w.regionId, invokeId: w.invokeId, instanceId, status: 'stopped', ecsRequestId }));
    }
    const known = await membersOf(w);
    return covered.map((instanceId): TargetResult => {
      if (known.ids?.has(instanceId)) return { regionId: w.regionId, invokeId: w.invokeId, instanceId, status: 'stopped', ecsRequestId };
      if (known.ids) return notMember(w, instanceId, ecsRequestId);
      return {
        regionId: w.regionId,
        invokeId: w.invokeId,
        instanceId,
        status: 'failed',
        ecsRequestId,
        error: {
          code: 'Verification.Unavailable',
          message: `StopInvocation was accepted for the invocation but whether ${instanceId} is part of it could not be read (${known.error ?? 'unknown'}); a retry re-stops and re-checks`,
          retryable: true,
          statusCode: 503,
        },
      };
    });
  };

  // One call. When ECS refuses the whole chunk because some id in it is not part of the
  // invocation, the ids outside it are found from the invocation's own instance list (one
  // DescribeInvocations per invocation) and the rest stopped, so one stray id cannot keep
  // the other 49 running; if that list cannot be read, the chunk is halved instead. An
  // authorization refusal is halved the same way (the denied instance is a member), and a
  // refused whole-invocation stop is retried instance by instance from that list.
  const stop = async (w: Work, instanceIds: string[] | undefined): Promise<TargetResult[]> => {
    sent++;
    try {
      const { value, attempts: n } = await withRetry(options.retry, () => ecs.stopInvocation(w.regionId, w.invokeId, instanceIds));
      attempts += n;
      if (instanceIds) return instanceIds.map((instanceId) => ({ regionId: w.regionId, invokeId: w.invokeId, instanceId, status: 'stopped', ecsRequestId: value.requestId }));
      // A whole-invocation stop reports itself (no instance) and each instance id that came in.
      return [{ regionId: w.regionId, invokeId: w.invokeId, status: 'stopped', ecsRequestId: value.requestId }, ...(await judgeCovered(w, value.requestId))];
    } catch (err) {
      attempts += err instanceof RetryError ? err.attempts : 1;
      const { requestId, ...error } = targetError(err, 'StopInvocation');
      const ids: Array<string | undefined> = instanceIds ?? [undefined, ...(w.covered ?? [])];
      const denied = DENIED.test(error.code);
      if (!instanceIds) {
        if (!denied) return fail(w, ids, error, requestId);
        const known = await membersOf(w);
        if (!known.ids || known.ids.size === 0) return fail(w, ids, error, requestId);
        const listed = known.ids;
        const strays = (w.covered ?? []).filter((id) => !listed.has(id)).map((id) => notMember(w, id));
        const parts = chunk([...listed], MAX_IDS_PER_CALL);
        splitBudget += 2 * parts.length;
        const stopped: TargetResult[] = [];
        for (const part of parts) stopped.push(...(await stop(w, part)));
        return [...strays, ...stopped];
      }
      if (instanceIds.length < 2 || !(denied || NOT_A_MEMBER.test(error.code))) return fail(w, ids, error, requestId);
      if (!denied) {
        const known = await membersOf(w);
        const listed = known.ids;
        const inside = listed ? instanceIds.filter((id) => listed.has(id)) : instanceIds;
        if (listed && inside.length < instanceIds.length) {
          const strays = instanceIds.filter((id) => !listed.has(id));
          return [...fail(w, strays, error, requestId), ...(inside.length > 0 ? await stop(w, inside) : [])];
        }
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
