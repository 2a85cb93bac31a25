import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import type { Emulator } from '../emulator/index.js';
import { emulator, instanceIds, startStack, type HttpBody, type Stack } from './helpers/stack.js';
import { everyOf } from './helpers/expect.js';

// Faults one at a time: STS trouble, verification, partial failure, stray ids, dry runs and
// dedupe under failure. The fault matrix (every fault against a storm of requests) is in
// fault-matrix.test.ts, recovery from each of its faults in fault-recovery.test.ts.

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

describe('STS trouble', () => {
  it('AssumeRole refused (403 NoPermission) → failed, not retryable, 4xx', async () => {
    stack = await startStack({}, { warm: false });
    emu.injectFault({ service: 'sts', status: 403, code: 'NoPermission', message: 'You are not authorized to do this action.' });
    const inv = emu.seedInvocation({ instances: [{ instanceId: 'i-sts403a', status: 'Running' }] });
    const res = await stack.post({ regionId: 'cn-hangzhou', invokeId: inv.invokeId, instanceIds: ['i-sts403a'] });
    expect(res.status).toBeGreaterThanOrEqual(400);
    expect(res.status).toBeLessThan(500);
    expect(res.json.data.targets[0]).toMatchObject({ status: 'failed', error: { code: 'STS.NoPermission', retryable: false } });
    expect(emu.requests({ service: 'sts', action: 'AssumeRole' })).toHaveLength(1);
  });

  it('AssumeRole timing out → failed, retryable, 5xx', async () => {
    stack = await startStack({ ECS_TIMEOUT_MS: '300', ECS_MAX_ATTEMPTS: '2' }, { warm: false });
    emu.injectFault({ service: 'sts', latencyMs: 1000 });
    const inv = emu.seedInvocation({ instances: [{ instanceId: 'i-ststimeout', status: 'Running' }] });
    const res = await stack.post({ regionId: 'cn-hangzhou', invokeId: inv.invokeId, instanceIds: ['i-ststimeout'] });
    expect(res.status).toBeGreaterThanOrEqual(500);
    expect(res.json.data.targets[0]).toMatchObject({ status: 'failed', error: { retryable: true } });
    expect(emu.getInvocation(inv.invokeId)?.instances[0].status).toBe('Running');
  });

  it('an STS outage while a valid session is cached does not fail requests', async () => {
    stack = await startStack();
    expect(emu.requests({ service: 'sts', action: 'AssumeRole' })).toHaveLength(1);
    emu.injectFault({ service: 'sts', status: 503, code: 'ServiceUnavailable', message: 'down' });
    for (let n = 0; n < 5; n++) {
      const inv = emu.seedInvocation({ instances: [{ instanceId: `i-outage${n}`, status: 'Running' }] });
      const res = await stack.post({ regionId: 'cn-hangzhou', invokeId: inv.invokeId });
      expect(res.status).toBe(200);
      expect(emu.getInvocation(inv.invokeId)?.instances[0].status).toBe('Stopped');
    }
  });

  it('a session about to expire is replaced before use, never sent to ECS expired', async () => {
    // Expirations have second precision (emulator/keys.ts), so a "1 s" session lives 0-1 s and
    // a fresh one could die on its way to ECS on a busy machine: 2 s sessions live 1-2 s.
    emu.configure({ stsTokenTtlSeconds: 2 });
    stack = await startStack();
    const first = emu.seedInvocation({ instances: [{ instanceId: 'i-expire1', status: 'Running' }] });
    expect((await stack.post({ regionId: 'cn-hangzhou', invokeId: first.invokeId })).status).toBe(200);
    // Only time makes the first session expire (one that ECS would now refuse).
    await new Promise((r) => setTimeout(r, 2000));
    const second = emu.seedInvocation({ instances: [{ instanceId: 'i-expire2', status: 'Running' }] });
    const res = await stack.post({ regionId: 'cn-hangzhou', invokeId: second.invokeId });
    expect(res.status).toBe(200);
    expect(emu.getInvocation(second.invokeId)?.instances[0].status).toBe('Stopped');
    expect(emu.requests({ service: 'ecs' }).filter((r) => r.code?.startsWith('InvalidSecurityToken'))).toHaveLength(0);
    expect(emu.requests({ service: 'sts', action: 'AssumeRole' }).length).toBeGreaterThanOrEqual(2);
  });
});

