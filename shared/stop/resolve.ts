import { mapLimit } from '../concurrency.js';
import type { EcsApi, Invocation } from '../ecs/client.js';
import { EcsError } from '../ecs/errors.js';
import type { RetryPolicy } from '../ecs/retry.js';
import type { StopRequest, TargetResult } from '../types.js';
import { listInvocations } from './list.js';
import { targetError } from './target-error.js';
import { LIVE_INSTANCE, LIVE_INVOKE_STATUSES } from '../statuses.js';

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

  // Few instances: ask per instance. Many in one region (an alert storm): one region-wide
  // listing per status is far cheaper than three calls per instance (and ECS's rate limit).
  const groups = new Map<string, Array<{ request: StopRequest; instanceId: string }>>();
  for (const entry of byInstance) {
    const { regionId, commandId, commandName } = entry.request;
    const key = JSON.stringify([regionId, commandId, commandName]);
    const group = groups.get(key);
    if (group) group.push(entry);
    else groups.set(key, [entry]);
  }
  const count = () => {
    calls++;
  };
  const notFound = (request: StopRequest, instanceId: string): TargetResult => ({
    regionId: request.regionId,
    instanceId,
    status: 'not-found',
    reason: 'no Running, Pending or Scheduled invocation on this instance' + filterText(request),
  });

  // Each lookup sends one DescribeInvocations per live status at once (below), so fewer
  // lookups run side by side: the calls in flight stay within ECS_CONCURRENCY.
  const lookups = Math.max(1, Math.floor(options.concurrency / LIVE_INVOKE_STATUSES.length));
  const perInstance = (entries: Array<{ request: StopRequest; instanceId: string }>) =>
    mapLimit(entries, lookups, async ({ request, instanceId }) => {
      try {
        const live = (await listLive(ecs, { ...request, instanceId }, options.retry, count)).filter((inv) => isLiveOn(inv, instanceId));
        if (live.length === 0) targets.push(notFound(request, instanceId));
        for (const inv of live) plan.add(request.regionId, inv.invokeId, request.dryRun === true, request.reason, [instanceId]);
      } catch (err) {
        targets.push({ regionId: request.regionId, instanceId, status: 'failed', error: targetError(err, 'DescribeInvocations') });
      }
    });

  await perInstance([...groups.values()].filter((g) => g.length < REGION_SCAN_AT).flat());

  const regionWide = [...groups.values()].filter((g) => g.length >= REGION_SCAN_AT);
  await mapLimit(regionWide, lookups, async (group) => {
    const filter = group[0].request;
    let live: Invocation[];
    try {
      live = await listLive(ecs, { regionId: filter.regionId, commandId: filter.commandId, commandName: filter.commandName }, options.retry, count);
    } catch (err) {
      // A region too busy to list (over 100 pages) is still fine instance by instance.
      if (err instanceof EcsError && err.code === 'TooManyPages') return perInstance(group);
      const error = targetError(err, 'DescribeInvocations');
      for (const { request, instanceId } of group) targets.push({ regionId: request.regionId, instanceId, status: 'failed', error });
      return;
    }
    for (const { request, instanceId } of group) {
      const mine = live.filter((inv) => inv.instances.some((i) => i.instanceId === instanceId) && isLiveOn(inv, instanceId));
      if (mine.length === 0) targets.push(notFound(request, instanceId));
      for (const inv of mine) plan.add(request.regionId, inv.invokeId, request.dryRun === true, request.reason, [instanceId]);
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

/** Instance ids per (region, command filter) from which one region-wide listing is used. */
export const REGION_SCAN_AT = 6;

/** The instance is still going in this invocation (the status filter is per invocation). */
function isLiveOn(inv: Invocation, instanceId: string): boolean {
  const mine = inv.instances.find((i) => i.instanceId === instanceId);
  return !mine || mine.invocationStatus === undefined || LIVE_INSTANCE.has(mine.invocationStatus);
}

/**
 * Invocations in a live status, for one instance or a whole region, filtered by command.
 * `InvokeStatus` takes one value per call (ecs20140526 DescribeInvocationsRequest.invokeStatus
 * is a single string; https://www.alibabacloud.com/help/en/ecs/developer-reference/api-ecs-2014-05-26-describeinvocations),
 * so the three statuses are listed in parallel: one round trip instead of three.
 */
async function listLive(
  ecs: EcsApi,
  filter: { regionId: string; instanceId?: string; commandId?: string; commandName?: string },
  retry: RetryPolicy,
  count: () => void,
): Promise<Invocation[]> {
  const { regionId, instanceId, commandId, commandName } = filter;
  const settled = await Promise.allSettled(
    LIVE_INVOKE_STATUSES.map((status) => listInvocations(ecs, { regionId, instanceId, commandId, commandName }, [status], retry, count)),
  );
  // Every listing has ended before anything is decided (no call outlives the lookup); the
  // first failure in status order is the lookup's, as when they ran one after another.
  const failed = settled.find((r): r is PromiseRejectedResult => r.status === 'rejected');
  if (failed) throw failed.reason;
  const byId = new Map<string, Invocation>();
  for (const r of settled) for (const inv of (r as PromiseFulfilledResult<Invocation[]>).value) if (!byId.has(inv.invokeId)) byId.set(inv.invokeId, inv);
  const all = [...byId.values()];
  return all.filter((inv) => !(commandId && inv.commandId && inv.commandId !== commandId) && !(commandName && inv.commandName && inv.commandName !== commandName));
}

function filterText(r: StopRequest): string {
  const parts = [r.commandId && `commandId ${r.commandId}`, r.commandName && `commandName ${r.commandName}`].filter(Boolean);
  return parts.length ? ` matching ${parts.join(' and ')}` : '';
}
