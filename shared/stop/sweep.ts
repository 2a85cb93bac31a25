import { mapLimit } from '../concurrency.js';
import type { EcsApi, Invocation } from '../ecs/client.js';
import type { RetryPolicy } from '../ecs/retry.js';
import type { SweepRequest, TargetResult } from '../types.js';
import type { Work } from './resolve.js';
import { listInvocations } from './list.js';
import { targetError } from './target-error.js';

// The watchdog: find invocations that have been running longer than the limit and turn
// them into ordinary work, so they are stopped and verified like any other request.

export interface SweepOptions {
  includeScheduled: boolean;
  concurrency: number;
  retry: RetryPolicy;
  now?: number;
}

export async function sweepTargets(sweep: SweepRequest, ecs: EcsApi, options: SweepOptions): Promise<{ work: Work[]; targets: TargetResult[]; calls: number }> {
  const now = options.now ?? Date.now();
  const cutoff = now - sweep.maxRunningSeconds * 1000;
  const statuses = sweep.includeScheduled ?? options.includeScheduled ? ['Running', 'Scheduled'] : ['Running'];
  const work: Work[] = [];
  const targets: TargetResult[] = [];
  let calls = 0;
  const reason = `running longer than ${sweep.maxRunningSeconds} s (watchdog sweep)`;

  await mapLimit(sweep.regionIds, options.concurrency, async (regionId) => {
    let listed: Invocation[];
    try {
      listed = await listInvocations(
        ecs,
        { regionId, commandId: sweep.commandId, commandName: sweep.commandName },
        statuses,
        options.retry,
        () => calls++,
        'DescribeInvocations returned more than 100 pages; narrow the sweep with commandId or commandName',
      );
    } catch (err) {
      const { requestId, ...error } = targetError(err, 'DescribeInvocations');
      targets.push({ regionId, status: 'failed', ecsRequestId: requestId, error });
      return;
    }
    for (const inv of listed) {
      if (sweep.commandId && inv.commandId !== sweep.commandId) continue;
      if (sweep.commandName && inv.commandName !== sweep.commandName) continue;
      const periodic = inv.repeatMode !== undefined && inv.repeatMode !== 'Once';
      if (periodic && inv.invocationStatus === 'Scheduled' && statuses.includes('Scheduled')) {
        // Between runs (only with includeScheduled): judged by its own age, stopped as a
        // whole so it schedules no more runs.
        if (isOlder(inv.creationTime, cutoff)) work.push({ regionId, invokeId: inv.invokeId, dryRun: sweep.dryRun === true, reason });
        continue;
      }
      // A run in progress (once-off or periodic): each instance by when its run started,
      // so a healthy cron task is never stopped for being old.
      const old = inv.instances
        .filter((i) => i.invocationStatus === undefined || ['Running', 'Scheduled', 'Pending'].includes(i.invocationStatus))
        .filter((i) => isOlder(i.startTime ?? inv.creationTime, cutoff))
        .map((i) => i.instanceId);
      if (inv.instances.length === 0 && isOlder(inv.creationTime, cutoff)) {
        work.push({ regionId, invokeId: inv.invokeId, dryRun: sweep.dryRun === true, reason });
      } else if (old.length > 0) {
        work.push({ regionId, invokeId: inv.invokeId, instanceIds: old, dryRun: sweep.dryRun === true, reason });
      }
    }
  });
  return { work, targets, calls };
}

function isOlder(time: string | undefined, cutoff: number): boolean {
  if (!time) return false;
  const t = Date.parse(time);
  return Number.isFinite(t) && t <= cutoff;
}
