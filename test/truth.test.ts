import { readFileSync } from 'node:fs';
import { resolve } from 'node:path';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import type { Emulator, InstanceStatus } from '../emulator/index.js';
import { loadConfig } from '../shared/config.js';
import { CredentialBroker } from '../shared/credentials.js';
import { EcsError } from '../shared/ecs/errors.js';
import { withRetry } from '../shared/ecs/retry.js';
import { buildResult } from '../shared/events/result.js';
import { Logger } from '../shared/log.js';
import { httpStatusFor } from '../shared/events/status.js';
import { RetryableStopError } from '../shared/handler.js';
import type { ResultEvent, TargetError, TargetResult } from '../shared/types.js';
import { answerBy, emulator, instanceIds, repoRoot, sample, startStack, withOwnStack, type Stack } from './helpers/stack.js';
import { everyOf } from './helpers/expect.js';

// Issue #10: never claim a stop that did not happen, and never stop what is healthy. Each
// numbered case of the issue through the real SDKs and the emulator, asserting the result
// event, the HTTP status (or, for events, the thrown error) and what the emulator holds.
//
// ECS behaviour followed here, from the API reference:
// - StopInvocation https://www.alibabacloud.com/help/en/ecs/developer-reference/api-stopinvocation :
//   a success is HTTP 200 with `{"RequestId": …}`; executions not yet started are
//   cancelled, started ones are not interrupted, a periodic one schedules no more runs.
// - DescribeInvocations https://www.alibabacloud.com/help/en/ecs/developer-reference/api-ecs-2014-05-26-describeinvocations :
//   a periodic invocation is Running overall until stopped (or its schedule ends), its
//   instances Scheduled between runs; Success only after the schedule has ended.

let emu: Emulator;
let stack: Stack | undefined;

beforeAll(async () => {
  emu = await emulator();
});
afterEach(async () => {
  await stack?.close();
  stack = undefined;
  emu.reset();
});
afterAll(async () => {
  await emu.close();
});

const LIVE: ReadonlySet<InstanceStatus> = new Set(['Running', 'Pending', 'Scheduled', 'Stopping']);
const stateOf = (invokeId: string, instanceId: string, on: Emulator = emu) => on.getInvocation(invokeId)?.instances.find((i) => i.instanceId === instanceId)?.status;
const stopCalls = (on: Emulator = emu) => on.requests({ service: 'ecs', action: 'StopInvocation' });
const byId = (targets: TargetResult[]) => new Map(targets.map((t) => [t.instanceId, t]));
const isoAgo = (ms: number) => new Date(Date.now() - ms).toISOString().replace(/\.\d{3}Z$/, 'Z');

/** No target is `stopped` unless the emulator shows that instance no longer running. */
function assertNoFalseStop(targets: TargetResult[]): void {
  for (const t of targets.filter((x) => x.status === 'stopped' && x.instanceId)) {
    expect(LIVE.has(stateOf(t.invokeId!, t.instanceId!)!), `${t.instanceId} reported stopped`).toBe(false);
  }
}

/** An event invocation: the result event it returns, or the one riding on the error it throws. */
async function invokeEvent(s: Stack, event: object, context: object = {}): Promise<{ result: ResultEvent; thrown?: RetryableStopError }> {
  try {
    const out = await s.fn.handler(Buffer.from(JSON.stringify(event)), { requestId: 'req-truth', region: 'cn-hangzhou', accountId: emu.accountId, function: { name: 'stop-invocation', timeout: 30 }, ...context });
    return { result: out as ResultEvent };
  } catch (err) {
    if (err instanceof RetryableStopError) return { result: err.result, thrown: err };
    throw err;
  }
}

