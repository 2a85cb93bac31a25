import { CloudEvent, HTTP } from 'cloudevents';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import type { Emulator } from '../emulator/index.js';
import { RetryableStopError } from '../shared/handler.js';
import type { ResultEvent } from '../shared/types.js';
import { expectCloudEventObject, expectStructuredCloudEvent, headersOf } from './helpers/cloudevents.js';
import { emulator, instanceIds, startStack, TOKEN, type Stack } from './helpers/stack.js';

// Every answer the function gives is a CloudEvents 1.0 event, as the official SDK reads it:
// HTTP responses of every kind are structured-mode messages, an event invocation's return
// value (and the one a RetryableStopError carries) is an event, and so is each event the
// EventBridge sink publishes. Error details sit only inside `data.error`.
// HTTP binding: https://github.com/cloudevents/spec/blob/v1.0.2/cloudevents/bindings/http-protocol-binding.md#32-structured-content-mode

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

const sinkEnv = () => ({ RESULT_EVENT_BUS: 'ops-results', EVENTBRIDGE_ENDPOINT: `http://${emu.eventBridgeEndpoint}` });

interface Answer {
  status: number;
  headers: Headers;
  event: ResultEvent;
  raw: Record<string, unknown>;
}

/** One raw HTTP exchange with the local runtime; the body is checked before it is trusted. */
async function send(s: Stack, body: string | object, init: { headers?: Record<string, string>; path?: string; method?: string } = {}): Promise<Answer> {
  const res = await fetch(`${s.local.url}${init.path ?? '/stop'}`, {
    method: init.method ?? 'POST',
    headers: { 'content-type': 'application/json', authorization: `Bearer ${TOKEN}`, ...init.headers },
    body: init.method === 'GET' ? undefined : typeof body === 'string' ? body : JSON.stringify(body),
  });
  const text = await res.text();
  const { raw } = expectStructuredCloudEvent({ headers: headersOf(res.headers), body: text });
  expect(raw).not.toHaveProperty('error');
  return { status: res.status, headers: res.headers, event: raw as unknown as ResultEvent, raw };
}

const running = (ids: string[]) => emu.seedInvocation({ instances: ids.map((instanceId) => ({ instanceId, status: 'Running' as const })) });

