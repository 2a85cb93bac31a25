import { describe, expect, it } from 'vitest';
import type { DescribeParams, EcsApi, Invocation } from '../shared/ecs/client.js';
import { EcsError } from '../shared/ecs/errors.js';
import type { RetryPolicy } from '../shared/ecs/retry.js';
import { resolveTargets } from '../shared/stop/resolve.js';
import { stopAll } from '../shared/stop/stop.js';
import { sweepTargets } from '../shared/stop/sweep.js';
import { verifyTargets } from '../shared/stop/verify.js';
import { everyOf } from './helpers/expect.js';

// The stop/ stages alone, against an in-memory EcsApi that keeps the documented rules
// (StopInvocation: ≤ 50 InstanceId.N, InvalidInstanceId.NotFound for an id the invocation
// does not have; DescribeInvocations: one InvokeStatus per call, paged), beside the
// end-to-end suites that run the same stages through the real SDK and the emulator.
// https://www.alibabacloud.com/help/en/ecs/developer-reference/api-ecs-2014-05-26-stopinvocation
// https://www.alibabacloud.com/help/en/ecs/developer-reference/api-ecs-2014-05-26-describeinvocations

class MemoryEcs implements EcsApi {
  readonly calls: Array<{ action: string; params: unknown }> = [];
  constructor(readonly invocations: Invocation[]) {}

  async stopInvocation(regionId: string, invokeId: string, instanceIds?: string[]) {
    this.calls.push({ action: 'StopInvocation', params: { regionId, invokeId, instanceIds } });
    const inv = this.invocations.find((i) => i.invokeId === invokeId);
    if (!inv) throw new EcsError('InvalidInvokeId.NotFound', 'The specified invoke id does not exist.', false, 404);
    if ((instanceIds?.length ?? 0) > 50) throw new EcsError('InstanceIds.ExceedLimit', 'at most 50', false, 403);
    const stray = (instanceIds ?? []).find((id) => !inv.instances.some((i) => i.instanceId === id));
    if (stray) throw new EcsError('InvalidInstanceId.NotFound', `${stray} is not in ${invokeId}`, false, 404);
    for (const i of inv.instances) {
      if (instanceIds && !instanceIds.includes(i.instanceId)) continue;
      if (i.invocationStatus === 'Running' || i.invocationStatus === 'Scheduled') i.invocationStatus = 'Stopped';
      if (i.invocationStatus === 'Pending') i.invocationStatus = 'Cancelled';
    }
    if (!instanceIds) inv.invocationStatus = 'Stopped';
    return { requestId: `req-${this.calls.length}` };
  }

  async describeInvocations(p: DescribeParams) {
    this.calls.push({ action: 'DescribeInvocations', params: p });
    const all = this.invocations.filter(
      (i) =>
        (!p.invokeId || i.invokeId === p.invokeId) &&
        (!p.instanceId || i.instances.some((x) => x.instanceId === p.instanceId)) &&
        (!p.invokeStatus || i.invocationStatus === p.invokeStatus) &&
        (!p.commandName || i.commandName === p.commandName),
    );
    const start = Number(p.nextToken ?? 0);
    const size = p.maxResults ?? 50;
    const page = all.slice(start, start + size).map((i) => structuredClone(i));
    return { invocations: page, nextToken: start + size < all.length ? String(start + size) : undefined, requestId: 'req-d' };
  }
}

const retry: RetryPolicy = { maxAttempts: 1, baseDelayMs: 1, maxDelayMs: 1, attemptTimeoutMs: 1000 };
const ids = (n: number, p = 'i-u') => Array.from({ length: n }, (_, k) => `${p}${String(k).padStart(4, '0')}`);
const running = (invokeId: string, instanceIds: string[], extra: Partial<Invocation> = {}): Invocation => ({
  invokeId,
  invocationStatus: 'Running',
  instances: instanceIds.map((instanceId) => ({ instanceId, invocationStatus: 'Running' })),
  ...extra,
});

describe('stop stage', () => {
  it('120 ids are three calls of at most 50, and every id is a target', async () => {
    const ecs = new MemoryEcs([running('t-1', ids(120))]);
    const out = await stopAll([{ regionId: 'r', invokeId: 't-1', instanceIds: ids(120), dryRun: false }], ecs, { concurrency: 4, retry });
    const sizes = ecs.calls.map((c) => (c.params as { instanceIds: string[] }).instanceIds.length);
    expect(sizes.sort((a, b) => b - a)).toEqual([50, 50, 20]);
    expect(out.targets.map((t) => t.instanceId).sort()).toEqual(ids(120).sort());
    expect(everyOf(out.targets, (t) => t.status === 'stopped')).toBe(true);
  });

  it('a stray id costs only itself: its chunk is split, the others are stopped', async () => {
    const ecs = new MemoryEcs([running('t-1', ids(10))]);
    const asked = [...ids(10), 'i-stray'];
    const out = await stopAll([{ regionId: 'r', invokeId: 't-1', instanceIds: asked, dryRun: false }], ecs, { concurrency: 2, retry });
    expect(out.targets.find((t) => t.instanceId === 'i-stray')).toMatchObject({ status: 'failed', error: { code: 'InvalidInstanceId.NotFound', retryable: false } });
    expect(everyOf(out.targets.filter((t) => t.instanceId !== 'i-stray'), (t) => t.status === 'stopped')).toBe(true);
    expect(everyOf(ecs.invocations[0].instances, (i) => i.invocationStatus === 'Stopped')).toBe(true);
  });

  it('a dry run calls nothing and reports every id as dry-run', async () => {
    const ecs = new MemoryEcs([running('t-1', ids(3))]);
    const out = await stopAll([{ regionId: 'r', invokeId: 't-1', instanceIds: ids(3), dryRun: true }], ecs, { concurrency: 2, retry });
    expect(ecs.calls).toHaveLength(0);
    expect(everyOf(out.targets, (t) => t.status === 'dry-run')).toBe(true);
  });
});