describe('1. verification that fails is not a stop', () => {
  it('DescribeInvocations down after the stop: Verification.Unavailable, retryable 503, never 200 stopped', async () => {
    stack = await startStack({ VERIFY: 'true', ECS_MAX_ATTEMPTS: '2' });
    const inv = emu.seedInvocation({ instances: [{ instanceId: 'i-vf1', ignoresStop: true }, { instanceId: 'i-vf2' }] });
    emu.injectFault({ service: 'ecs', action: 'DescribeInvocations', params: { InvokeId: inv.invokeId }, status: 503, code: 'ServiceUnavailable', message: 'down' });
    const res = await stack.post({ regionId: 'cn-hangzhou', invokeId: inv.invokeId, instanceIds: ['i-vf1', 'i-vf2'] });
    expect(res.status).toBe(503);
    expect(res.headers.get('retry-after')).toMatch(/^\d+$/);
    expect(res.json.data.outcome).toBe('failed');
    for (const t of res.json.data.targets) expect(t).toMatchObject({ status: 'failed', ecsRequestId: expect.any(String), error: { code: 'Verification.Unavailable', retryable: true } });
    expect(stateOf(inv.invokeId, 'i-vf1')).toBe('Running'); // what the old answer called stopped
    expect(stateOf(inv.invokeId, 'i-vf2')).toBe('Stopped'); // stopped, but nobody could see it: not claimed
  });

  it('without the fault the same case is 207: the one still running is Invocation.StillRunning, the other stopped', async () => {
    stack = await startStack({ VERIFY: 'true' });
    const inv = emu.seedInvocation({ instances: [{ instanceId: 'i-vf3', ignoresStop: true }, { instanceId: 'i-vf4' }] });
    const res = await stack.post({ regionId: 'cn-hangzhou', invokeId: inv.invokeId, instanceIds: ['i-vf3', 'i-vf4'] });
    expect(res.status).toBe(207);
    const t = byId(res.json.data.targets);
    expect(t.get('i-vf3')).toMatchObject({ status: 'failed', invocationStatus: 'Running', error: { code: 'Invocation.StillRunning', retryable: false } });
    expect(t.get('i-vf4')).toMatchObject({ status: 'stopped', invocationStatus: 'Stopped' });
    assertNoFalseStop(res.json.data.targets);
  });

  it('as an event: the handler throws RetryableStopError; the redelivery re-stops, re-verifies and returns stopped', async () => {
    stack = await startStack({ VERIFY: 'true', ECS_MAX_ATTEMPTS: '1' });
    const inv = emu.seedInvocation({ instances: [{ instanceId: 'i-vf5' }] });
    emu.injectFault({ service: 'ecs', action: 'DescribeInvocations', status: 503, code: 'ServiceUnavailable', times: 1 });
    const event = { regionId: 'cn-hangzhou', invokeId: inv.invokeId, instanceIds: ['i-vf5'] };
    const first = await invokeEvent(stack, event);
    expect(first.thrown?.message).toContain('Verification.Unavailable');
    expect(first.result.data.targets[0]).toMatchObject({ status: 'failed', error: { code: 'Verification.Unavailable', retryable: true } });
    const again = await invokeEvent(stack, event);
    expect(again.thrown).toBeUndefined();
    expect(again.result.data.targets[0]).toMatchObject({ status: 'stopped', invocationStatus: 'Stopped' });
    expect(stopCalls()).toHaveLength(2);
    expect(stateOf(inv.invokeId, 'i-vf5')).toBe('Stopped');
  });
});

describe('2. a 200 from ECS that is not a success is not a stop', () => {
  const bodies: Array<[string, unknown]> = [
    ['{"Code":"InternalError",…}', { RequestId: 'B8C3-0001', Code: 'InternalError', Message: 'The request processing has failed due to some unknown error.' }],
    ['{}', {}],
    ['null', null],
  ];
  for (const verify of ['false', 'true']) {
    for (const [name, body] of bodies) {
      it(`VERIFY=${verify}, StopInvocation 200 ${name}: failed BadResponse, retryable 502, nothing stopped`, async () => {
        stack = await startStack({ VERIFY: verify, ECS_MAX_ATTEMPTS: '2' });
        const inv = emu.seedInvocation({ instances: [{ instanceId: 'i-bad1' }, { instanceId: 'i-bad2' }] });
        emu.injectFault({ service: 'ecs', action: 'StopInvocation', status: 200, body });
        const res = await stack.post({ regionId: 'cn-hangzhou', invokeId: inv.invokeId, instanceIds: ['i-bad1', 'i-bad2'] });
        expect(res.status).toBe(502);
        expect(res.headers.get('retry-after')).toMatch(/^\d+$/);
        for (const t of res.json.data.targets) expect(t).toMatchObject({ status: 'failed', error: { code: 'BadResponse', retryable: true } });
        expect(stopCalls()).toHaveLength(2); // retried, as a retry can fix it
        expect(inv.instances.map((i) => stateOf(inv.invokeId, i.instanceId))).toEqual(['Running', 'Running']);
      });
    }
  }

  it('once: the retry gets a real success and the target is stopped', async () => {
    stack = await startStack({ VERIFY: 'false' });
    const inv = emu.seedInvocation({ instances: [{ instanceId: 'i-bad3' }] });
    emu.injectFault({ service: 'ecs', action: 'StopInvocation', status: 200, body: {}, times: 1 });
    const res = await stack.post({ regionId: 'cn-hangzhou', invokeId: inv.invokeId, instanceIds: ['i-bad3'] });
    expect(res.status).toBe(200);
    expect(res.json.data.targets[0]).toMatchObject({ status: 'stopped', ecsRequestId: expect.any(String) });
    expect(stateOf(inv.invokeId, 'i-bad3')).toBe('Stopped');
  });

  it('a stop that happened but whose answer was garbled (apply) is re-sent, then stopped', async () => {
    stack = await startStack({ VERIFY: 'false' });
    const inv = emu.seedInvocation({ instances: [{ instanceId: 'i-bad4' }] });
    emu.injectFault({ service: 'ecs', action: 'StopInvocation', status: 200, body: null, times: 1, apply: true });
    const res = await stack.post({ regionId: 'cn-hangzhou', invokeId: inv.invokeId, instanceIds: ['i-bad4'] });
    expect(res.status).toBe(200);
    expect(stopCalls().map((r) => r.status)).toEqual([200, 200]);
    expect(stateOf(inv.invokeId, 'i-bad4')).toBe('Stopped');
  });

  it('as an event: the handler throws RetryableStopError naming BadResponse', async () => {
    stack = await startStack({ VERIFY: 'false', ECS_MAX_ATTEMPTS: '1' });
    const inv = emu.seedInvocation({ instances: [{ instanceId: 'i-bad5' }] });
    emu.injectFault({ service: 'ecs', action: 'StopInvocation', status: 200, body: { RequestId: 'x', Code: 'InternalError' } });
    const { result, thrown } = await invokeEvent(stack, { regionId: 'cn-hangzhou', invokeId: inv.invokeId, instanceIds: ['i-bad5'] });
    expect(thrown?.message).toContain('BadResponse');
    expect(result.data.targets[0]).toMatchObject({ status: 'failed', error: { code: 'BadResponse', retryable: true } });
    expect(stateOf(inv.invokeId, 'i-bad5')).toBe('Running');
  });

  it('DescribeInvocations 200 without Invocations is not an empty listing: failed BadResponse, never not-found', async () => {
    stack = await startStack();
    emu.seedInvocation({ instances: [{ instanceId: 'i-bad6' }] });
    emu.injectFault({ service: 'ecs', action: 'DescribeInvocations', status: 200, body: { RequestId: 'x' } });
    const res = await stack.post({ regionId: 'cn-hangzhou', instanceIds: ['i-bad6'] });
    expect(res.status).toBe(502);
    expect(res.json.data.targets).toEqual([expect.objectContaining({ instanceId: 'i-bad6', status: 'failed', error: expect.objectContaining({ code: 'BadResponse', retryable: true }) })]);
    expect(stopCalls()).toHaveLength(0);
  });
});