describe('HTTP answers are structured-mode CloudEvents', () => {
  it('200 stopped, with the invocation as subject', async () => {
    stack = await startStack();
    const inv = running(instanceIds(2, 'i-ce200'));
    const a = await send(stack, { regionId: 'cn-hangzhou', invokeId: inv.invokeId });
    expect(a.status).toBe(200);
    expect(a.event.data.outcome).toBe('stopped');
    expect(a.raw['subject']).toBe(inv.invokeId);
    expect(a.event.data).not.toHaveProperty('error');
  });

  it('200 with several invocations: no subject attribute at all (absent, not empty or null)', async () => {
    stack = await startStack();
    running(['i-cemulti1']);
    running(['i-cemulti1']);
    const a = await send(stack, { regionId: 'cn-hangzhou', instanceIds: ['i-cemulti1'] });
    expect(a.status).toBe(200);
    expect(a.event.data.targets).toHaveLength(2);
    expect(Object.keys(a.raw)).not.toContain('subject');
  });

  it('200 dry run', async () => {
    stack = await startStack();
    const inv = running(['i-cedry1']);
    const a = await send(stack, { regionId: 'cn-hangzhou', invokeId: inv.invokeId }, { path: '/stop?dryRun=true' });
    expect(a.status).toBe(200);
    expect(a.event.data.outcome).toBe('dry-run');
    expect(emu.getInvocation(inv.invokeId)?.instances[0].status).toBe('Running');
  });

  it('200 duplicate', async () => {
    stack = await startStack();
    const inv = running(['i-cedup1']);
    const body = { regionId: 'cn-hangzhou', invokeId: inv.invokeId };
    const first = await send(stack, body, { headers: { 'idempotency-key': 'ce-delivery-1' } });
    const again = await send(stack, body, { headers: { 'idempotency-key': 'ce-delivery-1' } });
    expect(again.status).toBe(first.status);
    expect(again.event.data.outcome).toBe('duplicate');
    expect(again.event.id).not.toBe(first.event.id);
  });

  it('207 partial: the error summary is in data.error', async () => {
    stack = await startStack({ VERIFY: 'false' });
    const ids = instanceIds(3, 'i-ce207');
    const inv = running(ids);
    const a = await send(stack, { regionId: 'cn-hangzhou', invokeId: inv.invokeId, instanceIds: [...ids, 'i-cenotinthisone'] });
    expect(a.status).toBe(207);
    expect(a.event.data.outcome).toBe('partial');
    expect(a.event.data.error).toMatchObject({ code: 'InvalidInstanceId.NotFound', message: expect.stringMatching(/1 of 4/) });
  });

  const refusals: Array<{ name: string; body: string | object; init?: { headers?: Record<string, string>; method?: string; path?: string }; status: number; code: string; path?: string }> = [
    { name: 'invalid field', body: { regionId: 'cn-hangzhou', invokeId: 't-abc', instanceIds: ['nope'] }, status: 400, code: 'InvalidRequest', path: '/instanceIds/0' },
    { name: 'not JSON', body: '{"regionId":', status: 400, code: 'InvalidRequest', path: '/' },
    { name: 'no credentials', body: { regionId: 'cn-hangzhou', invokeId: 't-abc' }, init: { headers: { authorization: '' } }, status: 401, code: 'Unauthorized' },
    { name: 'wrong token', body: { regionId: 'cn-hangzhou', invokeId: 't-abc' }, init: { headers: { authorization: 'Bearer wrong-token-wrong-token' } }, status: 401, code: 'Unauthorized', path: 'header authorization' },
    { name: 'xml', body: '<stop/>', init: { headers: { 'content-type': 'application/xml' } }, status: 415, code: 'UnsupportedMediaType' },
    { name: 'GET', body: '', init: { method: 'GET' }, status: 405, code: 'MethodNotAllowed' },
    { name: 'too large', body: { regionId: 'cn-hangzhou', invokeId: 't-abc', reason: 'x'.repeat(4 * 1024 * 1024) }, status: 413, code: 'PayloadTooLarge' },
  ];
  for (const c of refusals) {
    it(`${c.status} ${c.name}: the README's error shape inside data.error`, async () => {
      stack = await startStack();
      const a = await send(stack, c.body, c.init);
      expect(a.status).toBe(c.status);
      expect(a.event.data.outcome).toBe('rejected');
      expect(a.event.data.error).toMatchObject({ code: c.code, message: expect.any(String) });
      if (c.path) expect(a.event.data.error?.details?.map((d) => d.path)).toContain(c.path);
      for (const d of a.event.data.error?.details ?? []) expect(d).toEqual({ path: expect.any(String), message: expect.any(String) });
    });
  }

  it('403 RegionNotAllowed', async () => {
    stack = await startStack({ ALLOWED_REGIONS: 'cn-shanghai' });
    const a = await send(stack, { regionId: 'cn-hangzhou', invokeId: 't-abc' });
    expect(a.status).toBe(403);
    expect(a.event.data.error?.code).toBe('RegionNotAllowed');
  });

  it('404 from ECS (InvalidInvokeId.NotFound)', async () => {
    stack = await startStack();
    const a = await send(stack, { regionId: 'cn-hangzhou', invokeId: 't-doesnotexist' });
    expect(a.status).toBe(404);
    expect(a.event.data.error?.code).toBe('InvalidInvokeId.NotFound');
  });

  it('424 still running after the stop', async () => {
    stack = await startStack();
    const inv = emu.seedInvocation({ instances: [{ instanceId: 'i-ce424', status: 'Running', ignoresStop: true }] });
    const a = await send(stack, { regionId: 'cn-hangzhou', invokeId: inv.invokeId });
    expect(a.status).toBe(424);
    expect(a.event.data.error?.code).toBe('Invocation.StillRunning');
  });

  it('500 with Retry-After (ECS InternalError.Dispatch)', async () => {
    stack = await startStack();
    emu.injectFault({ service: 'ecs', action: 'StopInvocation', status: 500, code: 'InternalError.Dispatch', message: 'dispatch failed' });
    const inv = running(['i-ce500']);
    const a = await send(stack, { regionId: 'cn-hangzhou', invokeId: inv.invokeId });
    expect(a.status).toBe(500);
    expect(a.headers.get('retry-after')).toMatch(/^\d+$/);
    expect(a.event.data.error?.code).toBe('InternalError.Dispatch');
  });

  it('503 with Retry-After (STS unavailable)', async () => {
    stack = await startStack({}, { warm: false });
    emu.injectFault({ service: 'sts', status: 503, code: 'ServiceUnavailable', message: 'down' });
    const inv = running(['i-ce503']);
    const a = await send(stack, { regionId: 'cn-hangzhou', invokeId: inv.invokeId });
    expect(a.status).toBe(503);
    expect(a.headers.get('retry-after')).toMatch(/^\d+$/);
    expect(a.event.data.error?.code).toMatch(/^STS\./);
  });
});

