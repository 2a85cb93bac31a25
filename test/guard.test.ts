import { readFileSync } from 'node:fs';
import { resolve } from 'node:path';
import { afterAll, afterEach, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { adminClient } from '../emulator/admin-client.js';
import type { Emulator, InvocationState, SeedInvocation, TaskEvent } from '../emulator/index.js';
import { loadConfig } from '../shared/config.js';
import { allowedErrors, exceeds, parseMaxErrors } from '../shared/schemas/max-errors.js';
import type { GuardReport, ResultEvent } from '../shared/types.js';
import { matches } from './helpers/event-pattern.js';
import { emulator, instanceIds, repoRoot, startStack, type Stack } from './helpers/stack.js';
import { everyOf } from './helpers/expect.js';

// The rollout guard end to end: Cloud Assistant task events (the documented shape, built by
// the emulator when an instance's run ends) through the FC event entry point, the real SDK
// against the emulator, and what the emulator then holds.
// Event shape: https://www.alibabacloud.com/help/en/ecs/user-guide/subscribe-to-cloud-assistant-events
// Threshold semantics (SSM MaxErrors): https://docs.aws.amazon.com/systems-manager/latest/userguide/send-commands-multiple.html

let emu: Emulator;
let stack: Stack | undefined;
const extra: Stack[] = [];

beforeAll(async () => {
  emu = await emulator();
});
beforeEach(() => {
  emu.reset();
});
afterEach(async () => {
  await stack?.close();
  stack = undefined;
  for (const s of extra.splice(0)) await s.close();
});
afterAll(async () => {
  await emu.close();
});

const stopCalls = () => emu.requests({ service: 'ecs', action: 'StopInvocation' });
const describeCalls = () => emu.requests({ service: 'ecs', action: 'DescribeInvocations' });
const statusOf = (inv: InvocationState, id: string) => emu.getInvocation(inv.invokeId)?.instances.find((i) => i.instanceId === id)?.status;
const guardOf = (event: ResultEvent): GuardReport => {
  expect(event.data.guard).toHaveLength(1);
  return event.data.guard![0];
};

function seed(n: number, spec: Partial<SeedInvocation> = {}): { inv: InvocationState; ids: string[] } {
  const ids = instanceIds(n, 'i-guard');
  // A rollout in flight: most instances running, the tail not yet started.
  const inv = emu.seedInvocation({ commandName: 'deploy.sh', ...spec, instances: ids.map((instanceId, k) => ({ instanceId, status: k >= n - 5 ? 'Pending' : 'Running' })) });
  return { inv, ids };
}

/** Ends one instance's run in the emulator and returns the task event ECS would publish for it. */
function fail(inv: InvocationState, instanceId: string, status: 'Failed' | 'Timeout' | 'Invalid' | 'Aborted' = 'Failed'): TaskEvent {
  const { event } = emu.finishInstance(inv.invokeId, instanceId, { status, errorCode: status === 'Failed' ? '' : `Instance${status}` });
  if (!event) throw new Error(`${status} fires a task event`);
  return event;
}

function succeed(inv: InvocationState, instanceId: string): TaskEvent {
  const { event } = emu.finishInstance(inv.invokeId, instanceId, { status: 'Success' });
  if (!event) throw new Error('Success fires a task event');
  return event;
}

describe('maxErrors as SSM documents it', () => {
  it('0 stops after the first failure; 3 at the fourth; 10% of 50 at the sixth; percentages round down', () => {
    const n = (s: string) => parseMaxErrors(s)!;
    expect([0, 1].map((f) => exceeds(f, n('0'), 50))).toEqual([false, true]);
    expect([3, 4].map((f) => exceeds(f, n('3'), 50))).toEqual([false, true]);
    expect([5, 6].map((f) => exceeds(f, n('10%'), 50))).toEqual([false, true]);
    expect(allowedErrors(n('10%'), 45)).toBe(4);
    expect(allowedErrors(n('1%'), 50)).toBe(0);
    expect(allowedErrors(n('100%'), 7)).toBe(7);
    for (const bad of ['-1', '1.5', '101%', '10 %', '%', '', 'ten', '0x10', '100001']) expect(parseMaxErrors(bad), bad).toBeUndefined();
  });
});

describe('rollout guard through the event entry point', () => {
  it('maxErrors=2 on 50 instances: the 1st and 2nd failures are ignored with counts, the 3rd stops every unfinished instance', async () => {
    stack = await startStack({ ROLLOUT_MAX_ERRORS: '2' });
    const { inv, ids } = seed(50);

    for (const [k, id] of ids.slice(0, 2).entries()) {
      const result = await stack.invoke(fail(inv, id));
      expect(result.data.outcome).toBe('ignored');
      expect(guardOf(result)).toMatchObject({ decision: 'below-threshold', instances: 50, failed: k + 1, maxErrors: '2', allowed: 2, thresholdSource: 'default' });
      expect(guardOf(result).message).toContain(`${k + 1} of 50 instance(s) failed`);
    }
    expect(stopCalls()).toHaveLength(0);

    const third = fail(inv, ids[2]);
    const result = await stack.invoke(third);
    expect(result.data.outcome).toBe('stopped');
    const report = guardOf(result);
    expect(report).toMatchObject({ decision: 'stop', failed: 3, allowed: 2, stoppingCount: 47, alreadyFinished: 3, triggeringEventId: third.id });
    expect(report.triggeringEvents).toEqual([{ id: third.id, source: 'acs.ecs', instanceId: ids[2], invocationStatus: 'Failed' }]);
    expect(report.statuses).toEqual({ Failed: 3, Running: 42, Pending: 5 });
    expect(report.stopping?.sort()).toEqual(ids.slice(3).sort());

    // The emulator: every instance that had not finished is Stopped (was Running) or Cancelled (was Pending).
    const after = emu.getInvocation(inv.invokeId)!;
    expect(after.instances.filter((i) => i.status === 'Failed').map((i) => i.instanceId)).toEqual(ids.slice(0, 3));
    expect(everyOf(ids.slice(3, 45), (id) => statusOf(inv, id) === 'Stopped')).toBe(true);
    expect(everyOf(ids.slice(45), (id) => statusOf(inv, id) === 'Cancelled')).toBe(true);
    // Only the unfinished 47, in chunks of at most 50 ids; the finished ones are not named.
    const named = stopCalls().flatMap((c) => Object.entries(c.params).filter(([k]) => k.startsWith('InstanceId.')).map(([, v]) => v));
    expect(named.sort()).toEqual(ids.slice(3).sort());
    // Every instance id that came in is in the result: the event's own (finished, so skipped) and the 47 stopped.
    expect(result.data.targets).toHaveLength(48);
    expect(result.data.targets.filter((t) => t.status === 'skipped')).toEqual([expect.objectContaining({ instanceId: ids[2], invocationStatus: 'Failed' })]);
    expect(result.data.targets.filter((t) => t.status === 'stopped' && ['Stopped', 'Cancelled'].includes(t.invocationStatus ?? ''))).toHaveLength(47);
    expect(result.data.counts).toEqual({ requested: 48, stopped: 47, failed: 0, skipped: 1 });
    expect(result.subject).toBe(inv.invokeId);
    assertCloudEvent(result);

    // The README timeline's last row: the 2nd failure's event, delivered late to another FC
    // instance (no dedupe memory), finds nothing unfinished: ignored, no second stop.
    const calls = stopCalls().length;
    const other = await startStack({ ROLLOUT_MAX_ERRORS: '2' }, { emu });
    try {
      const late = await other.invoke({ ...third, id: `${third.id}-late`, data: { ...third.data, instanceId: ids[1] } });
      expect(late.data.outcome).toBe('ignored');
      expect(guardOf(late)).toMatchObject({ decision: 'nothing-to-stop', failed: 3 });
      expect(stopCalls()).toHaveLength(calls);
    } finally {
      await other.close();
    }
  });

  it('10% of 50 instances: the 6th failure stops, the first five do not', async () => {
    stack = await startStack({ ROLLOUT_MAX_ERRORS: '10%' });
    const { inv, ids } = seed(50);
    for (let k = 0; k < 5; k++) {
      const result = await stack.invoke(fail(inv, ids[k], k % 2 === 0 ? 'Failed' : 'Timeout'));
      expect(guardOf(result)).toMatchObject({ decision: 'below-threshold', failed: k + 1, maxErrors: '10%', allowed: 5 });
    }
    expect(stopCalls()).toHaveLength(0);
    const sixth = await stack.invoke(fail(inv, ids[5], 'Invalid'));
    expect(guardOf(sixth)).toMatchObject({ decision: 'stop', failed: 6, allowed: 5, stoppingCount: 44 });
    expect(emu.getInvocation(inv.invokeId)!.invocationStatus).not.toBe('Running');
  });

  it('duplicate, repeated and out-of-order events never stop early, on one FC instance or several', async () => {
    stack = await startStack({ ROLLOUT_MAX_ERRORS: '2' });
    const other = await startStack({ ROLLOUT_MAX_ERRORS: '2' }); // another FC instance: nothing shared
    extra.push(other);
    const { inv, ids } = seed(50);
    const e1 = fail(inv, ids[0]);
    const e2 = fail(inv, ids[1]);

    // Out of order, duplicated (same id: EventBridge's duplicate rule), and the same failure
    // reported again under a new id (lost-and-resent): the count comes from ECS, so it stays 2.
    const results = [
      await stack.invoke(e2),
      await stack.invoke(e1),
      await stack.invoke(e1),
      await stack.invoke({ ...e1, id: `${e1.id}-resent` }),
      await other.invoke(e1),
      await other.invoke(e2),
      await other.invoke({ ...e2, id: `${e2.id}-resent` }),
    ];
    expect(results.map((r) => r.data.outcome)).toEqual(['ignored', 'ignored', 'duplicate', 'ignored', 'ignored', 'ignored', 'ignored']);
    expect(everyOf(results.filter((r) => r.data.outcome !== 'duplicate'), (r) => guardOf(r).failed === 2 && guardOf(r).decision === 'below-threshold')).toBe(true);
    expect(stopCalls()).toHaveLength(0);

    // Once ECS really shows a third failure, even a stale event (the first one, late) stops the rest.
    fail(inv, ids[2]);
    const late = await other.invoke({ ...e1, id: `${e1.id}-late` });
    expect(guardOf(late)).toMatchObject({ decision: 'stop', failed: 3 });
    expect(stopCalls().length).toBeGreaterThan(0);
  });

  it('a batch with several failure events of one invocation evaluates it once and names every event', async () => {
    stack = await startStack({ ROLLOUT_MAX_ERRORS: '1' });
    const { inv, ids } = seed(8);
    const events = [fail(inv, ids[0]), fail(inv, ids[1], 'Aborted')];
    emu.clearRequests();
    const result = await stack.invoke(events);
    const report = guardOf(result);
    expect(report).toMatchObject({ decision: 'stop', failed: 2, triggeringEventId: events[0].id });
    expect(report.triggeringEvents?.map((e) => e.id)).toEqual(events.map((e) => e.id));
    expect(describeCalls().filter((c) => c.params.InvokeId === inv.invokeId && !c.params.NextToken).length).toBeLessThanOrEqual(2); // the read, then verification
    expect(stopCalls()).toHaveLength(1);
  });

  it('a Success event never calls StopInvocation (nor anything else), even with maxErrors=0', async () => {
    stack = await startStack({ ROLLOUT_MAX_ERRORS: '0' });
    const { inv, ids } = seed(10);
    emu.clearRequests();
    for (const id of ids.slice(0, 3)) {
      const result = await stack.invoke(succeed(inv, id));
      expect(result.data.outcome).toBe('ignored');
      expect(result.data.targets).toEqual([expect.objectContaining({ invokeId: inv.invokeId, instanceId: id, status: 'skipped' })]);
      expect(result.data.targets[0].reason).toContain('acts only on failures');
    }
    // The documented sample itself (a Success event) too.
    const documented = JSON.parse(readFileSync(resolve(repoRoot, 'test/fixtures/cloud-assistant/task-event-success.json'), 'utf8')) as object;
    expect((await stack.invoke(documented)).data.outcome).toBe('ignored');
    expect(emu.requests({ service: 'ecs' })).toHaveLength(0);
    expect(everyOf(ids.slice(3), (id) => statusOf(inv, id) === 'Running' || statusOf(inv, id) === 'Pending')).toBe(true);
  });

  it('a periodic invocation over the threshold is stopped whole: its next runs are cancelled', async () => {
    stack = await startStack({ ROLLOUT_MAX_ERRORS: '1' });
    const ids = instanceIds(10, 'i-period');
    // Between runs every instance of a periodic invocation is Scheduled.
    const inv = emu.seedInvocation({ commandName: 'patch.sh', repeatMode: 'Period', instances: ids.map((instanceId) => ({ instanceId, status: 'Scheduled' })) });
    expect((await stack.invoke(fail(inv, ids[0]))).data.outcome).toBe('ignored');
    const result = await stack.invoke(fail(inv, ids[1]));
    const report = guardOf(result);
    expect(report).toMatchObject({ decision: 'stop', repeatMode: 'Period', cancelsFurtherRuns: true, failed: 2, allowed: 1, stoppingCount: 8 });
    // One whole-invocation StopInvocation (no InstanceId): ECS then schedules no further runs.
    expect(stopCalls()).toHaveLength(1);
    expect(Object.keys(stopCalls()[0].params).filter((k) => k.startsWith('InstanceId'))).toEqual([]);
    const after = emu.getInvocation(inv.invokeId)!;
    expect(after.stopRequested).toBe(true);
    expect(after.invocationStatus).toBe('Stopped');
    expect(everyOf(ids.slice(2), (id) => statusOf(inv, id) === 'Cancelled')).toBe(true);
    expect(result.data.outcome).toBe('stopped');
    // Stopped whole: every instance once, the event's own included (its schedule is stopped too).
    expect(result.data.targets.map((t) => t.instanceId).sort()).toEqual([...ids].sort());
  });

  it('ROLLOUT_MAX_ERRORS_BY_COMMAND wins over the default, by command name or id; `off` turns one command off', async () => {
    const guarded = emu.seedInvocation({ commandName: 'risky.sh', instances: instanceIds(5, 'i-risky').map((instanceId) => ({ instanceId })) });
    const byId = emu.seedInvocation({ commandName: 'other.sh', instances: instanceIds(5, 'i-byid').map((instanceId) => ({ instanceId })) });
    const relaxed = emu.seedInvocation({ commandName: 'flaky.sh', instances: instanceIds(5, 'i-flaky').map((instanceId) => ({ instanceId })) });
    const normal = emu.seedInvocation({ commandName: 'deploy.sh', instances: instanceIds(5, 'i-normal').map((instanceId) => ({ instanceId })) });
    stack = await startStack({ ROLLOUT_MAX_ERRORS: '1', ROLLOUT_MAX_ERRORS_BY_COMMAND: `risky.sh=0, ${byId.commandId}=0,flaky.sh=off` });

    const a = await stack.invoke(fail(guarded, guarded.instances[0].instanceId));
    expect(guardOf(a)).toMatchObject({ decision: 'stop', maxErrors: '0', thresholdSource: 'command', failed: 1, stoppingCount: 4 });
    const b = await stack.invoke(fail(byId, byId.instances[0].instanceId));
    expect(guardOf(b)).toMatchObject({ decision: 'stop', thresholdSource: 'command' });
    for (const id of relaxed.instances.slice(0, 3).map((i) => i.instanceId)) {
      const r = await stack.invoke(fail(relaxed, id));
      expect(guardOf(r)).toMatchObject({ decision: 'off' });
      expect(guardOf(r).message).toContain('flaky.sh');
    }
    const d = await stack.invoke(fail(normal, normal.instances[0].instanceId));
    expect(guardOf(d)).toMatchObject({ decision: 'below-threshold', thresholdSource: 'default', allowed: 1 });
    const named = new Set(stopCalls().map((c) => c.params.InvokeId));
    expect([...named].sort()).toEqual([guarded.invokeId, byId.invokeId].sort());
  });

  it('guard off (ROLLOUT_MAX_ERRORS unset): every failure is recorded and ignored, no ECS call at all', async () => {
    stack = await startStack({});
    const { inv, ids } = seed(50);
    emu.clearRequests();
    for (const id of ids.slice(0, 50)) {
      if (statusOf(inv, id) !== 'Running' && statusOf(inv, id) !== 'Pending') continue;
      const result = await stack.invoke(fail(inv, id));
      expect(result.data.outcome).toBe('ignored');
      expect(guardOf(result).decision).toBe('off');
    }
    expect(everyOf(emu.getInvocation(inv.invokeId)!.instances, (i) => i.status === 'Failed')).toBe(true);
    expect(stopCalls()).toHaveLength(0);
    expect(describeCalls()).toHaveLength(0);
    // Recorded: the summary log line of each carries the outcome.
    expect(stack.lines.filter((l) => l.includes('"outcome":"ignored"')).length).toBeGreaterThanOrEqual(50);
  });

  it('invocation tags: rollout-max-errors=off opts one out; =N opts one in when ROLLOUT_MAX_ERRORS=off', async () => {
    const out = emu.seedInvocation({ tags: { 'rollout-max-errors': 'off' }, instances: instanceIds(4, 'i-optout').map((instanceId) => ({ instanceId })) });
    const into = emu.seedInvocation({ tags: { 'rollout-max-errors': '0', team: 'ops' }, instances: instanceIds(4, 'i-optin').map((instanceId) => ({ instanceId })) });
    const untagged = emu.seedInvocation({ instances: instanceIds(4, 'i-untag').map((instanceId) => ({ instanceId })) });
    stack = await startStack({ ROLLOUT_MAX_ERRORS: 'off' });
    expect(guardOf(await stack.invoke(fail(out, out.instances[0].instanceId)))).toMatchObject({ decision: 'opted-out' });
    expect(guardOf(await stack.invoke(fail(untagged, untagged.instances[0].instanceId)))).toMatchObject({ decision: 'off' });
    expect(guardOf(await stack.invoke(fail(into, into.instances[0].instanceId)))).toMatchObject({ decision: 'stop', thresholdSource: 'tag', maxErrors: '0' });
    expect(stopCalls().map((c) => c.params.InvokeId)).toEqual([into.invokeId]);
  });

  it('a dry run reports what it would stop and calls no StopInvocation', async () => {
    stack = await startStack({ ROLLOUT_MAX_ERRORS: '0' });
    const { inv, ids } = seed(6);
    const event = fail(inv, ids[0]);
    // An EventBridge target cannot add a query string; the HTTP trigger can (?dryRun=true).
    const res = await stack.post({ ...event }, { path: '/stop?dryRun=true', headers: { 'content-type': 'application/cloudevents+json' } });
    expect(res.status).toBe(200);
    expect(res.json.data.outcome).toBe('dry-run');
    expect(guardOf(res.json)).toMatchObject({ decision: 'stop', dryRun: true, stoppingCount: 5 });
    expect(guardOf(res.json).message).toContain('would stop');
    expect(res.json.data.targets.filter((t) => t.status === 'dry-run').map((t) => t.instanceId).sort()).toEqual(ids.slice(1).sort());
    expect(res.json.data.targets.filter((t) => t.status === 'skipped').map((t) => t.instanceId)).toEqual([ids[0]]);
    expect(stopCalls()).toHaveLength(0);
  });

  it('a failure to read the invocation is a retryable failure, so FC redelivers the event', async () => {
    stack = await startStack({ ROLLOUT_MAX_ERRORS: '0', ECS_MAX_ATTEMPTS: '1' });
    const { inv, ids } = seed(3);
    const event = fail(inv, ids[0]);
    emu.injectFault({ service: 'ecs', action: 'DescribeInvocations', status: 503, code: 'ServiceUnavailable', times: 1 });
    await expect(stack.invoke(event)).rejects.toThrow(/retry/i);
    // The redelivery (same event) runs again and stops.
    const again = await stack.invoke(event);
    expect(guardOf(again).decision).toBe('stop');
  });
});

describe('the canonical guard request over HTTP', () => {
  it('{"action":"guard","regionId","invokeId","maxErrors"} runs the guard with the request threshold', async () => {
    stack = await startStack({});
    const { inv, ids } = seed(10);
    fail(inv, ids[0]);
    fail(inv, ids[1]);
    const below = await stack.post({ action: 'guard', regionId: 'cn-hangzhou', invokeId: inv.invokeId, maxErrors: '20%' });
    expect(below.status).toBe(200);
    expect(below.json.data.source).toBe('direct');
    expect(guardOf(below.json)).toMatchObject({ decision: 'below-threshold', failed: 2, allowed: 2, thresholdSource: 'request' });
    const over = await stack.post({ action: 'guard', regionId: 'cn-hangzhou', invokeId: inv.invokeId, maxErrors: 1 });
    expect(over.status).toBe(200);
    expect(guardOf(over.json)).toMatchObject({ decision: 'stop', failed: 2, allowed: 1, stoppingCount: 8 });
    expect(over.json.data.outcome).toBe('stopped');
  });

  it('without maxErrors the configured threshold applies; with none configured it says the guard is off', async () => {
    stack = await startStack({});
    const { inv } = seed(3);
    const res = await stack.post({ action: 'guard', invokeId: inv.invokeId });
    expect(res.status).toBe(200);
    expect(guardOf(res.json)).toMatchObject({ decision: 'off', regionId: 'cn-hangzhou' });
    expect(emu.requests({ service: 'ecs' })).toHaveLength(0);
  });

  it('bad requests are 400s with field paths and no ECS call', async () => {
    stack = await startStack({});
    const cases: Array<[object, string]> = [
      [{ action: 'guard', regionId: 'cn-hangzhou', invokeId: 't-abc', maxErrors: '101%' }, '/maxErrors'],
      [{ action: 'guard', regionId: 'cn-hangzhou', invokeId: 't-abc', maxErrors: -1 }, '/maxErrors'],
      [{ action: 'guard', regionId: 'cn-hangzhou', invokeId: 't-abc', instanceIds: ['i-1'] }, '/instanceIds'],
      [{ action: 'guard', regionId: 'cn-hangzhou' }, '/invokeId'],
      [{ action: 'guard', regionId: 'cn-hangzhou', invokeId: 'x' }, '/invokeId'],
    ];
    for (const [body, path] of cases) {
      const res = await stack.post(body);
      expect(res.status, JSON.stringify(body)).toBe(400);
      expect(res.json.data.error?.details?.map((d) => d.path)).toContain(path);
    }
    expect(emu.requests({ service: 'ecs' })).toHaveLength(0);
  });

  it('ALLOWED_REGIONS applies to guard requests: alone a 403, in a batch a failed RegionNotAllowed target', async () => {
    stack = await startStack({ ALLOWED_REGIONS: 'cn-hangzhou', ROLLOUT_MAX_ERRORS: '0' });
    const alone = await stack.post({ action: 'guard', regionId: 'cn-beijing', invokeId: 't-elsewhere1' });
    expect(alone.status).toBe(403);
    expect(alone.json.data.error?.code).toBe('RegionNotAllowed');
    const { inv, ids } = seed(3);
    const here = fail(inv, ids[0]);
    const there = { ...here, id: `${here.id}-bj`, aliyunregionid: 'cn-beijing', data: { ...here.data, invokeId: 't-elsewhere1' } };
    const batch = await stack.invoke([here, there]);
    expect(batch.data.guard?.map((g) => [g.invokeId, g.decision])).toEqual([[inv.invokeId, 'stop']]);
    expect(batch.data.targets.filter((t) => t.status === 'failed')).toEqual([expect.objectContaining({ regionId: 'cn-beijing', invokeId: 't-elsewhere1', error: expect.objectContaining({ code: 'RegionNotAllowed' }) })]);
    expect(everyOf(emu.requests({ service: 'ecs' }), (r) => r.params.RegionId === 'cn-hangzhou')).toBe(true);
  });

  it('a custom event on a custom bus can carry the guard request, and a rollout-abort stop request still stops', async () => {
    stack = await startStack({});
    const { inv, ids } = seed(4);
    fail(inv, ids[0]);
    const custom = { specversion: '1.0', id: 'rollout-42-check', source: 'ops.rollout', type: 'ops:Rollout:Check', aliyunregionid: 'cn-hangzhou', aliyuneventbusname: 'ops-bus', data: { action: 'guard', invokeId: inv.invokeId, maxErrors: '0' } };
    const checked = await stack.invoke(custom);
    expect(guardOf(checked)).toMatchObject({ decision: 'stop', triggeringEventId: 'rollout-42-check' });
    const abort = emu.seedInvocation({ instances: [{ instanceId: 'i-abort0000000000001' }] });
    const stopped = await stack.invoke({ ...custom, id: 'rollout-42-abort', type: 'ops:Rollout:Abort', data: { invokeId: abort.invokeId, instanceIds: ['i-abort0000000000001'] } });
    expect(stopped.data.outcome).toBe('stopped');
    expect(emu.getInvocation(abort.invokeId)!.instances[0].status).toBe('Stopped');
  });
});

describe('emulator: runs ending one by one, task events', () => {
  it('finishInstance (in process and over the admin API) returns the documented task event shape', async () => {
    const inv = emu.seedInvocation({ commandName: 'deploy.sh', instances: [{ instanceId: 'i-fin01' }, { instanceId: 'i-fin02', status: 'Pending' }, { instanceId: 'i-fin03' }] });
    const documented = JSON.parse(readFileSync(resolve(repoRoot, 'test/fixtures/cloud-assistant/task-event-success.json'), 'utf8')) as { data: Record<string, unknown> } & Record<string, unknown>;
    const { event } = emu.finishInstance(inv.invokeId, 'i-fin01', { status: 'Failed', errorCode: 'InstanceExitCode', errorInfo: 'exit 1' });
    // Same attributes and data fields as the documented sample (playerUid is account-internal), all strings.
    expect(Object.keys(event!).sort()).toEqual(Object.keys(documented).sort());
    expect(Object.keys(event!.data).sort()).toEqual(Object.keys(documented.data).filter((k) => k !== 'playerUid').sort());
    expect(everyOf(Object.values(event!.data), (v) => typeof v === 'string')).toBe(true);
    expect(event).toMatchObject({ source: 'acs.ecs', type: 'ecs:CloudAssistant:TaskCompleted', aliyunregionid: 'cn-hangzhou', data: { invokeId: inv.invokeId, instanceId: 'i-fin01', invocationStatus: 'Failed', exitCode: '1', errorCode: 'InstanceExitCode', errorDesc: 'exit 1', commandName: 'deploy.sh', repeatMode: 'Once' } });

    const admin = adminClient(emu.adminUrl);
    const over = await admin.finishInstance(inv.invokeId, 'i-fin02', { status: 'Aborted' });
    expect(over.event?.data).toMatchObject({ instanceId: 'i-fin02', invocationStatus: 'Aborted' });
    expect(over.invocation.instances.map((i) => i.status)).toEqual(['Failed', 'Aborted', 'Running']);
    // Error ends a run but is not among the documented event endings.
    expect(emu.finishInstance(inv.invokeId, 'i-fin03', { status: 'Error' }).event).toBeUndefined();
    expect(emu.getInvocation(inv.invokeId)!.invocationStatus).toBe('Failed');
    // A run that has ended cannot end again.
    expect(() => emu.finishInstance(inv.invokeId, 'i-fin01', { status: 'Success' })).toThrow(/already ended/);
    await expect(admin.finishInstance(inv.invokeId, 'i-nope', { status: 'Failed' })).rejects.toThrow(/not part of/);
  });
});

describe('the event-pattern matcher used on s.yaml (EventBridge "Event patterns" rules)', () => {
  // https://www.alibabacloud.com/help/en/eventbridge/latest/event-patterns
  const event = { source: 'acs.oss', type: 'oss:ObjectCreated:PostObject', subject: 'acs:oss:cn-hangzhou:1234567:xls-papk/game_apk/123.jpg', data: { name: 'test', state: 'running', count: 3, tags: ['a', 'b'] } };
  it('exact values, AND across keys, OR within a list, nested objects', () => {
    expect(matches({ source: ['acs.oss'] }, event)).toBe(true);
    expect(matches({ source: ['ACS.OSS'] }, event)).toBe(false);
    expect(matches({ source: ['acs.ecs', 'acs.oss'], type: ['oss:ObjectCreated:PostObject'] }, event)).toBe(true);
    expect(matches({ source: ['acs.oss'], type: ['other'] }, event)).toBe(false);
    expect(matches({ data: { name: ['test'] } }, event)).toBe(true);
    expect(matches({ data: { missing: ['x'] } }, event)).toBe(false);
    expect(matches({ data: { tags: ['b'] } }, event)).toBe(true);
  });
  it('prefix, suffix, contains, anything-but, numeric, exists; unknown operators throw', () => {
    expect(matches({ source: [{ prefix: 'acs.' }] }, event)).toBe(true);
    expect(matches({ subject: [{ suffix: '.jpg' }] }, event)).toBe(true);
    expect(matches({ type: [{ contains: 'Created' }] }, event)).toBe(true);
    expect(matches({ data: { state: [{ 'anything-but': 'running' }] } }, event)).toBe(false);
    expect(matches({ data: { state: [{ 'anything-but': ['stopped', 'overloaded'] }] } }, event)).toBe(true);
    expect(matches({ data: { state: [{ 'anything-but': { prefix: 'run' } }] } }, event)).toBe(false);
    expect(matches({ data: { count: [{ numeric: ['>', 0, '<=', 5] }] } }, event)).toBe(true);
    expect(matches({ data: { count: [{ numeric: ['>', 3] }] } }, event)).toBe(false);
    expect(matches({ data: { gone: [{ exists: false }] } }, event)).toBe(true);
    expect(matches({ data: { name: [{ exists: false }] } }, event)).toBe(false);
    expect(() => matches({ source: [{ cidr: '10.0.0.0/24' }] }, event)).toThrow(/not supported/);
  });
});

describe('configuration', () => {
  it('ROLLOUT_MAX_ERRORS and ROLLOUT_MAX_ERRORS_BY_COMMAND are checked at start-up, naming the variable', () => {
    expect(loadConfig({}).guard).toEqual({ default: undefined, byCommand: new Map() });
    expect(loadConfig({ ROLLOUT_MAX_ERRORS: '10%' }).guard.default).toEqual({ kind: 'percent', value: 10, text: '10%' });
    expect(loadConfig({ ROLLOUT_MAX_ERRORS: 'off' }).guard.default).toBe('off');
    const byCommand = loadConfig({ ROLLOUT_MAX_ERRORS_BY_COMMAND: 'deploy.sh=2, c-hz0abc=10% ,patch v2.sh=off' }).guard.byCommand;
    expect([...byCommand.keys()]).toEqual(['deploy.sh', 'c-hz0abc', 'patch v2.sh']);
    expect(byCommand.get('patch v2.sh')).toBe('off');
    for (const bad of ['-1', '1.5', '120%', 'on', '5 errors']) expect(() => loadConfig({ ROLLOUT_MAX_ERRORS: bad }), bad).toThrow(/ROLLOUT_MAX_ERRORS/);
    for (const bad of ['deploy.sh', '=2', 'deploy.sh=lots', 'a=1,a=2', 'deploy.sh=2,']) {
      expect(() => loadConfig({ ROLLOUT_MAX_ERRORS_BY_COMMAND: bad }), bad).toThrow(/ROLLOUT_MAX_ERRORS_BY_COMMAND/);
    }
  });
});

/** Structured-mode CloudEvents 1.0: required attributes, and extension names of lowercase a-z0-9. */
function assertCloudEvent(event: ResultEvent): void {
  expect(event.specversion).toBe('1.0');
  for (const key of ['id', 'source', 'type'] as const) expect(typeof event[key]).toBe('string');
  for (const name of Object.keys(event)) expect(name).toMatch(/^[a-z0-9]{1,20}$/);
}