describe('3. an instance that is not part of the invocation is never reported stopped', () => {
  const group = (alerts: Array<Record<string, string>>) =>
    JSON.stringify({
      version: '4',
      status: 'firing',
      groupKey: `{}:{alertname="Stranger${Math.random()}"}`,
      alerts: alerts.map((labels, n) => ({ status: 'firing', labels: { alertname: 'Stranger', region_id: 'cn-hangzhou', ...labels }, startsAt: '2026-11-24T06:30:00Z', fingerprint: `f${n}` })),
    });

  for (const verify of ['true', 'false']) {
    it(`VERIFY=${verify}: {invoke_id} and {invoke_id, instance_id: stranger} → the stranger failed InvalidInstanceId.NotFound, 207`, async () => {
      stack = await startStack({ VERIFY: verify });
      const inv = emu.seedInvocation({ instances: [{ instanceId: 'i-member1' }, { instanceId: 'i-member2' }] });
      emu.seedInvocation({ instances: [{ instanceId: 'i-stranger1' }] }); // it exists, elsewhere
      const res = await stack.post(group([{ invoke_id: inv.invokeId }, { invoke_id: inv.invokeId, instance_id: 'i-stranger1' }]));
      expect(res.status).toBe(207);
      expect(res.json.data.outcome).toBe('partial');
      const stranger = res.json.data.targets.filter((t) => t.instanceId === 'i-stranger1');
      expect(stranger).toEqual([expect.objectContaining({ invokeId: inv.invokeId, status: 'failed', error: expect.objectContaining({ code: 'InvalidInstanceId.NotFound', retryable: false }) })]);
      expect(stopCalls()).toHaveLength(1);
      expect(stateOf(inv.invokeId, 'i-member1')).toBe('Stopped');
      expect(stateOf(inv.invokeId, 'i-member2')).toBe('Stopped');
      if (verify === 'true') {
        expect(res.json.data.targets.filter((t) => t.status === 'stopped').map((t) => t.instanceId).sort()).toEqual(['i-member1', 'i-member2']);
      }
      assertNoFalseStop(res.json.data.targets);
    });
  }

  it('named alone, the same id is refused by ECS the same way (unchanged)', async () => {
    stack = await startStack();
    const inv = emu.seedInvocation({ instances: [{ instanceId: 'i-member3' }] });
    const res = await stack.post({ regionId: 'cn-hangzhou', invokeId: inv.invokeId, instanceIds: ['i-stranger2'] });
    expect(res.status).toBe(404);
    expect(res.json.data.targets[0]).toMatchObject({ status: 'failed', error: { code: 'InvalidInstanceId.NotFound' } });
  });

  it('as an EventBridge batch: the same per-instance truth, returned without throwing (nothing retryable)', async () => {
    stack = await startStack({ VERIFY: 'false' });
    const inv = emu.seedInvocation({ instances: [{ instanceId: 'i-member4' }] });
    const ce = (id: string, data: object) => ({ specversion: '1.0', id, source: 'ops.rollout', type: 'ops:Rollout:Abort', aliyunregionid: 'cn-hangzhou', datacontenttype: 'application/json', data });
    const { result, thrown } = await invokeEvent(stack, [ce('e-1', { regionId: 'cn-hangzhou', invokeId: inv.invokeId }), ce('e-2', { regionId: 'cn-hangzhou', invokeId: inv.invokeId, instanceIds: ['i-stranger3'] })]);
    expect(thrown).toBeUndefined();
    expect(result.data.targets.find((t) => t.instanceId === 'i-stranger3')).toMatchObject({ status: 'failed', error: { code: 'InvalidInstanceId.NotFound' } });
    expect(stateOf(inv.invokeId, 'i-member4')).toBe('Stopped');
  });
});

