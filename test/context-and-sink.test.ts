import dc from 'node:diagnostics_channel';
import type { IncomingMessage } from 'node:http';
import type { Socket } from 'node:net';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import type { Emulator } from '../emulator/index.js';
import { createEntryPoints, RetryableStopError } from '../shared/handler.js';
import { liveReadTimers } from '../shared/ecs/read-timers.js';
import { FunctionInstance } from '../shared/instance.js';
import type { ResultEvent } from '../shared/types.js';
import { assertNoSecrets, emulator, instanceIds, startStack, type Stack } from './helpers/stack.js';
import { everyOf } from './helpers/expect.js';

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

describe("FC's context.credentials as the source", () => {
  it('uses the STS keys FC hands the handler, assumes the role with them, and keeps them out of the logs', async () => {
    // No keys in the environment: only the context can provide them.
    delete process.env.ALIBABA_CLOUD_ACCESS_KEY_ID;
    delete process.env.ALIBABA_CLOUD_ACCESS_KEY_SECRET;
    const fcKeys = emu.issueStsCredentials(3600);
    const lines: string[] = [];
    const runtime = new FunctionInstance({
      env: { ECS_ENDPOINT: `http://${emu.ecsEndpoint}`, STS_ENDPOINT: emu.stsEndpoint, TARGET_ROLE_ARN: emu.roleArn, ALIBABA_CLOUD_ECS_METADATA_DISABLED: 'true', ALIBABA_CLOUD_CLI_PROFILE_DISABLED: 'true', LOG_LEVEL: 'debug' },
      write: (l) => {
        lines.push(l);
      },
    });
    const fn = createEntryPoints(() => runtime);
    const context = { requestId: 'ctx-1', region: 'cn-hangzhou', accountId: emu.accountId, credentials: fcKeys, function: { name: 'f', timeout: 30 } };
    await fn.initialize(context);
    const inv = emu.seedInvocation({ instances: [{ instanceId: 'i-ctxsource1', status: 'Running' }] });
    const event = (await fn.handler(Buffer.from(JSON.stringify({ regionId: 'cn-hangzhou', invokeId: inv.invokeId })), context)) as ResultEvent;
    expect(event.data.outcome).toBe('stopped');
    const assume = emu.requests({ service: 'sts', action: 'AssumeRole' });
    expect(assume).toHaveLength(1);
    expect(assume[0].accessKeyId).toBe(fcKeys.accessKeyId);
    expect(assume[0].securityToken).toBe(true);
    expect(everyOf(emu.requests({ service: 'ecs' }), (r) => r.accessKeyId !== fcKeys.accessKeyId && r.signatureValid)).toBe(true);
    assertNoSecrets(lines, [fcKeys.accessKeySecret, fcKeys.securityToken, runtime.credentials.peek()?.accessKeySecret, runtime.credentials.peek()?.securityToken]);
  });

  it('without a role, signs ECS calls with the context keys themselves', async () => {
    delete process.env.ALIBABA_CLOUD_ACCESS_KEY_ID;
    delete process.env.ALIBABA_CLOUD_ACCESS_KEY_SECRET;
    const fcKeys = emu.issueStsCredentials(3600);
    const runtime = new FunctionInstance({ env: { ECS_ENDPOINT: `http://${emu.ecsEndpoint}`, ALIBABA_CLOUD_ECS_METADATA_DISABLED: 'true', ALIBABA_CLOUD_CLI_PROFILE_DISABLED: 'true' }, write: () => undefined });
    const fn = createEntryPoints(() => runtime);
    const inv = emu.seedInvocation({ instances: [{ instanceId: 'i-ctxsource2', status: 'Running' }] });
    const event = (await fn.handler(Buffer.from(JSON.stringify({ regionId: 'cn-hangzhou', invokeId: inv.invokeId })), { requestId: 'c', credentials: fcKeys })) as ResultEvent;
    expect(event.data.outcome).toBe('stopped');
    expect(everyOf(emu.requests({ service: 'ecs' }), (r) => r.accessKeyId === fcKeys.accessKeyId)).toBe(true);
    expect(emu.requests({ service: 'sts' })).toHaveLength(0);
  });
});

describe('event invocations that a retry can finish', () => {
  it('throw (so FC retries the async invocation), and the retry stops only what is left', async () => {
    stack = await startStack({ ECS_MAX_ATTEMPTS: '1', ECS_CONCURRENCY: '1', VERIFY: 'false' });
    const ids = instanceIds(60, 'i-evretry');
    const inv = emu.seedInvocation({ instances: ids.map((instanceId) => ({ instanceId, status: 'Running' as const })) });
    const event = { specversion: '1.0', id: 'evt-retry-1', source: 'ops.rollout', type: 'ops:Rollout:Abort', aliyunregionid: 'cn-hangzhou', data: { regionId: 'cn-hangzhou', invokeId: inv.invokeId, instanceIds: ids } };
    emu.injectFault({ service: 'ecs', action: 'StopInvocation', status: 503, code: 'ServiceUnavailable', message: 'busy', times: 1 });
    const err = await stack.invoke(event).catch((e: unknown) => e);
    expect(err).toBeInstanceOf(RetryableStopError);
    expect((err as RetryableStopError).message).toMatch(/50 of 60 target\(s\) failed \(ServiceUnavailable\)/);
    expect((err as RetryableStopError).result.data.counts).toMatchObject({ stopped: 10, failed: 50 });
    // FC delivers the same event again: only the 50 that failed are stopped now.
    emu.clearRequests();
    const second = await stack.invoke(event);
    expect(second.data.counts).toMatchObject({ requested: 60, stopped: 60, failed: 0 });
    const calls = emu.requests({ service: 'ecs', action: 'StopInvocation' });
    expect(calls).toHaveLength(1);
    expect(Object.keys(calls[0].params).filter((k) => k.startsWith('InstanceId.'))).toHaveLength(50);
  });

  it('a failure no retry can fix is returned, not thrown', async () => {
    stack = await startStack();
    const result = await stack.invoke({ regionId: 'cn-hangzhou', invokeId: 't-doesnotexist' });
    expect(result.data.outcome).toBe('failed');
    expect(result.data.targets[0].error?.code).toBe('InvalidInvokeId.NotFound');
  });
});

