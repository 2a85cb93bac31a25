import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import type { Emulator, Fault } from '../emulator/index.js';
import { mapLimit } from '../shared/concurrency.js';
import { emulator, instanceIds, startStack, type HttpBody, type Stack } from './helpers/stack.js';
import { everyOf } from './helpers/expect.js';

// Never lose a stop: under every fault the emulator can inject, each target that came in
// ends `stopped` or `failed` with a reason, the HTTP status matches the targets, a
// target reported stopped really is stopped, and retries happen exactly as configured.

let emu: Emulator;
let stack: Stack | undefined;
const REQUESTS = Number(process.env.FAULT_REQUESTS ?? 100);
const ATTEMPTS = 3;
/** Backoff shortened (shared/config.ts TUNING): these tests count attempts, they do not time them. */
const FAST = { tuning: { retryBaseMs: 5, retryMaxMs: 40 } };

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

interface Run {
  ids: string[];
  invokeId: string;
  res: { status: number; headers: Headers; json: HttpBody };
}

/** `REQUESTS` requests with 1–120 instances each, 10 at a time. */
async function storm(s: Stack, prefix: string): Promise<Run[]> {
  const plans = Array.from({ length: REQUESTS }, (_, n) => {
    const count = 1 + ((n * 37) % 120);
    const ids = instanceIds(count, `i-${prefix}${n}x`);
    const inv = emu.seedInvocation({ regionId: 'cn-hangzhou', instances: ids.map((instanceId) => ({ instanceId, status: 'Running' as const })) });
    return { ids, invokeId: inv.invokeId };
  });
  return mapLimit(plans, 10, async (p) => ({ ...p, res: await s.post({ regionId: 'cn-hangzhou', invokeId: p.invokeId, instanceIds: p.ids }) }));
}

/**
 * The invariants every run must hold, whatever the fault. Checked as plain code and asserted
 * once (a list of what broke): thousands of per-target `expect` calls were a third of this
 * file's CPU.
 */
function checkInvariants(runs: Run[]): void {
  expect(runs.length).toBeGreaterThan(0);
  const broken: string[] = [];
  for (const { ids, invokeId, res } of runs) {
    const targets = res.json.data.targets;
    const where = `${invokeId} (${res.status})`;
    // Every id that came in, exactly once.
    if (JSON.stringify(targets.map((t) => t.instanceId).sort()) !== JSON.stringify([...ids].sort())) broken.push(`${where}: targets are not the ids that came in`);
    for (const t of targets) {
      if (t.status !== 'stopped' && t.status !== 'failed') broken.push(`${where} ${t.instanceId}: status ${t.status}`);
      if (t.status === 'failed' && (typeof t.error?.code !== 'string' || typeof t.error.message !== 'string' || typeof t.error.retryable !== 'boolean')) {
        broken.push(`${where} ${t.instanceId}: failed without code, message and retryable`);
      }
    }
    // Never claim a stop the emulator does not show.
    const state = new Map(emu.getInvocation(invokeId)?.instances.map((i) => [i.instanceId, i.status]));
    for (const t of targets) if (t.status === 'stopped' && state.get(t.instanceId ?? '') !== 'Stopped') broken.push(`${where} ${t.instanceId}: stopped, emulator says ${state.get(t.instanceId ?? '')}`);
    // The status tells the sender what to do.
    const failed = targets.filter((t) => t.status === 'failed');
    if (failed.length === 0) {
      if (res.status !== 200) broken.push(`${where}: nothing failed, status is not 200`);
    } else if (failed.some((t) => t.error?.retryable)) {
      if (res.status < 500 || !/^\d+$/.test(res.headers.get('retry-after') ?? '')) broken.push(`${where}: a retryable failure without 5xx and Retry-After`);
    } else if (res.status >= 500) broken.push(`${where}: nothing retryable, yet 5xx`);
  }
  expect(broken.slice(0, 20)).toEqual([]);
}

const chunks = (n: number) => Math.ceil(n / 50);

/** A call we gave up on is still answered (and logged) late; let those land before counting. */
const settle = (fault: Fault) => new Promise((resolve) => setTimeout(resolve, fault.latencyMs ? fault.latencyMs + 150 : 0));