describe('4. the watchdog never cancels a healthy periodic task', () => {
  it('documented statuses: a schedule between runs (Scheduled, overall Running) is left alone; only a run that itself lasted too long is stopped', async () => {
    stack = await startStack();
    const weekAgo = isoAgo(7 * 86400_000);
    const twoHoursAgo = isoAgo(2 * 3600_000);
    // Between runs: its last run started two hours ago and ended; the schedule goes on.
    const healthy = emu.seedInvocation({ repeatMode: 'Period', creationTime: weekAgo, instances: [{ instanceId: 'i-cron1', status: 'Scheduled', startTime: twoHoursAgo }] });
    expect(healthy.invocationStatus).toBe('Running');
    // One instance stuck in a run for two hours, the other between runs.
    const stuck = emu.seedInvocation({ repeatMode: 'Period', creationTime: weekAgo, instances: [{ instanceId: 'i-cron2', status: 'Running', startTime: twoHoursAgo }, { instanceId: 'i-cron3', status: 'Scheduled', startTime: twoHoursAgo }] });
    const recent = emu.seedInvocation({ repeatMode: 'Period', creationTime: weekAgo, instances: [{ instanceId: 'i-cron4', status: 'Running', startTime: isoAgo(60_000) }] });
    const pending = emu.seedInvocation({ creationTime: twoHoursAgo, instances: [{ instanceId: 'i-once1', status: 'Pending' }] });
    const { result, thrown } = await invokeEvent(stack, JSON.parse(sample('timer-sweep.json').toString()) as object);
    expect(thrown).toBeUndefined();
    expect(result.data.source).toBe('sweep');
    expect(stopCalls().map((r) => [r.params.InvokeId, r.params['InstanceId.1'], r.params['InstanceId.2']])).toEqual([[stuck.invokeId, 'i-cron2', undefined]]);
    expect(result.data.targets).toEqual([expect.objectContaining({ invokeId: stuck.invokeId, instanceId: 'i-cron2', status: 'stopped', invocationStatus: 'Stopped' })]);
    expect(emu.getInvocation(healthy.invokeId)).toMatchObject({ invocationStatus: 'Running', instances: [expect.objectContaining({ status: 'Scheduled' })] });
    expect(stateOf(stuck.invokeId, 'i-cron3')).toBe('Scheduled');
    expect(emu.getInvocation(stuck.invokeId)?.invocationStatus).toBe('Running'); // the schedule goes on
    expect(stateOf(recent.invokeId, 'i-cron4')).toBe('Running');
    expect(stateOf(pending.invokeId, 'i-once1')).toBe('Pending');
  });

  it('cancelling old schedules is a separate, explicitly named option', async () => {
    stack = await startStack();
    const weekAgo = isoAgo(7 * 86400_000);
    const cron = emu.seedInvocation({ repeatMode: 'Period', creationTime: weekAgo, instances: [{ instanceId: 'i-cron5', status: 'Scheduled', startTime: isoAgo(3600_000) }] });
    const young = emu.seedInvocation({ repeatMode: 'Period', creationTime: isoAgo(600_000), instances: [{ instanceId: 'i-cron6', status: 'Scheduled' }] });
    const payload = JSON.stringify({ action: 'sweep', regionIds: ['cn-hangzhou'], maxRunningSeconds: 3600, cancelSchedulesOlderThanSeconds: 86400 });
    const { result } = await invokeEvent(stack, { triggerTime: new Date().toISOString(), triggerName: 'watchdog', payload });
    expect(emu.getInvocation(cron.invokeId)?.invocationStatus).toBe('Stopped');
    expect(emu.getInvocation(young.invokeId)?.invocationStatus).toBe('Running');
    expect(result.data.targets).toEqual([expect.objectContaining({ invokeId: cron.invokeId, instanceId: 'i-cron5', status: 'stopped', invocationStatus: 'Cancelled' })]);
  });

  it('a schedule that has ended shows Success overall (the state the old tests seeded as "between runs")', () => {
    const ended = emu.seedInvocation({ repeatMode: 'Period', instances: [{ instanceId: 'i-cron7', status: 'Success' }] });
    expect(ended.invocationStatus).toBe('Success');
  });
});