describe('verification and partial failure', () => {
  it('reports the real per-instance state: a command that keeps running is never called stopped', async () => {
    stack = await startStack({ VERIFY_GRACE_MS: '300' });
    const inv = emu.seedInvocation({
      instances: [
        { instanceId: 'i-verify1', status: 'Running' },
        { instanceId: 'i-verify2', status: 'Running', ignoresStop: true },
        { instanceId: 'i-verify3', status: 'Pending' },
      ],
    });
    const res = await stack.post({ regionId: 'cn-hangzhou', invokeId: inv.invokeId, instanceIds: ['i-verify1', 'i-verify2', 'i-verify3'] });
    const byId = new Map(res.json.data.targets.map((t) => [t.instanceId, t]));
    expect(byId.get('i-verify1')).toMatchObject({ status: 'stopped', invocationStatus: 'Stopped' });
    expect(byId.get('i-verify3')).toMatchObject({ status: 'stopped', invocationStatus: 'Cancelled' });
    expect(byId.get('i-verify2')).toMatchObject({ status: 'failed', invocationStatus: 'Running', error: { code: 'Invocation.StillRunning', retryable: false } });
    expect(res.json.data.outcome).toBe('partial');
    expect(res.status).toBe(207);
  });

  it('waits through Stopping within the grace period', async () => {
    emu.configure({ stopLatencyMs: 200 });
    stack = await startStack({ VERIFY_GRACE_MS: '2000' });
    const inv = emu.seedInvocation({ instances: [{ instanceId: 'i-slowstop', status: 'Running' }] });
    const res = await stack.post({ regionId: 'cn-hangzhou', invokeId: inv.invokeId, instanceIds: ['i-slowstop'] });
    expect(res.json.data.targets[0]).toMatchObject({ status: 'stopped', invocationStatus: 'Stopped' });
  });

  it('a failed chunk does not stop the others, and a retried delivery re-stops only what failed', async () => {
    stack = await startStack({ ECS_MAX_ATTEMPTS: '1', ECS_CONCURRENCY: '1', VERIFY: 'false' });
    const ids = instanceIds(120, 'i-chunk');
    const inv = emu.seedInvocation({ instances: ids.map((instanceId) => ({ instanceId, status: 'Running' as const })) });
    emu.injectFault({ service: 'ecs', action: 'StopInvocation', status: 500, code: 'InternalError.Dispatch', times: 1 });
    const body = { regionId: 'cn-hangzhou', invokeId: inv.invokeId, instanceIds: ids };
    const first = await stack.post(body, { headers: { 'idempotency-key': 'delivery-1' } });
    expect(first.status).toBe(500);
    expect(first.json.data.outcome).toBe('partial');
    expect(first.json.data.counts).toMatchObject({ stopped: 70, failed: 50 });
    emu.clearRequests();
    const retry = await stack.post(body, { headers: { 'idempotency-key': 'delivery-1' } });
    expect(retry.status).toBe(200);
    expect(retry.json.data.counts).toMatchObject({ requested: 120, stopped: 120, failed: 0 });
    const calls = emu.requests({ service: 'ecs', action: 'StopInvocation' });
    expect(calls).toHaveLength(1);
    expect(Object.keys(calls[0].params).filter((k) => k.startsWith('InstanceId.'))).toHaveLength(50);
  });
});

