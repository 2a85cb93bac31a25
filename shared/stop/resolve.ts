import { mapLimit } from '../concurrency.js';
import type { EcsApi, Invocation } from '../ecs/client.js';
import { EcsError } from '../ecs/errors.js';
import { withRetry, type RetryPolicy } from '../ecs/retry.js';
import type { StopRequest, TargetResult } from '../types.js';
import { targetError } from './target-error.js';

// Requests → concrete work: (region, invocation, instances). A request that names an
// invocation is taken as it is; one that names only instances is resolved through
// DescribeInvocations to the invocations still live on them.

export interface Work {
  regionId: string;
  invokeId: string;
  /** undefined = every instance of the invocation. */
  instanceIds?: string[];
  dryRun: boolean;
  reason?: string;
}

export interface Resolved {
  work: Work[];
  /** Instances we could not resolve: not-found (nothing live) or failed (lookup error). */
  targets: TargetResult[];
  calls: number;
}

/** Invocation-level statuses that can still have something to stop. */
export const LIVE_INVOKE_STATUSES = ['Running', 'Pending', 'Scheduled'] as const;
/** Instance-level statuses that mean "still going". */
const LIVE_INSTANCE = new Set(['Running', 'Pending', 'Scheduled', 'Stopping']);

export interface ResolveOptions {
  concurrency: number;
  retry: RetryPolicy;
}

export async function resolveTargets(requests: StopRequest[], ecs: EcsApi, options: ResolveOptions): Promise<Resolved> {
  const work: Work[] = [];
  const targets: TargetResult[] = [];
  let calls = 0;

  const byInstance: Array<{ request: StopRequest; instanceId: string }> = [];
  for (const request of requests) {
    const dryRun = request.dryRun === true;
    if (request.invokeId) {
      work.push({ regionId: request.regionId, invokeId: request.invokeId, instanceIds: request.instanceIds, dryRun, reason: request.reason });
    } else {
      for (const instanceId of request.instanceIds ?? []) byInstance.push({ request, instanceId });
    }
  }

  // invokeId@region → work item, so two instances of one invocation become one stop.
  const found = new Map<string, Work>();
  await mapLimit(byInstance, options.concurrency, async ({ request, instanceId }) => {
    try {
      const live = await findLive(ecs, request, instanceId, options.retry, () => calls++);
      if (live.length === 0) {
        targets.push({ regionId: request.regionId, instanceId, status: 'not-found', reason: 'no Running, Pending or Scheduled invocation on this instance' + filterText(request) });
        return;
      }
      for (const inv of live) {
        const key = `${request.regionId}/${inv.invokeId}/${request.dryRun === true}`;
        let item = found.get(key);
        if (!item) {
          item = { regionId: request.regionId, invokeId: inv.invokeId, instanceIds: [], dryRun: request.dryRun === true, reason: request.reason };
          found.set(key, item);
          work.push(item);
        }
        if (!item.instanceIds?.includes(instanceId)) item.instanceIds?.push(instanceId);
      }
    } catch (err) {
      targets.push({ regionId: request.regionId, instanceId, status: 'failed', error: targetError(err, 'DescribeInvocations') });
    }
  });
  return { work, targets, calls };
}

async function findLive(ecs: EcsApi, request: StopRequest, instanceId: string, retry: RetryPolicy, count: () => void): Promise<Invocation[]> {
  const out = new Map<string, Invocation>();
  for (const invokeStatus of LIVE_INVOKE_STATUSES) {
    let nextToken: string | undefined;
    let pages = 0;
    do {
      const { value: page } = await withRetry(retry, () => {
        count();
        return ecs.describeInvocations({
          regionId: request.regionId,
          instanceId,
          invokeStatus,
          commandId: request.commandId,
          commandName: request.commandName,
          nextToken,
          maxResults: 50,
        });
      });
      for (const inv of page.invocations) {
        const mine = inv.instances.find((i) => i.instanceId === instanceId);
        // The status filter is per invocation; the instance itself may be done already.
        if (mine && mine.invocationStatus !== undefined && !LIVE_INSTANCE.has(mine.invocationStatus)) continue;
        if (request.commandId && inv.commandId && inv.commandId !== request.commandId) continue;
        if (request.commandName && inv.commandName && inv.commandName !== request.commandName) continue;
        out.set(inv.invokeId, inv);
      }
      nextToken = page.nextToken;
      if (++pages > 100) throw new EcsError('TooManyPages', 'DescribeInvocations returned more than 100 pages', false);
    } while (nextToken);
  }
  return [...out.values()];
}

function filterText(r: StopRequest): string {
  const parts = [r.commandId && `commandId ${r.commandId}`, r.commandName && `commandName ${r.commandName}`].filter(Boolean);
  return parts.length ? ` matching ${parts.join(' and ')}` : '';
}