// Side by side, each on its own emulator (faults are per emulator): each case waits seconds
// on a deadline, so together they take the longest one's time (docs/ARCHITECTURE.md §5).
describe.concurrent('5. the answer always comes before the FC timeout', () => {
  // The set-up: FC timeout 3 s, ECS_TIMEOUT_MS 1900, STS and ECS each slow enough that
  // one call plus the next attempt's timeout is past the deadline. The issue had them answer in
  // 1.85 s; 1.5 s is as slow for the deadline (1.5 + 1.9 > 2.75 s) and leaves 400 ms, not 50,
  // before the 1.9 s timeout, so a loaded machine cannot turn the slow answer into a timeout.
  const SLOW_MS = 1500;
  const context = { function: { name: 'stop-invocation', timeout: 3 } };
  const env = { ECS_TIMEOUT_MS: '1900', VERIFY: 'true' };
  it('cold: AssumeRole uses up the budget, so no StopInvocation starts; retryable DeadlineExceeded before the deadline', () => withOwnStack(env, { warm: false }, async (emu, stack) => {
    const inv = emu.seedInvocation({ instances: [{ instanceId: 'i-late1' }] });
    emu.injectFault({ service: 'sts', latencyMs: SLOW_MS });
    emu.injectFault({ service: 'ecs', latencyMs: SLOW_MS });
    const { result, thrown } = await invokeEvent(stack, { regionId: 'cn-hangzhou', invokeId: inv.invokeId, instanceIds: ['i-late1'] }, context);
    const answeredAt = Date.now();
    expect(answeredAt).toBeLessThanOrEqual(answerBy(stack));
    expect(thrown).toBeInstanceOf(RetryableStopError);
    expect(result.data.targets[0]).toMatchObject({ status: 'failed', error: { code: 'DeadlineExceeded', retryable: true } });
    expect(emu.requests({ service: 'sts', action: 'AssumeRole' })).toHaveLength(1);
    expect(stopCalls(emu)).toHaveLength(0);
    expect(stateOf(inv.invokeId, 'i-late1', emu)).toBe('Running');

    // The redelivery finds the session the first one fetched: the stop fits, verification does not.
    const again = await invokeEvent(stack, { regionId: 'cn-hangzhou', invokeId: inv.invokeId, instanceIds: ['i-late1'] }, context);
    expect(Date.now()).toBeLessThanOrEqual(answerBy(stack));
    expect(again.thrown).toBeInstanceOf(RetryableStopError);
    expect(again.result.data.targets[0]).toMatchObject({ status: 'failed', ecsRequestId: expect.any(String), error: { code: 'Verification.Unavailable', retryable: true } });
    expect(emu.requests({ service: 'sts', action: 'AssumeRole' })).toHaveLength(1);
    expect(stopCalls(emu)).toHaveLength(1);
    expect(stateOf(inv.invokeId, 'i-late1', emu)).toBe('Stopped');
  }));

  it('warm, slow ECS over HTTP: stopped within a timeout that fits, answered before the deadline', () => withOwnStack({ ECS_TIMEOUT_MS: '900', VERIFY: 'true', VERIFY_GRACE_MS: '0' }, {}, async (emu, s) => {
    const inv = emu.seedInvocation({ instances: [{ instanceId: 'i-late2' }] });
    emu.injectFault({ service: 'ecs', latencyMs: 600 });
    const event = {
      version: 'v1', rawPath: '/stop', headers: { 'content-type': 'application/json', authorization: `Bearer test-token-0123456789abcdef0123456789` }, queryParameters: {},
      body: JSON.stringify({ regionId: 'cn-hangzhou', invokeId: inv.invokeId }), isBase64Encoded: false, requestContext: { http: { method: 'POST', path: '/stop' } },
    };
    const res = (await s.fn.handler(Buffer.from(JSON.stringify(event)), { requestId: 'req-warm', region: 'cn-hangzhou', accountId: emu.accountId, function: { name: 'stop-invocation', timeout: 3 } })) as { statusCode: number; body: string };
    expect(Date.now()).toBeLessThanOrEqual(answerBy(s));
    expect(res.statusCode).toBe(200);
    expect((JSON.parse(res.body) as ResultEvent).data.targets[0]).toMatchObject({ instanceId: 'i-late2', status: 'stopped', invocationStatus: 'Stopped' });
    expect(emu.requests({ service: 'sts' })).toHaveLength(1); // from initialize only
  }));

  it('STS slower than the whole budget: never waited for past the deadline', () => withOwnStack({ ECS_TIMEOUT_MS: '1500' }, { warm: false }, async (emu, stack) => {
    const inv = emu.seedInvocation({ instances: [{ instanceId: 'i-late3' }] });
    emu.injectFault({ service: 'sts', latencyMs: 5000 });
    const { result, thrown } = await invokeEvent(stack, { regionId: 'cn-hangzhou', invokeId: inv.invokeId }, { function: { name: 'stop-invocation', timeout: 3 } });
    expect(Date.now()).toBeLessThanOrEqual(answerBy(stack));
    expect(thrown).toBeInstanceOf(RetryableStopError);
    expect(result.data.targets[0].error?.retryable).toBe(true);
    expect(stopCalls(emu)).toHaveLength(0);
  }));
});