const persistent: Array<{ name: string; fault: Fault; code: string; env?: Record<string, string> }> = [
  { name: '500 InternalError.Dispatch', fault: { service: 'ecs', action: 'StopInvocation', status: 500, code: 'InternalError.Dispatch', message: 'dispatch failed' }, code: 'InternalError.Dispatch' },
  { name: 'Throttling.User with retry-after', fault: { service: 'ecs', action: 'StopInvocation', status: 400, code: 'Throttling.User', message: 'slow down', retryAfterMs: 50 }, code: 'Throttling.User' },
  { name: 'slow response past the timeout', fault: { service: 'ecs', action: 'StopInvocation', latencyMs: 500 }, code: 'RequestTimeout', env: { ECS_TIMEOUT_MS: '200' } },
  { name: 'connection reset', fault: { service: 'ecs', action: 'StopInvocation', reset: true }, code: 'NetworkError' },
  { name: 'non-JSON 502', fault: { service: 'ecs', action: 'StopInvocation', status: 502, rawBody: '<html><body>502 Bad Gateway</body></html>', contentType: 'text/html' }, code: 'BadGateway' },
];

describe(`fault matrix (${REQUESTS} requests each, mixed instance counts)`, () => {
  for (const f of persistent) {
    it(`${f.name}: every target failed and retryable, ${ATTEMPTS} attempts per chunk, 5xx`, async () => {
      stack = await startStack({ ECS_MAX_ATTEMPTS: String(ATTEMPTS), VERIFY: 'false', ...f.env }, FAST);
      emu.injectFault(f.fault);
      const runs = await storm(stack, 'p');
      await settle(f.fault);
      checkInvariants(runs);
      // A late answer may still have stopped it (as in the cloud), but we never claim it.
      const targets = runs.flatMap(({ res }) => res.json.data.targets.map((t) => `${res.status >= 500 ? '5xx' : res.status} ${t.status} ${t.error?.code} ${t.error?.retryable}`));
      expect(new Set(targets)).toEqual(new Set([`5xx failed ${f.code} true`]));
      const expectedCalls = runs.reduce((n, r) => n + chunks(r.ids.length) * ATTEMPTS, 0);
      expect(emu.requests({ service: 'ecs', action: 'StopInvocation' })).toHaveLength(expectedCalls);
      if (f.fault.retryAfterMs) for (const { res } of runs) expect(res.headers.get('retry-after')).toBe('1');
    });

    it(`${f.name}, transient (one failure per chunk at most): every target stopped after a retry`, async () => {
      stack = await startStack({ ECS_MAX_ATTEMPTS: String(ATTEMPTS), ECS_CONCURRENCY: '1', ...f.env }, FAST);
      // Fail every other call: with one call in flight per request, no chunk fails twice in a row.
      let total = 0;
      const runs: Run[] = [];
      for (let n = 0; n < Math.min(REQUESTS, 20); n++) {
        const ids = instanceIds(1 + ((n * 37) % 120), `i-t${n}x`);
        const inv = emu.seedInvocation({ regionId: 'cn-hangzhou', instances: ids.map((instanceId) => ({ instanceId, status: 'Running' as const })) });
        emu.injectFault({ ...f.fault, times: 1 });
        total += chunks(ids.length) + 1;
        runs.push({ ids, invokeId: inv.invokeId, res: await stack.post({ regionId: 'cn-hangzhou', invokeId: inv.invokeId, instanceIds: ids }) });
      }
      await settle(f.fault);
      checkInvariants(runs);
      const targets = runs.flatMap(({ res }) => res.json.data.targets.map((t) => `${res.status} ${t.status} ${t.invocationStatus}`));
      expect(new Set(targets)).toEqual(new Set(['200 stopped Stopped']));
      expect(emu.requests({ service: 'ecs', action: 'StopInvocation' })).toHaveLength(total);
    });
  }

  it('STS failure: AssumeRole 503 → every target failed and retryable, nothing reaches ECS', async () => {
    stack = await startStack({ ECS_MAX_ATTEMPTS: String(ATTEMPTS), VERIFY: 'false' }, { warm: false, ...FAST });
    emu.injectFault({ service: 'sts', status: 503, code: 'ServiceUnavailable', message: 'STS is down' });
    const runs = await storm(stack, 's');
    checkInvariants(runs);
    const targets = runs.flatMap(({ res }) => res.json.data.targets.map((t) => `${res.status} ${t.status} ${/^STS\./.test(t.error?.code ?? '')} ${t.error?.retryable}`));
    expect(new Set(targets)).toEqual(new Set(['503 failed true true']));
    expect(emu.requests({ service: 'ecs' })).toHaveLength(0);
    expect(emu.requests({ service: 'sts' }).length).toBeGreaterThan(0);
  });
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
    emu.configure({ stsTokenTtlSeconds: 1 });
    stack = await startStack();
    const first = emu.seedInvocation({ instances: [{ instanceId: 'i-expire1', status: 'Running' }] });
    expect((await stack.post({ regionId: 'cn-hangzhou', invokeId: first.invokeId })).status).toBe(200);
    await new Promise((r) => setTimeout(r, 1500));
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