describe('a stray instance id', () => {
  it('does not keep the rest of its chunk running: only the stray one fails', async () => {
    stack = await startStack({ VERIFY: 'false' });
    const ids = instanceIds(120, 'i-stray');
    const inv = emu.seedInvocation({ instances: ids.map((instanceId) => ({ instanceId, status: 'Running' as const })) });
    const withStray = [...ids.slice(0, 70), 'i-notinthisinvocation', ...ids.slice(70)];
    const res = await stack.post({ regionId: 'cn-hangzhou', invokeId: inv.invokeId, instanceIds: withStray });
    expect(res.status).toBe(207);
    expect(res.json.data.outcome).toBe('partial');
    expect(res.json.data.counts).toMatchObject({ requested: 121, stopped: 120, failed: 1 });
    const stray = res.json.data.targets.find((t) => t.instanceId === 'i-notinthisinvocation');
    expect(stray).toMatchObject({ status: 'failed', error: { code: 'InvalidInstanceId.NotFound', retryable: false } });
    expect(everyOf(emu.getInvocation(inv.invokeId)?.instances, (i) => i.status === 'Stopped')).toBe(true);
    // 3 chunks, one look at the invocation's members, the bad chunk again without the stray id.
    expect(emu.requests({ service: 'ecs', action: 'StopInvocation' })).toHaveLength(4);
    expect(emu.requests({ service: 'ecs', action: 'DescribeInvocations' })).toHaveLength(1);
  });

  it('a chunk of nothing but stray ids costs one more look, not a storm of halvings', async () => {
    stack = await startStack({ VERIFY: 'false' });
    const inv = emu.seedInvocation({ instances: [{ instanceId: 'i-realone1', status: 'Running' }] });
    const strays = instanceIds(100, 'i-nothere');
    const res = await stack.post({ regionId: 'cn-hangzhou', invokeId: inv.invokeId, instanceIds: strays });
    expect(res.status).toBe(404);
    expect(everyOf(res.json.data.targets, (t) => t.status === 'failed' && t.error?.code === 'InvalidInstanceId.NotFound')).toBe(true);
    expect(res.json.data.targets).toHaveLength(100);
    expect(emu.requests({ service: 'ecs', action: 'StopInvocation' })).toHaveLength(2);
  });
});

describe('dry run', () => {
  it('resolves and reports, calls no StopInvocation', async () => {
    stack = await startStack();
    const inv = emu.seedInvocation({ instances: [{ instanceId: 'i-dry1', status: 'Running' }, { instanceId: 'i-dry2', status: 'Running' }] });
    const res = await stack.post({ regionId: 'cn-hangzhou', invokeId: inv.invokeId, instanceIds: ['i-dry1', 'i-dry2'] }, { path: '/stop?dryRun=true' });
    expect(res.status).toBe(200);
    expect(res.json.data.outcome).toBe('dry-run');
    expect(res.json.data.targets.map((t) => t.status)).toEqual(['dry-run', 'dry-run']);
    expect(emu.requests({ service: 'ecs', action: 'StopInvocation' })).toHaveLength(0);
    expect(everyOf(emu.getInvocation(inv.invokeId)?.instances, (i) => i.status === 'Running')).toBe(true);
  });
});