describe('5b. credentials draw from the same deadline (the real library against the emulator STS)', () => {
  const broker = (now?: () => number) => {
    process.env.ALIBABA_CLOUD_ACCESS_KEY_ID = emu.keys.accessKeyId;
    process.env.ALIBABA_CLOUD_ACCESS_KEY_SECRET = emu.keys.accessKeySecret;
    const config = loadConfig({ TARGET_ROLE_ARN: emu.roleArn, STS_ENDPOINT: emu.stsEndpoint, ECS_TIMEOUT_MS: '1000' });
    return new CredentialBroker(config, new Logger('error', []), now);
  };
  const assumeRoles = () => emu.requests({ service: 'sts', action: 'AssumeRole' });

  it('no AssumeRole is started that cannot finish by the deadline', async () => {
    const b = broker();
    await expect(b.ensure(Date.now() + 200)).rejects.toMatchObject({ code: 'DeadlineExceeded', retryable: true });
    expect(assumeRoles()).toHaveLength(0);
  });

  it('a slow AssumeRole is not waited for past the deadline; it still fills the cache for the next call', async () => {
    const b = broker();
    emu.injectFault({ service: 'sts', latencyMs: 600, times: 1 });
    await expect(b.ensure(Date.now() + 1200)).resolves.toBeUndefined(); // one STS timeout (1000 ms) fits
    expect(assumeRoles()).toHaveLength(1);
    const c = broker();
    emu.injectFault({ service: 'sts', latencyMs: 600, times: 1 });
    const fetching = c.ensure(undefined); // someone else's fetch, in flight
    await expect(c.ensure(Date.now() + 200)).rejects.toMatchObject({ code: 'DeadlineExceeded', retryable: true });
    expect(assumeRoles()).toHaveLength(1); // thrown before STS answered
    await expect(fetching).resolves.toBeUndefined();
    expect(assumeRoles()).toHaveLength(2);
    await expect(c.ensure(Date.now() + 200)).resolves.toBeUndefined(); // cached now
  });

  it('a session past its half-life but still valid is served at once and refreshed behind the call', async () => {
    let now = Date.now();
    const b = broker(() => now);
    emu.configure({ stsTokenTtlSeconds: 302 }); // refresh after ~2 s, valid for ~4 min more
    await b.ensure(undefined);
    const first = b.peek()?.accessKeyId;
    now += 10_000;
    emu.injectFault({ service: 'sts', latencyMs: 300, times: 1 });
    await b.ensure(now + 100); // returns before the refresh is answered
    expect(assumeRoles()).toHaveLength(1);
    expect(b.peek()?.accessKeyId).toBe(first);
    await expect.poll(() => assumeRoles().length).toBe(2);
    await expect.poll(() => b.peek()?.accessKeyId).not.toBe(first);
  });
});

describe('5c. one attempt = its set-up (credentials) + the call, both inside the deadline', () => {
  const policy = (now: { t: number }, prepare: (d: number | undefined) => Promise<void>) => ({
    maxAttempts: 3, baseDelayMs: 10, maxDelayMs: 10, attemptTimeoutMs: 100, deadline: 250, random: () => 0,
    now: () => now.t, sleep: async (ms: number) => { now.t += ms; }, prepare,
  });

  it('a set-up that used up the budget starts no call', async () => {
    const now = { t: 0 };
    let calls = 0;
    const err = await withRetry(policy(now, async () => { now.t += 200; }), async () => { calls++; return 'x'; }).catch((e: unknown) => e);
    expect(calls).toBe(0);
    expect(err).toMatchObject({ code: 'DeadlineExceeded', retryable: true });
  });

  it('a failed set-up is a failed attempt: retried while the next one fits, with the deadline passed down', async () => {
    const now = { t: 0 };
    const seen: Array<number | undefined> = [];
    let calls = 0;
    const out = await withRetry(policy(now, async (d) => {
      seen.push(d);
      now.t += 20;
      if (seen.length === 1) throw new EcsError('STS.Unavailable', 'slow', true);
    }), async () => { calls++; return 'ok'; });
    expect(out).toEqual({ value: 'ok', attempts: 2 });
    expect(seen).toEqual([250, 250]);
    expect(calls).toBe(1);
  });
});

describe('6. status codes say what the README says', () => {
  const group = (alerts: Array<Record<string, string>>) =>
    JSON.stringify({ version: '4', status: 'firing', groupKey: `{}:{g="${Math.random()}"}`, alerts: alerts.map((labels, n) => ({ status: 'firing', labels: { alertname: 'A', ...labels }, startsAt: '2026-11-24T06:30:00Z', fingerprint: `f${n}` })) });

  it('one alert without a target plus a not-found one: 207, not 424', async () => {
    stack = await startStack();
    const res = await stack.post(group([{ instance: '10.0.0.7:9100' }, { instance_id: 'i-nothinglive1', region_id: 'cn-hangzhou' }]));
    expect(res.status).toBe(207);
    const codes = res.json.data.targets.map((t) => [t.status, t.error?.code]);
    expect(codes).toEqual(expect.arrayContaining([['not-found', undefined], ['failed', 'InvalidTarget']]));
    expect(stopCalls()).toHaveLength(0);
  });

  it('one alert without a target plus a dry run: 207, and nothing stopped', async () => {
    stack = await startStack();
    const inv = emu.seedInvocation({ instances: [{ instanceId: 'i-dryrun01' }] });
    const res = await stack.post(group([{ instance: '10.0.0.8:9100' }, { invoke_id: inv.invokeId, region_id: 'cn-hangzhou' }]), { path: '/stop?dryRun=true' });
    expect(res.status).toBe(207);
    expect(res.json.data.targets.map((t) => t.status).sort()).toEqual(['dry-run', 'failed']);
    expect(stateOf(inv.invokeId, 'i-dryrun01')).toBe('Running');
  });
});