describe('HTTP plumbing', () => {
  it('no ECS call leaves an httpx read timer behind on its keep-alive socket', async () => {
    // Watch the sockets of the ECS calls (port of the emulator's ECS endpoint).
    const ecsPort = Number(emu.ecsEndpoint.split(':')[1]);
    const sockets = new Set<Socket>();
    const watch = (message: unknown) => {
      const { response } = message as { response: IncomingMessage };
      if (response.socket?.remotePort === ecsPort) sockets.add(response.socket);
    };
    dc.subscribe('http.client.response.finish', watch);
    try {
      stack = await startStack({ VERIFY: 'true', ECS_TIMEOUT_MS: '30000' });
      for (let n = 0; n < 30; n++) {
        const inv = emu.seedInvocation({ instances: [{ instanceId: `i-timer${n}`, status: 'Running' }] });
        expect((await stack.post({ regionId: 'cn-hangzhou', invokeId: inv.invokeId })).status).toBe(200);
      }
    } finally {
      dc.unsubscribe('http.client.response.finish', watch);
    }
    expect(emu.requests({ service: 'ecs' }).length).toBeGreaterThanOrEqual(60);
    expect(sockets.size).toBeGreaterThan(0);
    expect(liveReadTimers(sockets)).toBe(0);
  });
});

describe('result events to EventBridge (RESULT_EVENT_BUS)', () => {
  const sinkEnv = () => ({ RESULT_EVENT_BUS: 'ops-results', EVENTBRIDGE_ENDPOINT: `http://${emu.eventBridgeEndpoint}` });

  it('publishes each result with a valid signature', async () => {
    stack = await startStack(sinkEnv());
    const inv = emu.seedInvocation({ instances: instanceIds(2, 'i-sink').map((instanceId) => ({ instanceId, status: 'Running' as const })) });
    const res = await stack.post({ regionId: 'cn-hangzhou', invokeId: inv.invokeId, reason: 'sink test' });
    expect(res.status).toBe(200);
    const puts = emu.requests({ service: 'eventbridge' });
    expect(puts).toHaveLength(1);
    expect(puts[0].signatureValid).toBe(true);
    expect(puts[0].accessKeyId).toMatch(/^STS\./); // the role's session, like the ECS calls
    const events = emu.events() as Array<Record<string, unknown>>;
    expect(events).toHaveLength(1);
    expect(events[0]).toMatchObject({ id: res.json.id, type: 'fc-stop-invocation.result', source: res.json.source, aliyuneventbusname: 'ops-results' });
    expect(JSON.stringify(events[0])).toContain('sink test');
    expect((await stack.instance.sink)?.stats).toEqual({ published: 1, failed: 0 });
  });

  it('publishes nothing for anonymous traffic refused before authentication', async () => {
    stack = await startStack(sinkEnv());
    expect((await stack.post({ regionId: 'cn-hangzhou', invokeId: 't-abc' }, { headers: { authorization: '' } })).status).toBe(401);
    expect((await stack.post('', { method: 'GET' })).status).toBe(405);
    expect(emu.requests({ service: 'eventbridge' })).toHaveLength(0);
    // An authenticated but invalid request is the operator's business: it is published.
    expect((await stack.post({ regionId: 'cn-hangzhou' })).status).toBe(400);
    expect(emu.requests({ service: 'eventbridge' })).toHaveLength(1);
  });

  it('an EventBridge outage does not change the outcome of the stop', async () => {
    stack = await startStack(sinkEnv());
    emu.injectFault({ service: 'eventbridge', status: 503, code: 'ServiceUnavailable', message: 'down' });
    const inv = emu.seedInvocation({ instances: [{ instanceId: 'i-sinkdown1', status: 'Running' }] });
    const res = await stack.post({ regionId: 'cn-hangzhou', invokeId: inv.invokeId });
    expect(res.status).toBe(200);
    expect(res.json.data.outcome).toBe('stopped');
    expect(emu.getInvocation(inv.invokeId)?.instances[0].status).toBe('Stopped');
    expect((await stack.instance.sink)?.stats).toEqual({ published: 0, failed: 1 });
    const warn = stack.lines.map((l) => JSON.parse(l) as { msg: string; level: string }).find((l) => l.msg === 'result event not published');
    expect(warn?.level).toBe('warn');
  });
});
