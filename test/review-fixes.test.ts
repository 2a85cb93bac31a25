import { createHmac, randomBytes } from 'node:crypto';
import { Webhook } from 'standardwebhooks';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import type { Emulator } from '../emulator/index.js';
import { buildResult, retryWanted } from '../shared/events/result.js';
import { parseSecretValue } from '../shared/secrets.js';
import { skipWithoutRedis, startRedis, type RedisServer } from './helpers/redis.js';
import { answerBy, emulator, startStack, type Stack } from './helpers/stack.js';
import { everyOf } from './helpers/expect.js';

// Regressions found by an adversarial review of the merged work, each reproduced against
// the emulator before it was fixed: unsigned headers keying a signed delivery, a retry
// paying the stop budget twice, a slow KMS refresh holding up a stop, a secret echoed.

const KEY = randomBytes(32);
const WHSEC = `whsec_${KEY.toString('base64')}`;
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

/** Signed by the official standardwebhooks library. */
function signed(body: string): Record<string, string> {
  const id = `msg_${randomBytes(8).toString('hex')}`;
  const at = Math.floor(Date.now() / 1000);
  return { authorization: '', 'webhook-id': id, 'webhook-timestamp': String(at), 'webhook-signature': new Webhook(WHSEC).sign(id, new Date(at * 1000), body) };
}
const statusOf = (invokeId: string) => emu.getInvocation(invokeId)?.instances[0].status;

describe('a signed delivery is keyed by what the signature covers', () => {
  it('a replay with a made-up Idempotency-Key is still a duplicate: a new run on the instance is left alone', async () => {
    const first = emu.seedInvocation({ instances: [{ instanceId: 'i-bp1replay00000000001' }] });
    stack = await startStack({ WEBHOOK_TOKENS: '', WEBHOOK_SECRETS: WHSEC });
    const body = JSON.stringify({ regionId: 'cn-hangzhou', instanceIds: ['i-bp1replay00000000001'] });
    const headers = signed(body);
    expect((await stack.post(body, { headers })).json.data.outcome).toBe('stopped');
    expect(statusOf(first.invokeId)).toBe('Stopped');
    const healthy = emu.seedInvocation({ instances: [{ instanceId: 'i-bp1replay00000000001' }] });
    for (const key of ['attacker-1', 'attacker-2']) {
      const replay = await stack.post(body, { headers: { ...headers, 'idempotency-key': key } });
      expect(replay.json.data.outcome).toBe('duplicate');
    }
    expect(statusOf(healthy.invokeId)).toBe('Running');
  });

  it('a Grafana-signed direct request (no signed id) is keyed by its signed bytes', async () => {
    const inv = emu.seedInvocation({ instances: [{ instanceId: 'i-bp1grafana0000000001' }] });
    const secret = 'grafana-review-secret-01';
    stack = await startStack({ WEBHOOK_TOKENS: '', WEBHOOK_SECRETS: secret });
    const body = JSON.stringify({ regionId: 'cn-hangzhou', invokeId: inv.invokeId });
    const headers = { authorization: '', 'x-grafana-alerting-signature': createHmac('sha256', secret).update(body).digest('hex') };
    expect((await stack.post(body, { headers })).json.data.outcome).toBe('stopped');
    const replay = await stack.post(body, { headers: { ...headers, 'idempotency-key': 'fresh' } });
    expect(replay.json.data.outcome).toBe('duplicate');
    expect(emu.requests({ service: 'ecs', action: 'StopInvocation' })).toHaveLength(1);
  });
});

describe('STOP_BUDGET and retries', () => {
  it('a redelivery after a retryable failure does not pay again: the stop happens instead of BudgetExceeded', async () => {
    const inv = emu.seedInvocation({ instances: [{ instanceId: 'i-bp1budget0000000001' }, { instanceId: 'i-bp1budget0000000002' }] });
    stack = await startStack({ STOP_BUDGET: '2/10m', ECS_MAX_ATTEMPTS: '1' });
    emu.injectFault({ service: 'ecs', action: 'StopInvocation', status: 503, code: 'ServiceUnavailable', times: 1 });
    const body = { regionId: 'cn-hangzhou', invokeId: inv.invokeId, instanceIds: ['i-bp1budget0000000001', 'i-bp1budget0000000002'] };
    const headers = { 'idempotency-key': 'budget-delivery-1' };
    const first = await stack.post(body, { headers });
    expect(first.status).toBeGreaterThanOrEqual(500);
    expect(first.json.data.budget).toMatchObject({ asked: 2, granted: 2 });
    const redelivery = await stack.post(body, { headers });
    expect(redelivery.status).toBe(200);
    expect(redelivery.json.data.targets.map((t) => t.status)).toEqual(['stopped', 'stopped']);
    expect(everyOf(emu.getInvocation(inv.invokeId)?.instances, (i) => i.status === 'Stopped')).toBe(true);
    // The budget still counts each instance once: a third, new stop has nothing left.
    const other = emu.seedInvocation({ instances: [{ instanceId: 'i-bp1budget0000000003' }] });
    const third = await stack.post({ regionId: 'cn-hangzhou', invokeId: other.invokeId, instanceIds: ['i-bp1budget0000000003'] });
    expect(third.json.data.targets[0].error?.code).toBe('BudgetExceeded');
  });
});