describe('7. a tag-scoped RAM policy: one untagged instance does not deny its whole chunk', () => {
  const TAG = { key: 'stop-invocation', value: 'allowed' };

  it('the policy file allows StopInvocation on command/* as Alibaba Cloud’s own example does, and on tagged instances only', () => {
    const policy = JSON.parse(readFileSync(resolve(repoRoot, 'ram', 'target-role-policy-tagged.json'), 'utf8')) as { Statement: Array<{ Action: string[]; Resource: string[]; Condition?: object }> };
    const stop = policy.Statement.filter((s) => s.Action.includes('ecs:StopInvocation'));
    expect(stop).toContainEqual(expect.objectContaining({ Resource: ['acs:ecs:<REGION>:<TARGET_ACCOUNT_ID>:command/*'] }));
    expect(stop.find((s) => s.Resource.some((r) => r.endsWith(':instance/*')))?.Condition).toEqual({ StringEquals: { 'acs:ResourceTag/<TAG_KEY>': '<TAG_VALUE>' } });
  });

  for (const whole of [false, true]) {
    it(`${whole ? 'whole invocation' : '60 named ids'}: only the untagged instance fails Forbidden.RAM; the rest are stopped`, async () => {
      stack = await startStack({ VERIFY: 'true' });
      emu.configure({ stopRequiresTag: TAG });
      const ids = instanceIds(60, 'i-tagged');
      const untagged = ids[17];
      const inv = emu.seedInvocation({ instances: ids.map((instanceId) => ({ instanceId, tags: instanceId === untagged ? {} : { [TAG.key]: TAG.value } })) });
      const res = await stack.post({ regionId: 'cn-hangzhou', invokeId: inv.invokeId, ...(whole ? {} : { instanceIds: ids }) });
      expect(res.status).toBe(207);
      expect(res.json.data.counts).toMatchObject({ requested: 60, stopped: 59, failed: 1 });
      expect(byId(res.json.data.targets).get(untagged)).toMatchObject({ status: 'failed', error: { code: 'Forbidden.RAM', retryable: false } });
      expect(res.json.data.targets.map((t) => t.instanceId).sort()).toEqual([...ids].sort());
      for (const id of ids) expect(stateOf(inv.invokeId, id)).toBe(id === untagged ? 'Running' : 'Stopped');
      assertNoFalseStop(res.json.data.targets);
      // Halving is bounded: well under one call per instance.
      expect(stopCalls().length).toBeLessThan(30);
    });
  }

  it('every instance untagged: all fail Forbidden.RAM (424, the function’s own permissions), the split stays bounded', async () => {
    stack = await startStack({ VERIFY: 'false' });
    emu.configure({ stopRequiresTag: TAG });
    const ids = instanceIds(50, 'i-untag');
    const inv = emu.seedInvocation({ instances: ids.map((instanceId) => ({ instanceId })) });
    const res = await stack.post({ regionId: 'cn-hangzhou', invokeId: inv.invokeId, instanceIds: ids });
    expect(res.status).toBe(424);
    expect(everyOf(res.json.data.targets, (t) => t.status === 'failed' && t.error?.code === 'Forbidden.RAM')).toBe(true);
    expect(stopCalls().length).toBeLessThanOrEqual(1 + 2 * 22);
  });
});

