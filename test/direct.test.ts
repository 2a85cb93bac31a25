import { afterAll, afterEach, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { emulator, instanceIds, sample, startStack, TOKEN, type Stack } from './helpers/stack.js';
import { everyOf } from './helpers/expect.js';
import type { Emulator } from '../emulator/index.js';

// The direct source end to end: HTTP trigger and event invocation, through the real
// @alicloud SDKs and signatures to the emulator.

let emu: Emulator;
let stack: Stack;

beforeAll(async () => {
  emu = await emulator();
});
beforeEach(async () => {
  emu.reset();
  stack = await startStack();
});
afterEach(async () => {
  await stack.close();
});
afterAll(async () => {
  await emu.close();
});

const seed = (ids: string[], extra: { regionId?: string; invokeId?: string } = {}) =>
  emu.seedInvocation({ regionId: 'cn-hangzhou', ...extra, instances: ids.map((instanceId) => ({ instanceId, status: 'Running' as const })) });

describe('direct request over the HTTP trigger', () => {
  it('stops the invocation on the named instances and reports each target', async () => {
    const ids = instanceIds(2);
    const inv = seed(ids);
    const res = await stack.post({ regionId: 'cn-hangzhou', invokeId: inv.invokeId, instanceIds: ids, reason: 'test' });
    expect(res.status).toBe(200);
    expect(res.json.type).toBe('fc-stop-invocation.result');
    expect(res.json.specversion).toBe('1.0');
    expect(res.json.subject).toBe(inv.invokeId);
    expect(res.json.data.outcome).toBe('stopped');
    expect(res.json.data.trigger).toBe('http');
    expect(res.json.data.source).toBe('direct');
    expect(res.json.data.reason).toBe('test');
    expect(res.json.data.targets.map((t) => [t.instanceId, t.status, t.invocationStatus]).sort()).toEqual(
      ids.map((id) => [id, 'stopped', 'Stopped']),
    );
    expect(res.json.data.counts).toEqual({ requested: 2, stopped: 2, failed: 0, skipped: 0 });
    expect(emu.getInvocation(inv.invokeId)?.instances.map((i) => i.status)).toEqual(['Stopped', 'Stopped']);
  });

  it('defaults the region from ?regionId= and stops every instance when none are named', async () => {
    const ids = instanceIds(3);
    const inv = seed(ids, { regionId: 'cn-shanghai' });
    const res = await stack.post({ invokeId: inv.invokeId }, { path: '/stop?regionId=cn-shanghai' });
    expect(res.status).toBe(200);
    // No ids came in: verification lists what ECS holds, one target per instance.
    expect(res.json.data.targets.map((t) => t.instanceId).sort()).toEqual(ids);
    const stops = emu.requests({ service: 'ecs', action: 'StopInvocation' });
    expect(stops).toHaveLength(1);
    expect(stops[0].params.RegionId).toBe('cn-shanghai');
    expect(Object.keys(stops[0].params).some((k) => k.startsWith('InstanceId'))).toBe(false);
  });

  it('splits 120 instance ids into 3 StopInvocation calls and accounts for every id', async () => {
    const ids = instanceIds(120);
    const inv = seed(ids);
    const res = await stack.post({ regionId: 'cn-hangzhou', invokeId: inv.invokeId, instanceIds: ids });
    expect(res.status).toBe(200);
    const stops = emu.requests({ service: 'ecs', action: 'StopInvocation' });
    expect(stops).toHaveLength(3);
    const sizes = stops.map((r) => Object.keys(r.params).filter((k) => k.startsWith('InstanceId.')).length).sort((a, b) => a - b);
    expect(sizes).toEqual([20, 50, 50]);
    const reported = res.json.data.targets.map((t) => t.instanceId).sort();
    expect(reported).toEqual([...ids].sort());
    expect(new Set(reported).size).toBe(120);
    expect(res.json.data.counts.stopped).toBe(120);
  });
});

describe('direct request as an event invocation', () => {
  it('returns the result event for shared/samples/direct.json', async () => {
    const body = JSON.parse(sample('direct.json').toString()) as { invokeId: string; instanceIds: string[] };
    seed(body.instanceIds, { invokeId: body.invokeId });
    const event = await stack.invoke(sample('direct.json'));
    expect(event.data.trigger).toBe('event');
    expect(event.data.outcome).toBe('stopped');
    expect(event.data.targets.map((t) => t.instanceId).sort()).toEqual([...body.instanceIds].sort());
    expect(everyOf(emu.getInvocation(body.invokeId)?.instances, (i) => i.status === 'Stopped')).toBe(true);
  });

  it('handles shared/samples/fc-http-event.json as the HTTP trigger event it is', async () => {
    await stack.close();
    stack = await startStack({ WEBHOOK_TOKENS: 'example-token' });
    const inner = JSON.parse(JSON.parse(sample('fc-http-event.json').toString()).body as string) as { invokeId: string; instanceIds: string[] };
    seed(inner.instanceIds, { invokeId: inner.invokeId });
    const res = (await stack.fn.handler(sample('fc-http-event.json'), { requestId: 'r1' })) as { statusCode: number; body: string };
    expect(res.statusCode).toBe(200);
    const body = JSON.parse(res.body) as { data: { targets: Array<{ instanceId: string; status: string }> } };
    expect(body.data.targets.map((t) => t.status)).toEqual(['stopped', 'stopped']);
    expect(everyOf(emu.getInvocation(inner.invokeId)?.instances, (i) => i.status === 'Stopped')).toBe(true);
  });
});

describe('ECS errors map to the documented status and a clear error', () => {
  const cases: Array<{ name: string; setup: () => { body: object }; status: number; code: string }> = [
    {
      name: 'unknown invoke id',
      setup: () => ({ body: { regionId: 'cn-hangzhou', invokeId: 't-doesnotexist', instanceIds: instanceIds(1) } }),
      status: 404,
      code: 'InvalidInvokeId.NotFound',
    },
    {
      name: 'instance not in the invocation',
      setup: () => {
        const inv = seed(instanceIds(1));
        return { body: { regionId: 'cn-hangzhou', invokeId: inv.invokeId, instanceIds: ['i-notpartofit0000000'] } };
      },
      status: 404,
      code: 'InvalidInstanceId.NotFound',
    },
    {
      name: 'unknown region',
      setup: () => ({ body: { regionId: 'xx-nowhere-9', invokeId: 't-abc', instanceIds: instanceIds(1) } }),
      status: 404,
      code: 'InvalidRegionId.NotFound',
    },
    {
      name: 'region without the API',
      setup: () => {
        emu.configure({ unsupportedRegions: ['cn-qingdao'] });
        return { body: { regionId: 'cn-qingdao', invokeId: 't-abc', instanceIds: instanceIds(1) } };
      },
      status: 400,
      code: 'RegionId.ApiNotSupported',
    },
    {
      name: 'forbidden',
      setup: () => {
        emu.injectFault({ service: 'ecs', action: 'StopInvocation', status: 403, code: 'Operation.Forbidden', message: 'The operation is not permitted.' });
        const inv = seed(instanceIds(1));
        return { body: { regionId: 'cn-hangzhou', invokeId: inv.invokeId } };
      },
      status: 403,
      code: 'Operation.Forbidden',
    },
    {
      name: 'more than 50 ids in one call',
      setup: () => {
        emu.injectFault({ service: 'ecs', action: 'StopInvocation', status: 403, code: 'InstanceIds.ExceedLimit', message: 'The number of instances exceeds the limit.' });
        const inv = seed(instanceIds(1));
        return { body: { regionId: 'cn-hangzhou', invokeId: inv.invokeId } };
      },
      status: 403,
      code: 'InstanceIds.ExceedLimit',
    },
  ];

  for (const c of cases) {
    it(`${c.name} → ${c.status} ${c.code}, not retried`, async () => {
      const { body } = c.setup();
      const res = await stack.post(body);
      expect(res.status).toBe(c.status);
      expect(res.json.data.error?.code).toBe(c.code);
      expect(res.json.data.error?.message).toMatch(/StopInvocation/);
      expect(res.json.data.outcome).toBe('failed');
      const ids = (body as { instanceIds?: string[] }).instanceIds;
      if (ids) expect(res.json.data.targets.map((t) => t.instanceId).sort()).toEqual([...ids].sort());
      for (const t of res.json.data.targets) {
        expect(t.status).toBe('failed');
        expect(t.error?.code).toBe(c.code);
        expect(t.error?.retryable).toBe(false);
      }
      expect(emu.requests({ service: 'ecs', action: 'StopInvocation' })).toHaveLength(1);
    });
  }

  it('InternalError.Dispatch → 500 with Retry-After, retried as configured', async () => {
    emu.injectFault({ service: 'ecs', action: 'StopInvocation', status: 500, code: 'InternalError.Dispatch', message: 'An error occurred when you dispatched the request.' });
    const ids = instanceIds(2);
    const inv = seed(ids);
    const res = await stack.post({ regionId: 'cn-hangzhou', invokeId: inv.invokeId, instanceIds: ids });
    expect(res.status).toBe(500);
    expect(res.headers.get('retry-after')).toMatch(/^\d+$/);
    expect(res.json.data.error?.code).toBe('InternalError.Dispatch');
    expect(everyOf(res.json.data.targets, (t) => t.status === 'failed' && t.error?.retryable === true)).toBe(true);
    expect(emu.requests({ service: 'ecs', action: 'StopInvocation' })).toHaveLength(3); // ECS_MAX_ATTEMPTS default
  });
});

describe('credentials', () => {
  it('assumes the target role with the source keys, then signs ECS calls with the STS keys', async () => {
    const inv = seed(instanceIds(1));
    const res = await stack.post({ regionId: 'cn-hangzhou', invokeId: inv.invokeId });
    expect(res.status).toBe(200);
    const assume = emu.requests({ service: 'sts', action: 'AssumeRole' });
    expect(assume.length).toBeGreaterThanOrEqual(1);
    expect(assume[0].accessKeyId).toBe(emu.keys.accessKeyId);
    expect(assume[0].params.RoleArn).toBe(emu.roleArn);
    expect(assume[0].signatureValid).toBe(true);
    const ecs = emu.requests({ service: 'ecs' });
    expect(ecs.length).toBeGreaterThan(0);
    for (const r of ecs) {
      expect(r.accessKeyId).toMatch(/^STS\./);
      expect(r.securityToken).toBe(true);
      expect(r.signatureValid).toBe(true);
    }
  });

  it('10 concurrent cold requests share one AssumeRole', async () => {
    await stack.close();
    emu.reset();
    stack = await startStack({}, { warm: false });
    const invs = Array.from({ length: 10 }, (_, i) => seed(instanceIds(1, `i-cold${i}`)));
    const results = await Promise.all(invs.map((inv) => stack.post({ regionId: 'cn-hangzhou', invokeId: inv.invokeId })));
    expect(results.map((r) => r.status)).toEqual(Array(10).fill(200));
    expect(emu.requests({ service: 'sts', action: 'AssumeRole' })).toHaveLength(1);
  });

  it('initialize warms the role so the first request assumes nothing', async () => {
    expect(emu.requests({ service: 'sts', action: 'AssumeRole' })).toHaveLength(1); // from initialize
    emu.clearRequests();
    const inv = seed(instanceIds(1));
    await stack.post({ regionId: 'cn-hangzhou', invokeId: inv.invokeId });
    expect(emu.requests({ service: 'sts' })).toHaveLength(0);
  });

  it("without a role, ECS refusing the function's own key is 424 (not the sender's 4xx) and names the code", async () => {
    await stack.close();
    emu.reset();
    stack = await startStack({ TARGET_ROLE_ARN: '' }, { warm: false });
    process.env.ALIBABA_CLOUD_ACCESS_KEY_SECRET = 'definitely-not-the-secret';
    const inv = seed(instanceIds(1));
    const res = await stack.post({ regionId: 'cn-hangzhou', invokeId: inv.invokeId });
    expect(res.status).toBe(424);
    expect(res.json.data.error?.code).toBe('SignatureDoesNotMatch');
    expect(res.json.data.targets[0]).toMatchObject({ status: 'failed', error: { code: 'SignatureDoesNotMatch', retryable: false } });
    expect(emu.getInvocation(inv.invokeId)?.instances[0].status).toBe('Running');
  });

  it('a wrong source secret fails clearly (STS refuses the signature) and never reaches ECS', async () => {
    await stack.close();
    emu.reset();
    stack = await startStack({}, { warm: false });
    process.env.ALIBABA_CLOUD_ACCESS_KEY_SECRET = 'definitely-not-the-secret';
    const inv = seed(instanceIds(1));
    const res = await stack.post({ regionId: 'cn-hangzhou', invokeId: inv.invokeId, instanceIds: inv.instances.map((i) => i.instanceId) });
    expect(res.status).toBeGreaterThanOrEqual(400);
    expect(res.json.data.targets[0].status).toBe('failed');
    expect(res.json.data.targets[0].error?.code).toMatch(/^STS\./);
    expect(emu.requests({ service: 'ecs' })).toHaveLength(0);
    expect(emu.getInvocation(inv.invokeId)?.instances[0].status).toBe('Running');
  });
});

describe('bad input never reaches ECS', () => {
  const bad: Array<{ name: string; body: string | object; headers?: Record<string, string>; method?: string; status: number; path?: string }> = [
    { name: 'not JSON', body: '{"regionId":', status: 400, path: '/' },
    { name: 'unknown field', body: { regionId: 'cn-hangzhou', invokeId: 't-abc', instanceID: ['i-abc'] }, status: 400, path: '/instanceID' },
    { name: 'bad instance id', body: { regionId: 'cn-hangzhou', invokeId: 't-abc', instanceIds: ['i-ok1', 'not-an-id'] }, status: 400, path: '/instanceIds/1' },
    { name: 'duplicate instance ids', body: { regionId: 'cn-hangzhou', invokeId: 't-abc', instanceIds: ['i-ok1', 'i-ok1'] }, status: 400, path: '/instanceIds' },
    { name: 'neither invoke id nor instances', body: { regionId: 'cn-hangzhou' }, status: 400, path: '/' },
    { name: 'bad region', body: { regionId: 'Hangzhou!', invokeId: 't-abc' }, status: 400, path: '/regionId' },
    { name: 'array body', body: [1, 2], status: 400, path: '/' },
    { name: 'dryRun not boolean', body: { regionId: 'cn-hangzhou', invokeId: 't-abc', dryRun: 'yes' }, status: 400, path: '/dryRun' },
    { name: 'xml content type', body: '<stop/>', headers: { 'content-type': 'application/xml' }, status: 415 },
    { name: 'too large', body: JSON.stringify({ regionId: 'cn-hangzhou', invokeId: 't-abc', reason: 'x'.repeat(4 * 1024 * 1024) }), status: 413 },
    { name: 'GET', body: '', method: 'GET', status: 405 },
    { name: 'no credentials', body: { regionId: 'cn-hangzhou', invokeId: 't-abc' }, headers: { authorization: '' }, status: 401 },
    { name: 'wrong token', body: { regionId: 'cn-hangzhou', invokeId: 't-abc' }, headers: { authorization: 'Bearer wrong-token-wrong-token' }, status: 401 },
    { name: 'too many instances', body: { regionId: 'cn-hangzhou', invokeId: 't-abc', instanceIds: instanceIds(1001) }, status: 400, path: '/instanceIds' },
  ];
  for (const c of bad) {
    it(`${c.name} → ${c.status}`, async () => {
      const res = await stack.post(c.body, { headers: c.headers, method: c.method });
      expect(res.status).toBe(c.status);
      expect(res.json.data.error?.code).toEqual(expect.any(String));
      expect(res.json.data.error?.message).toEqual(expect.any(String));
      expect(res.json.data.outcome).toBe('rejected');
      if (c.path) expect(res.json.data.error?.details?.map((d) => d.path)).toContain(c.path);
      expect(emu.requests({ service: 'ecs' })).toHaveLength(0);
    });
  }

  it('an HTTP request far over the limit (too big to parse) still gets an HTTP 413', async () => {
    const res = await stack.post(JSON.stringify({ regionId: 'cn-hangzhou', invokeId: 't-abc', reason: 'x'.repeat(9 * 1024 * 1024) }));
    expect(res.status).toBe(413);
    expect(res.json.data.error?.code).toBe('PayloadTooLarge');
    expect(emu.requests({ service: 'ecs' })).toHaveLength(0);
  });

  it('405 names the allowed method', async () => {
    const res = await stack.post('', { method: 'GET' });
    expect(res.headers.get('allow')).toBe('POST');
  });

  it('with nothing configured every HTTP request is refused with a how-to', async () => {
    await stack.close();
    stack = await startStack({ WEBHOOK_TOKENS: '' });
    const res = await stack.post({ regionId: 'cn-hangzhou', invokeId: 't-abc' });
    expect(res.status).toBe(401);
    expect(res.json.data.error?.message).toMatch(/WEBHOOK_TOKENS/);
    expect(res.json.data.error?.message).toMatch(/ALLOW_UNAUTHENTICATED/);
  });
});

describe('logs', () => {
  it('one summary line per invocation, and no secret in any line', async () => {
    const inv = seed(instanceIds(2));
    await stack.post({ regionId: 'cn-hangzhou', invokeId: inv.invokeId });
    await stack.post({ regionId: 'cn-hangzhou', invokeId: 't-missing' });
    await stack.post({ regionId: 'cn-hangzhou', invokeId: inv.invokeId }, { headers: { authorization: 'Bearer not-the-token-at-all' } });
    const records = stack.lines.map((l) => JSON.parse(l) as Record<string, unknown>);
    const summaries = records.filter((r) => r.msg === 'stop-invocation result');
    expect(summaries).toHaveLength(3);
    for (const s of summaries) {
      expect(s).toMatchObject({ level: 'info', requestId: expect.any(String), outcome: expect.any(String), counts: expect.any(Object) });
    }
    const sts = await stack.instance.credentials.get();
    const text = stack.lines.join('');
    for (const secret of [TOKEN, 'not-the-token-at-all', emu.keys.accessKeySecret, sts.accessKeySecret, sts.securityToken ?? 'none-none']) {
      expect(text).not.toContain(secret);
    }
  });

  it('a bad variable stops start-up with a message naming it', async () => {
    const { FunctionInstance } = await import('../shared/instance.js');
    expect(() => new FunctionInstance({ env: { MAX_INSTANCES: 'lots' } })).toThrow(/MAX_INSTANCES/);
    expect(() => new FunctionInstance({ env: { TARGET_ROLE_ARN: 'role/x' } })).toThrow(/TARGET_ROLE_ARN/);
    expect(() => new FunctionInstance({ env: { ROLE_DURATION_SECONDS: '60' } })).toThrow(/ROLE_DURATION_SECONDS.*900/);
    expect(() => new FunctionInstance({ env: { WEBHOOK_BASIC_AUTH: 'nopassword' } })).toThrow(/WEBHOOK_BASIC_AUTH/);
  });
});
