import { mapLimit } from '../concurrency.js';
import type { EcsApi, Invocation } from '../ecs/client.js';
import type { RetryPolicy } from '../ecs/retry.js';
import type { SweepRequest, TargetResult } from '../types.js';
import type { Work } from './resolve.js';
import { listInvocations } from './list.js';
import { targetError } from './target-error.js';

// The watchdog: find executions that have themselves been Running longer than the limit
// and turn them into ordinary work, so they are stopped and verified like any other request.
//
// Per the DescribeInvocations documentation a periodic invocation stays `Running` overall
// until it is stopped or its schedule ends, and between runs its instances are `Scheduled`.
// So neither the invocation's status nor its age says anything about a run: only an
// instance that is `Running`, measured from that execution's own StartTime, is old. A
// schedule between runs is never stopped by age; cancelling old schedules is a separate
// option (`cancelSchedulesOlderThanSeconds`), off unless the sweep request names it.

export interface SweepOptions {
  concurrency: number;
  retry: RetryPolicy;
  now?: number;
}

export async function sweepTargets(sweep: SweepRequest, ecs: EcsApi, options: SweepOptions): Promise<{ work: Work[]; targets: TargetResult[]; calls: number }> {
  const now = options.now ?? Date.now();
  const cutoff = now - sweep.maxRunningSeconds * 1000;
  const scheduleCutoff = sweep.cancelSchedulesOlderThanSeconds === undefined ? undefined : now - sweep.cancelSchedulesOlderThanSeconds * 1000;
  const work: Work[] = [];
  const targets: TargetResult[] = [];
  let calls = 0;
  const dryRun = sweep.dryRun === true;
  const reason = `running longer than ${sweep.maxRunningSeconds} s (watchdog sweep)`;

  await mapLimit(sweep.regionIds, options.concurrency, async (regionId) => {
    let listed: Invocation[];
    try {
      listed = await listInvocations(
        ecs,
        { regionId, commandId: sweep.commandId, commandName: sweep.commandName },
        ['Running'],
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
      if (periodic && scheduleCutoff !== undefined && isOlder(inv.creationTime, scheduleCutoff)) {
        // Asked for explicitly: the whole schedule goes, so it runs no more.
        work.push({ regionId, invokeId: inv.invokeId, dryRun, reason: `schedule older than ${sweep.cancelSchedulesOlderThanSeconds} s (watchdog sweep, cancelSchedulesOlderThanSeconds)` });
        continue;
      }
      // Each execution by its own start: Running, and started before the cutoff. Pending,
      // Scheduled (between runs) and an execution without a known start are never old.
      const old = inv.instances.filter((i) => i.invocationStatus === 'Running' && isOlder(i.startTime, cutoff)).map((i) => i.instanceId);
      if (old.length > 0) work.push({ regionId, invokeId: inv.invokeId, instanceIds: old, dryRun, reason });
    }
  });
  return { work, targets, calls };
}

function isOlder(time: string | undefined, cutoff: number): boolean {
  if (!time) return false;
  const t = Date.parse(time);
  return Number.isFinite(t) && t <= cutoff;
}