describe('the HTTP status table (README "The result"), one function, every row', () => {
  const err = (code: string, retryable: boolean, statusCode?: number, retryAfterMs?: number): TargetError => ({ code, message: code, retryable, statusCode, retryAfterMs });
  let n = 0;
  const t = (status: TargetResult['status'], error?: TargetError): TargetResult => ({ regionId: 'cn-hangzhou', invokeId: 't-1', instanceId: `i-row${n++}`, status, error });
  const errs = { still: err('Invocation.StillRunning', false), notFound: err('InvalidInstanceId.NotFound', false, 404), invalidTarget: err('InvalidTarget', false, 400), ram: err('Forbidden.RAM', false), region: err('RegionNotAllowed', false, 403) };

  type Row = { name: string; targets?: TargetResult[]; rejected?: number; status: number; retryAfter?: string };
  const rows: Record<string, Row[]> = {
    '200': [
      { name: 'all stopped', targets: [t('stopped'), t('stopped')], status: 200 },
      { name: 'skipped and not found', targets: [t('skipped'), t('not-found')], status: 200 },
      { name: 'a dry run', targets: [t('dry-run')], status: 200 },
      { name: 'a mix of all four', targets: [t('stopped'), t('skipped'), t('not-found'), t('dry-run')], status: 200 },
    ],
    '207': [
      { name: 'stopped + not part of the invocation', targets: [t('stopped'), t('failed', errs.notFound)], status: 207 },
      { name: 'InvalidTarget + not-found (issue case 6)', targets: [t('not-found'), t('failed', errs.invalidTarget)], status: 207 },
      { name: 'InvalidTarget + dry run (issue case 6)', targets: [t('dry-run'), t('failed', errs.invalidTarget)], status: 207 },
      { name: 'still running + skipped', targets: [t('skipped'), t('failed', errs.still)], status: 207 },
      { name: 'Forbidden.RAM for one, stopped the rest (issue case 7)', targets: [t('stopped'), t('stopped'), t('failed', errs.ram)], status: 207 },
    ],
    '400 / 413 / 415 / 405': [
      { name: 'refused request 400', rejected: 400, status: 400 },
      { name: 'refused request 413', rejected: 413, status: 413 },
      { name: 'refused request 415', rejected: 415, status: 415 },
      { name: 'refused request 405', rejected: 405, status: 405 },
    ],
    '401 / 403': [
      { name: 'authentication failed', rejected: 401, status: 401 },
      { name: 'every target in a region not allowed', targets: [t('failed', errs.region), t('failed', errs.region)], status: 403 },
    ],
    '404 / 403 / 400 from ECS': [
      { name: 'all InvalidInvokeId.NotFound', targets: [t('failed', err('InvalidInvokeId.NotFound', false, 404)), t('failed', err('InvalidInvokeId.NotFound', false, 404))], status: 404 },
      { name: 'all Operation.Forbidden', targets: [t('failed', err('Operation.Forbidden', false, 403))], status: 403 },
      { name: 'all RegionId.ApiNotSupported', targets: [t('failed', err('RegionId.ApiNotSupported', false, 400))], status: 400 },
      { name: 'different 4xx', targets: [t('failed', errs.notFound), t('failed', err('Operation.Forbidden', false, 403))], status: 400 },
    ],
    '424': [
      { name: 'still running after the stop', targets: [t('failed', errs.still)], status: 424 },
      { name: "ECS refusing the function's permissions", targets: [t('failed', errs.ram)], status: 424 },
      { name: 'a 4xx and a configuration failure', targets: [t('failed', errs.notFound), t('failed', errs.still)], status: 424 },
    ],
    '5xx (500, 502, 503, 504) + `Retry-After`': [
      { name: 'one 500', targets: [t('stopped'), t('failed', err('InternalError.Dispatch', true, 500))], status: 500, retryAfter: '5' },
      { name: 'BadResponse 502', targets: [t('failed', err('BadResponse', true, 502))], status: 502, retryAfter: '5' },
      { name: 'Verification.Unavailable 503', targets: [t('failed', err('Verification.Unavailable', true, 503))], status: 503, retryAfter: '5' },
      { name: 'RequestTimeout 504', targets: [t('failed', err('RequestTimeout', true, 504))], status: 504, retryAfter: '5' },
      { name: 'different 5xx → 503', targets: [t('failed', err('InternalError', true, 500)), t('failed', err('BadResponse', true, 502))], status: 503, retryAfter: '5' },
      { name: 'throttled (HTTP 400) with retry-after → 503 and its wait', targets: [t('failed', err('Throttling.User', true, 400, 2500))], status: 503, retryAfter: '3' },
      { name: 'retryable beats non-retryable and stopped', targets: [t('stopped'), t('failed', errs.still), t('failed', err('DeadlineExceeded', true, 503))], status: 503, retryAfter: '5' },
      { name: 'STS failure without an HTTP status', targets: [t('failed', err('STS.Unavailable', true))], status: 503, retryAfter: '5' },
    ],
  };

  it('covers exactly the rows of the README table', () => {
    const readme = readFileSync(resolve(repoRoot, 'README.md'), 'utf8');
    const table = readme.slice(readme.indexOf('| HTTP status | when | the sender should |'));
    const lines = table.split('\n').slice(2);
    const names = lines.slice(0, lines.findIndex((l) => !l.startsWith('|'))).map((l) => l.split('|')[1].trim());
    expect(names.length).toBeGreaterThan(5);
    expect(Object.keys(rows).sort()).toEqual([...names].sort());
  });

  for (const [row, cases] of Object.entries(rows)) {
    for (const c of cases) {
      it(`${row}: ${c.name}`, () => {
        const v = c.rejected
          ? buildResult({ origin: { requestId: 'r', region: 'cn-hangzhou', accountId: '1', functionName: 'f' }, trigger: 'http', targets: [], durationMs: 0, rejected: { status: c.rejected, error: { code: 'X', message: 'm' } } })
          : buildResult({ origin: { requestId: 'r', region: 'cn-hangzhou', accountId: '1', functionName: 'f' }, trigger: 'http', targets: c.targets!, durationMs: 0 });
        expect(v.status).toBe(c.status);
        expect(v.headers['retry-after']).toBe(c.retryAfter);
        if (c.targets) {
          expect(httpStatusFor(c.targets).status).toBe(c.status);
          // 5xx exactly when a retry can help (events throw exactly then).
          expect(c.status >= 500).toBe(c.targets.some((x) => x.status === 'failed' && x.error?.retryable));
        }
      });
    }
  }
});

describe('emulator knobs this issue added', () => {
  it('a fault can match parameters and let requests through first', async () => {
    stack = await startStack({ ECS_MAX_ATTEMPTS: '1', VERIFY: 'false' });
    const a = emu.seedInvocation({ instances: [{ instanceId: 'i-knob1' }] });
    const b = emu.seedInvocation({ instances: [{ instanceId: 'i-knob2' }] });
    emu.injectFault({ service: 'ecs', action: 'StopInvocation', params: { InvokeId: b.invokeId }, skip: 1, status: 500, code: 'InternalError' });
    expect((await stack.post({ regionId: 'cn-hangzhou', invokeId: a.invokeId })).status).toBe(200); // another invocation: not matched
    expect((await stack.post({ regionId: 'cn-hangzhou', invokeId: b.invokeId })).status).toBe(200); // the first match is let through
    expect((await stack.post({ regionId: 'cn-hangzhou', invokeId: b.invokeId })).status).toBe(500); // then it hits
    expect(stopCalls().map((r) => r.status)).toEqual([200, 200, 500]);
    expect(stateOf(b.invokeId, 'i-knob2')).toBe('Stopped');
  });
});