describe('resolve stage', () => {
  it('an instance-only request finds the live invocations on it, one lookup per live status, and none finished', async () => {
    const ecs = new MemoryEcs([
      running('t-run', ['i-a']),
      { invokeId: 't-pend', invocationStatus: 'Pending', instances: [{ instanceId: 'i-a', invocationStatus: 'Pending' }] },
      { invokeId: 't-done', invocationStatus: 'Success', instances: [{ instanceId: 'i-a', invocationStatus: 'Success' }] },
    ]);
    const out = await resolveTargets([{ regionId: 'r', instanceIds: ['i-a'] }], ecs, { concurrency: 20, retry });
    expect(out.work.map((w) => w.invokeId).sort()).toEqual(['t-pend', 't-run']);
    const statuses = ecs.calls.map((c) => (c.params as DescribeParams).invokeStatus).sort();
    expect(statuses).toEqual(['Pending', 'Running', 'Scheduled']);
  });

  it('an instance with nothing live is not-found, not a failure', async () => {
    const ecs = new MemoryEcs([]);
    const out = await resolveTargets([{ regionId: 'r', instanceIds: ['i-idle'] }], ecs, { concurrency: 20, retry });
    expect(out.work).toEqual([]);
    expect(out.targets).toEqual([expect.objectContaining({ instanceId: 'i-idle', status: 'not-found' })]);
  });
});

describe('verify stage', () => {
  const options = { graceMs: 0, concurrency: 4, retry, deadline: Date.now() + 60_000, sleep: async () => undefined };

  it('stopped only when ECS shows the instance no longer running', async () => {
    const ecs = new MemoryEcs([running('t-1', ['i-a', 'i-b'])]);
    ecs.invocations[0].instances[0].invocationStatus = 'Stopped';
    const claimed = ['i-a', 'i-b'].map((instanceId) => ({ regionId: 'r', invokeId: 't-1', instanceId, status: 'stopped' as const }));
    const out = await verifyTargets(claimed, ecs, options);
    expect(out.targets.find((t) => t.instanceId === 'i-a')).toMatchObject({ status: 'stopped', invocationStatus: 'Stopped' });
    expect(out.targets.find((t) => t.instanceId === 'i-b')).toMatchObject({ status: 'failed', error: { code: 'Invocation.StillRunning', retryable: false } });
  });

  it('a read-back that fails is Verification.Unavailable, retryable, never stopped', async () => {
    const ecs = new MemoryEcs([running('t-1', ['i-a'])]);
    ecs.describeInvocations = async () => {
      throw new EcsError('ServiceUnavailable', 'down', true, 503);
    };
    const out = await verifyTargets([{ regionId: 'r', invokeId: 't-1', instanceId: 'i-a', status: 'stopped' }], ecs, options);
    expect(out.targets[0]).toMatchObject({ status: 'failed', error: { code: 'Verification.Unavailable', retryable: true } });
  });
});

describe('sweep stage', () => {
  it('stops a run Running longer than the limit, never a periodic invocation between runs', async () => {
    const now = Date.parse('2026-12-01T12:00:00Z');
    const old = '2026-12-01T10:00:00Z';
    const ecs = new MemoryEcs([
      { invokeId: 't-old', invocationStatus: 'Running', instances: [{ instanceId: 'i-a', invocationStatus: 'Running', startTime: old }] },
      { invokeId: 't-young', invocationStatus: 'Running', instances: [{ instanceId: 'i-b', invocationStatus: 'Running', startTime: '2026-12-01T11:59:00Z' }] },
      { invokeId: 't-cron', invocationStatus: 'Running', repeatMode: 'Period', instances: [{ instanceId: 'i-c', invocationStatus: 'Scheduled', startTime: old }] },
    ]);
    const out = await sweepTargets({ action: 'sweep', regionIds: ['r'], maxRunningSeconds: 3600 }, ecs, { concurrency: 4, retry, now });
    expect(out.work.map((w) => [w.invokeId, w.instanceIds])).toEqual([['t-old', ['i-a']]]);
  });
});