describe('webhook credentials from KMS', () => {
  const TOKEN = 'kms-review-token-00aa11bb22cc33dd';

  it('a due refresh never holds up a stop: the value held is used while KMS is slow', async () => {
    emu.putSecret('review/hook', JSON.stringify({ WEBHOOK_TOKENS: TOKEN }));
    // FC timeout 4 s, calls of 2 s, a KMS that takes 5 s: waiting for it first would leave
    // no time for the stop.
    stack = await startStack(
      { WEBHOOK_TOKENS: '', WEBHOOK_SECRET_NAME: 'review/hook', KMS_ENDPOINT: `https://${emu.kmsEndpoint}`, WEBHOOK_SECRET_REFRESH_SECONDS: '1', ECS_TIMEOUT_MS: '2000' },
      { timeoutSeconds: 4 },
    );
    const inv = emu.seedInvocation({ instances: [{ instanceId: 'i-bp1kmsslow000000001' }] });
    // The held value becomes due after WEBHOOK_SECRET_REFRESH_SECONDS=1: only time can make it so.
    await new Promise((r) => setTimeout(r, 1100));
    emu.injectFault({ service: 'kms', action: 'GetSecretValue', latencyMs: 5000, status: 503, code: 'ServiceUnavailable' });
    const res = await stack.post({ regionId: 'cn-hangzhou', invokeId: inv.invokeId }, { headers: { authorization: `Bearer ${TOKEN}` } });
    expect(Date.now()).toBeLessThanOrEqual(answerBy(stack));
    expect(res.status, JSON.stringify(res.json.data.error)).toBe(200);
    expect(statusOf(inv.invokeId)).toBe('Stopped');
    emu.clearFaults();
  });

  it('a malformed secret value never echoes a key that could be a credential', () => {
    const message = (text: string) => {
      try {
        parseSecretValue(text);
      } catch (err) {
        return err instanceof Error ? err.message : String(err);
      }
      return '';
    };
    expect(message('{"WEBHOOK_TOKENS":"abcdefghij","xkms-basic-password-0987":"1"}')).not.toContain('password-0987');
    expect(message('{"WEBHOOK_TOKENS":"abcdefghij","xkms-basic-password-0987":"1"}')).toMatch(/entry 2, not shown/);
    expect(message('{"WEBHOOK_TOKEN":"abcdefghij"}')).toMatch(/unknown key 'WEBHOOK_TOKEN'/);
  });
});

describe.skipIf(skipWithoutRedis('review-fixes.test.ts'))('a frozen shared store', () => {
  let redis: RedisServer;
  beforeAll(async () => {
    redis = await startRedis();
  });
  afterAll(async () => {
    await redis.stop();
  });

  it('is waited on once per request, not once for the claim and again for the budget: the stop is made before the deadline', async () => {
    stack = await startStack({ REDIS_URL: redis.url, STOP_BUDGET: '10/1m', STORE_TIMEOUT_MS: '900', ECS_TIMEOUT_MS: '400' }, { timeoutSeconds: 3 });
    const warm = emu.seedInvocation({ instances: [{ instanceId: 'i-bp1frozen0000000000' }] });
    expect((await stack.post({ regionId: 'cn-hangzhou', invokeId: warm.invokeId }, { headers: { 'idempotency-key': 'warm' } })).json.data.dedupe).toBe('shared');
    redis.pause();
    try {
      const inv = emu.seedInvocation({ instances: [{ instanceId: 'i-bp1frozen0000000001' }] });
      const res = await stack.post({ regionId: 'cn-hangzhou', invokeId: inv.invokeId }, { headers: { 'idempotency-key': 'frozen-1' } });
      expect(Date.now()).toBeLessThanOrEqual(answerBy(stack));
      expect(res.json.data.dedupe).toBe('unavailable');
      expect(res.json.data.budget?.scope).toBe('instance');
      expect(res.json.data.targets.map((t) => t.status)).toEqual(['stopped']);
      expect(statusOf(inv.invokeId)).toBe('Stopped');
    } finally {
      redis.resume();
    }
  });
});

describe('rollout guard input', () => {
  it('a task event whose instanceId is not an instance id is reported, and the guard still counts from ECS', async () => {
    stack = await startStack({ ROLLOUT_MAX_ERRORS: '5' });
    const inv = emu.seedInvocation({ instances: [{ instanceId: 'i-bp1guardbad00000001' }, { instanceId: 'i-bp1guardbad00000002' }] });
    const { event } = emu.finishInstance(inv.invokeId, 'i-bp1guardbad00000001', { status: 'Failed' });
    if (!event) throw new Error('a failed run fires a task event');
    const result = await stack.invoke({ ...event, data: { ...event.data, instanceId: 'I-BP1-not-an-instance' } });
    expect(result.data.targets).toContainEqual(expect.objectContaining({ status: 'failed', error: expect.objectContaining({ code: 'InvalidTarget', message: expect.stringContaining('/data/instanceId') }) }));
    expect(result.data.guard?.[0]).toMatchObject({ invokeId: inv.invokeId, decision: 'below-threshold' });
    expect(emu.requests({ service: 'ecs', action: 'StopInvocation' })).toHaveLength(0);
  });
});

describe('our own failure', () => {
  it('an unexpected 500 (no targets to say so) still asks for a retry: events are thrown back to FC, the key is freed', () => {
    const origin = { requestId: 'r-500', region: 'cn-hangzhou', accountId: '1', functionName: 'f' };
    const ours = buildResult({ origin, trigger: 'event', targets: [], durationMs: 1, rejected: { status: 500, error: { code: 'InternalError', message: 'unexpected' } } });
    expect(ours.event.data.targets).toEqual([]);
    expect(retryWanted(ours)).toBe(true);
    const refused = buildResult({ origin, trigger: 'event', targets: [], durationMs: 1, rejected: { status: 400, error: { code: 'InvalidRequest', message: 'bad' } } });
    expect(retryWanted(refused)).toBe(false);
  });
});