describe('dedupe', () => {
  it('concurrent copies of a failing delivery share one execution; a later redelivery runs again', async () => {
    stack = await startStack({ ECS_MAX_ATTEMPTS: '2', VERIFY: 'false' });
    const inv = emu.seedInvocation({ instances: [{ instanceId: 'i-copies01', status: 'Running' }] });
    // Slow enough that every copy arrives while the first is still in flight.
    emu.injectFault({ service: 'ecs', action: 'StopInvocation', status: 500, code: 'InternalError.Dispatch', message: 'down', latencyMs: 300 });
    const body = { regionId: 'cn-hangzhou', invokeId: inv.invokeId, instanceIds: ['i-copies01'] };
    const s = stack;
    const copies = await Promise.all(Array.from({ length: 20 }, () => s.post(body, { headers: { 'idempotency-key': 'failing-1' } })));
    expect(everyOf(copies, (r) => r.status === 500 && r.headers.get('retry-after'))).toBe(true);
    expect(copies.filter((r) => r.json.data.outcome === 'duplicate')).toHaveLength(19);
    expect(emu.requests({ service: 'ecs', action: 'StopInvocation' })).toHaveLength(2); // one execution, 2 attempts
    emu.clearFaults();
    const redelivery = await stack.post(body, { headers: { 'idempotency-key': 'failing-1' } });
    expect(redelivery.status).toBe(200);
    expect(redelivery.json.data.outcome).toBe('stopped');
    expect(emu.requests({ service: 'ecs', action: 'StopInvocation' })).toHaveLength(3);
  });

  it('a dry run and the real delivery of the same alert are not duplicates of each other', async () => {
    stack = await startStack();
    const inv = emu.seedInvocation({ instances: [{ instanceId: 'i-dryreal1', status: 'Running' }] });
    const body = { regionId: 'cn-hangzhou', invokeId: inv.invokeId };
    const dry = await stack.post(body, { path: '/stop?dryRun=true', headers: { 'idempotency-key': 'same-key' } });
    expect(dry.json.data.outcome).toBe('dry-run');
    const real = await stack.post(body, { headers: { 'idempotency-key': 'same-key' } });
    expect(real.json.data.outcome).toBe('stopped');
    expect(emu.getInvocation(inv.invokeId)?.instances[0].status).toBe('Stopped');
  });

  it('an Idempotency-Key reused with another body runs that body', async () => {
    stack = await startStack();
    const a = emu.seedInvocation({ instances: [{ instanceId: 'i-reuse01', status: 'Running' }] });
    const b = emu.seedInvocation({ instances: [{ instanceId: 'i-reuse02', status: 'Running' }] });
    await stack.post({ regionId: 'cn-hangzhou', invokeId: a.invokeId }, { headers: { 'idempotency-key': 'reused' } });
    const second = await stack.post({ regionId: 'cn-hangzhou', invokeId: b.invokeId }, { headers: { 'idempotency-key': 'reused' } });
    expect(second.json.data.outcome).toBe('stopped');
    expect(second.json.subject).toBe(b.invokeId);
    expect(emu.getInvocation(b.invokeId)?.instances[0].status).toBe('Stopped');
  });

  it('1000 concurrent identical deliveries → one StopInvocation per chunk, the rest duplicates', async () => {
    stack = await startStack();
    const ids = instanceIds(120, 'i-burst');
    const inv = emu.seedInvocation({ instances: ids.map((instanceId) => ({ instanceId, status: 'Running' as const })) });
    const event = Buffer.from(
      JSON.stringify({
        version: 'v1',
        rawPath: '/stop',
        headers: { 'content-type': 'application/json', authorization: `Bearer ${'test-token-0123456789abcdef0123456789'}`, 'idempotency-key': 'storm-1' },
        queryParameters: {},
        body: JSON.stringify({ regionId: 'cn-hangzhou', invokeId: inv.invokeId, instanceIds: ids }),
        isBase64Encoded: false,
        requestContext: { http: { method: 'POST', path: '/stop' } },
      }),
    );
    const s = stack;
    const results = (await Promise.all(Array.from({ length: 1000 }, () => s.fn.handler(event, { requestId: 'burst' })))) as Array<{ statusCode: number; body: string }>;
    expect(everyOf(results, (r) => r.statusCode === 200)).toBe(true);
    const outcomes = results.map((r) => (JSON.parse(r.body) as HttpBody).data.outcome);
    expect(outcomes.filter((o) => o === 'stopped')).toHaveLength(1);
    expect(outcomes.filter((o) => o === 'duplicate')).toHaveLength(999);
    expect(emu.requests({ service: 'ecs', action: 'StopInvocation' })).toHaveLength(3);
    expect(new Set(results.map((r) => (JSON.parse(r.body) as HttpBody).data.targets.length))).toEqual(new Set([120]));
  });
});