describe('event invocations and published events are CloudEvents too', () => {
  it("an event invocation's return value, and the event a RetryableStopError carries", async () => {
    stack = await startStack();
    const inv = running(['i-ceevent1']);
    const result = await stack.invoke({ regionId: 'cn-hangzhou', invokeId: inv.invokeId });
    expect(result.data.outcome).toBe('stopped');
    expectCloudEventObject(result);

    emu.injectFault({ service: 'ecs', action: 'StopInvocation', status: 503, code: 'ServiceUnavailable', message: 'down' });
    const other = running(['i-ceevent2']);
    const err = await stack.invoke({ regionId: 'cn-hangzhou', invokeId: other.invokeId }).catch((e: unknown) => e);
    expect(err).toBeInstanceOf(RetryableStopError);
    const { raw } = expectCloudEventObject((err as RetryableStopError).result);
    expect(raw).not.toHaveProperty('error');
  });

  it('every event the EventBridge sink publishes, single and as the batch PutEvents sent', async () => {
    stack = await startStack(sinkEnv());
    const inv = running(instanceIds(2, 'i-cesink'));
    const answers = [
      await send(stack, { regionId: 'cn-hangzhou', invokeId: inv.invokeId, reason: 'sink conformance' }),
      await send(stack, { regionId: 'cn-hangzhou', invokeId: inv.invokeId }, { path: '/stop?dryRun=true' }),
      await send(stack, { regionId: 'cn-hangzhou', invokeId: 't-cemissing00' }),
      await send(stack, { regionId: 'cn-hangzhou' }),
    ];
    expect(answers.map((a) => a.status)).toEqual([200, 200, 404, 400]);
    const published = emu.events() as Array<Record<string, unknown>>;
    expect(published.map((e) => e['id'])).toEqual(answers.map((a) => a.event.id));
    for (const [n, e] of published.entries()) {
      const { event } = expectCloudEventObject(e);
      expect(event['aliyuneventbusname']).toBe('ops-results');
      expect(event.data).toEqual(JSON.parse(JSON.stringify(answers[n].event.data)));
      expect(e).not.toHaveProperty('error');
    }
    expect(Object.keys(published[3])).not.toContain('subject');
    const batch = HTTP.toEvent({ headers: { 'content-type': 'application/cloudevents-batch+json; charset=utf-8' }, body: JSON.stringify(published) });
    expect(Array.isArray(batch)).toBe(true);
    expect((batch as CloudEvent<unknown>[]).map((e) => e.validate())).toEqual(published.map(() => true));
  });
});
