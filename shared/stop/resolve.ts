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
  /** With a whole-invocation stop: instance ids that came in and that stop covers (each gets its own target). */
  covered?: string[];
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
  const plan = new WorkPlan();
  const targets: TargetResult[] = [];
  let calls = 0;

  const byInstance: Array<{ request: StopRequest; instanceId: string }> = [];
  for (const request of requests) {
    if (request.invokeId) plan.add(request.regionId, request.invokeId, request.dryRun === true, request.reason, request.instanceIds);
    else for (const instanceId of request.instanceIds ?? []) byInstance.push({ request, instanceId });
  }

  await mapLimit(byInstance, options.concurrency, async ({ request, instanceId }) => {
    try {
      const live = await findLive(ecs, request, instanceId, options.retry, () => calls++);
      if (live.length === 0) {
        targets.push({ regionId: request.regionId, instanceId, status: 'not-found', reason: 'no Running, Pending or Scheduled invocation on this instance' + filterText(request) });
        return;
      }
      for (const inv of live) plan.add(request.regionId, inv.invokeId, request.dryRun === true, request.reason, [instanceId]);
    } catch (err) {
      targets.push({ regionId: request.regionId, instanceId, status: 'failed', error: targetError(err, 'DescribeInvocations') });
    }
  });
  return { work: plan.work(), targets, calls };
}

/**
 * Work keyed by (region, invocation, dry run), so the same invocation is stopped once:
 * instance lists merge, and a whole-invocation stop absorbs them (they become `covered`,
 * still reported one target each).
 */
class WorkPlan {
  private readonly items = new Map<string, { regionId: string; invokeId: string; dryRun: boolean; reason?: string; whole: boolean; ids: Set<string> }>();

  add(regionId: string, invokeId: string, dryRun: boolean, reason: string | undefined, instanceIds: string[] | undefined): void {
    const key = `${regionId}/${invokeId}/${dryRun}`;
    let item = this.items.get(key);
    if (!item) {
      item = { regionId, invokeId, dryRun, reason, whole: false, ids: new Set() };
      this.items.set(key, item);
    }
    if (instanceIds === undefined) item.whole = true;
    else for (const id of instanceIds) item.ids.add(id);
  }

  work(): Work[] {
    return [...this.items.values()].map(({ regionId, invokeId, dryRun, reason, whole, ids }) =>
      whole
        ? { regionId, invokeId, dryRun, reason, covered: ids.size > 0 ? [...ids] : undefined }
        : { regionId, invokeId, dryRun, reason, instanceIds: [...ids] },
    );
  }
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
