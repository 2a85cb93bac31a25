import { randomUUID } from 'node:crypto';
import { afterAll, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import type { Emulator } from '../emulator/index.js';
import { RetryableStopError } from '../shared/handler.js';
import { loadConfig } from '../shared/config.js';
import { Logger } from '../shared/log.js';
import { MemoryStore } from '../shared/store/memory.js';
import { Stores } from '../shared/store/open.js';
import type { RedisTarget } from '../shared/config.js';
import { RedisStore } from '../shared/store/redis.js';
import type { IdempotencyStore } from '../shared/store/types.js';
import { join } from 'node:path';
import { emulator, instanceIds, repoRoot, startStack, stopCount, type Stack } from './helpers/stack.js';
import { skipWithoutRedis, startRedis, type RedisServer } from './helpers/redis.js';

// The store behind idempotency and the budget, against a real redis-server on loopback
// (no mock of the client): the same contract for the in-memory and the Redis store, and
// whole function instances (one FunctionInstance each) sharing one server.

const skip = skipWithoutRedis('store.test.ts');
const lines: string[] = [];
const log = new Logger('debug', [], {}, (l) => lines.push(l));

let redis: RedisServer;
let emu: Emulator;
const opened: Array<{ close(): Promise<void> }> = [];

beforeAll(async () => {
  if (skip) return;
  redis = await startRedis(['user alice on >alice-pass-123 ~* &* +@all', 'user reader on >reader-pass-123 ~* &* +@read +ping']);
  emu = await emulator();
});
afterAll(async () => {
  for (const o of opened) await o.close();
  await redis?.stop();
  await emu?.close();
});

const target = (over: Partial<RedisTarget> = {}): RedisTarget => ({ host: '127.0.0.1', port: redis.port, tls: false, ...over });
function redisStore(over: Partial<RedisTarget> = {}, timeoutMs = 500): RedisStore {
  const s = new RedisStore(target(over), { timeoutMs, prefix: `test-${randomUUID()}:`, log });
  opened.push(s);
  return s;
}

describe.skipIf(skip).each([
  ['memory', () => new MemoryStore({ maxEntries: 100, maxBytes: 1 << 20 }) as IdempotencyStore],
  ['redis', () => redisStore() as IdempotencyStore],
])('%s store contract', (_name, make) => {
  it('claim → in progress for others → complete → completed for everyone; a stale token changes nothing', async () => {
    const s = make();
    expect(await s.claim('k', 't1', 5000)).toEqual({ state: 'claimed' });
    const busy = await s.claim('k', 't2', 5000);
    expect(busy.state).toBe('in-progress');
    if (busy.state === 'in-progress') expect(busy.remainingMs).toBeGreaterThan(0);
    await s.complete('k', 't2', 'not mine', 60_000);
    expect((await s.claim('k', 't3', 5000)).state).toBe('in-progress');
    await s.complete('k', 't1', 'the result', 60_000);
    expect(await s.claim('k', 't4', 5000)).toEqual({ state: 'completed', record: 'the result' });
  });

  it('release frees the key and leaves the attempt for the next claimer; an expired claim frees itself', async () => {
    const s = make();
    await s.claim('r', 't1', 5000);
    await s.release('r', 't1', 'partial attempt', 60_000);
    expect(await s.claim('r', 't2', 5000)).toEqual({ state: 'claimed', previous: 'partial attempt' });
    await s.claim('e', 't1', 50);
    await expect.poll(async () => (await s.claim('e', 't2', 5000)).state, { timeout: 3000, interval: 20 }).toBe('claimed');
  });

  it('the budget: a sliding window, exact under concurrent spends', async () => {
    const s = make();
    const spec = { limit: 100, windowMs: 60_000, text: '100/1m' };
    const now = Date.now();
    const grants = await Promise.all(Array.from({ length: 30 }, () => s.spend('scope', 7, spec, now)));
    expect(grants.reduce((n, g) => n + g.granted, 0)).toBe(100);
    expect(Math.max(...grants.map((g) => g.used))).toBe(100);
    expect((await s.spend('scope', 1, spec, now + 59_999)).granted).toBe(0);
    const later = await s.spend('scope', 5, spec, now + 60_000);
    expect(later.granted).toBe(5);
  });
});

describe.skipIf(skip)('redis store: connection and failures', () => {
  it('authenticates with username and password (ACL) from REDIS_URL', async () => {
    const s = redisStore({ username: 'alice', password: 'alice-pass-123' });
    expect((await s.claim('acl', 't', 5000)).state).toBe('claimed');
    const wrong = redisStore({ username: 'alice', password: 'wrong-password' });
    await expect(wrong.claim('acl2', 't', 5000)).rejects.toThrow();
  });

  it('rediss:// speaks TLS and checks the server certificate', async () => {
    const tls = await startRedis([], { tls: { cert: join(repoRoot, 'emulator/certs/server.pem'), key: join(repoRoot, 'emulator/certs/server-key.pem') } });
    try {
      const config = loadConfig({ REDIS_URL: `rediss://:tls-pass-unused@localhost:${tls.port}/0` });
      expect(config.redis).toEqual({ host: 'localhost', port: tls.port, username: undefined, password: 'tls-pass-unused', db: 0, tls: true });
      expect(config.secrets).toContain('tls-pass-unused');
      // The server asks for no password; the emulator's test CA is trusted (NODE_EXTRA_CA_CERTS).
      const s = new RedisStore({ ...config.redis!, password: undefined }, { timeoutMs: 2000, prefix: 'tls:', log });
      opened.push(s);
      expect((await s.claim('tls', 't', 5000)).state).toBe('claimed');
      // Plain redis:// to a TLS port gets no answer it understands: a failure, not a hang.
      const plain = new RedisStore({ host: '127.0.0.1', port: tls.port, tls: false }, { timeoutMs: 300, prefix: 'tls:', log });
      opened.push(plain);
      await expect(plain.claim('tls', 't', 5000)).rejects.toThrow();
    } finally {
      await tls.stop();
    }
  });

  it('unreachable, refusing and frozen stores all come back as "no store" within the timeout, never a throw', async () => {
    const stores = (redisTarget: RedisTarget, timeoutMs = 200) => {
      const s = new Stores({ redis: redisTarget, timeoutMs, memory: { maxEntries: 10, maxBytes: 1 << 20 } }, log, `t-${randomUUID()}:`);
      opened.push(s);
      return s;
    };
    const deadline = Date.now() + 10_000;
    const dead = stores(target({ port: 1 }));
    expect(await dead.attempt((s) => s.claim('x', 't', 1000), deadline, 'claim')).toEqual({ ok: false });
    // ACL user without write permission: the server refuses the claim.
    const refusing = stores(target({ username: 'reader', password: 'reader-pass-123' }));
    expect(await refusing.attempt((s) => s.claim('x', 't', 1000), deadline, 'claim')).toEqual({ ok: false });
    expect(lines.some((l) => l.includes('shared store unavailable') && /NOPERM|no permissions/i.test(l))).toBe(true);
    const frozen = stores(target(), 300);
    expect((await frozen.attempt((s) => s.claim('y', 't', 1000), deadline, 'claim')).ok).toBe(true);
    redis.pause();
    try {
      // Answered by the store's own timeout (the server would never answer).
      expect(await frozen.attempt((s) => s.claim('z', 't', 1000), deadline, 'claim')).toEqual({ ok: false });
    } finally {
      redis.resume();
    }
    // The timed-out connection is replaced; the store answers again once it is up.
    await expect.poll(async () => (await frozen.attempt((s) => s.claim(`z-${randomUUID()}`, 't', 1000), Date.now() + 5000, 'claim')).ok, { timeout: 10_000, interval: 100 }).toBe(true);
  });
});

describe.skipIf(skip)('function instances sharing one store', () => {
  let a: Stack;
  let b: Stack;
  const env = () => ({ REDIS_URL: `redis://alice:alice-pass-123@127.0.0.1:${redis.port}`, STORE_TIMEOUT_MS: '300' });
  beforeEach(async () => {
    emu.reset();
  });

  const seed = (ids: string[]) => emu.seedInvocation({ regionId: 'cn-hangzhou', instances: ids.map((instanceId) => ({ instanceId, status: 'Running' as const })) });
  const keyed = (key: string) => ({ headers: { 'idempotency-key': key } });

  it('a copy on another instance answers duplicate with the first result; one StopInvocation', async () => {
    a = await startStack(env());
    b = await startStack(env());
    try {
      const ids = instanceIds(3);
      const inv = seed(ids);
      const body = { regionId: 'cn-hangzhou', invokeId: inv.invokeId, instanceIds: ids };
      const key = randomUUID();
      const first = await a.post(body, keyed(key));
      expect([first.status, first.json.data.outcome, first.json.data.dedupe]).toEqual([200, 'stopped', 'shared']);
      const copy = await b.post(body, keyed(key));
      expect([copy.status, copy.json.data.outcome, copy.json.data.dedupe]).toEqual([200, 'duplicate', 'shared']);
      expect(copy.json.data.targets.map((t) => t.status)).toEqual(['stopped', 'stopped', 'stopped']);
      expect(emu.requests({ service: 'ecs', action: 'StopInvocation' })).toHaveLength(1);
    } finally {
      await a.close();
      await b.close();
    }
  });

  it('a copy while the first is still stopping elsewhere: 503 + Retry-After over HTTP, a throw for events; then the result', async () => {
    a = await startStack(env());
    b = await startStack(env());
    const claimed = (n: number) => expect.poll(() => a.lines.filter((l) => l.includes('dedupe claim taken')).length, { timeout: 5000, interval: 5 }).toBe(n);
    try {
      const ids = instanceIds(2);
      const inv = seed(ids);
      const body = { regionId: 'cn-hangzhou', invokeId: inv.invokeId, instanceIds: ids };
      const key = randomUUID();
      emu.injectFault({ service: 'ecs', action: 'StopInvocation', latencyMs: 1500, times: 1 });
      const first = a.post(body, keyed(key));
      await claimed(1);
      const copy = await b.post(body, keyed(key));
      expect([copy.status, copy.headers.get('retry-after'), copy.json.data.error?.code, copy.json.data.dedupe]).toEqual([503, '1', 'StopInProgress', 'shared']);
      expect((await first).json.data.outcome).toBe('stopped');
      const again = await b.post(body, keyed(key));
      expect([again.status, again.json.data.outcome]).toEqual([200, 'duplicate']);

      // The same for an event invocation (EventBridge): thrown back for FC to deliver again.
      const inv2 = seed(instanceIds(1, 'i-bp2'));
      const event = { specversion: '1.0', id: randomUUID(), source: 'ops.rollout', type: 'ops:Rollout:Abort', aliyunregionid: 'cn-hangzhou', data: { regionId: 'cn-hangzhou', invokeId: inv2.invokeId } };
      emu.injectFault({ service: 'ecs', action: 'StopInvocation', latencyMs: 1500, times: 1 });
      const firstEvent = a.invoke(event);
      await claimed(2);
      const thrown = await b.invoke(event).catch((e: unknown) => e);
      expect(thrown).toBeInstanceOf(RetryableStopError);
      expect((thrown as RetryableStopError).result.data.error?.code).toBe('StopInProgress');
      expect((await firstEvent).data.outcome).toBe('stopped');
      expect((await b.invoke(event)).data.outcome).toBe('duplicate');

      expect(stopCount(emu, inv.invokeId)).toBe(1);
      expect(stopCount(emu, inv2.invokeId)).toBe(1);
    } finally {
      await a.close();
      await b.close();
    }
  });

  it('with the store unreachable the stop still happens, said as dedupe "unavailable"; the budget counts per instance', async () => {
    a = await startStack({ REDIS_URL: 'redis://127.0.0.1:1', STORE_TIMEOUT_MS: '200', STOP_BUDGET: '2/1m' });
    try {
      const ids = instanceIds(3);
      const inv = seed(ids);
      const res = await a.post({ regionId: 'cn-hangzhou', invokeId: inv.invokeId, instanceIds: ids }, keyed(randomUUID()));
      expect(res.status).toBe(207);
      expect(res.json.data.dedupe).toBe('unavailable');
      expect(res.json.data.budget).toMatchObject({ limit: '2/1m', scope: 'instance', asked: 3, granted: 2, used: 2 });
      expect(res.json.data.targets.map((t) => t.status).sort()).toEqual(['failed', 'stopped', 'stopped']);
      const refused = res.json.data.targets.find((t) => t.status === 'failed');
      expect(refused?.error).toMatchObject({ code: 'BudgetExceeded', retryable: false });
      expect(refused?.error?.message).toMatch(/STOP_BUDGET 2\/1m is spent in this instance/);
      expect(a.lines.some((l) => l.includes('stop budget exceeded') && l.includes('"budget":"2/1m"') && l.includes('"source":"direct"'))).toBe(true);
      expect(a.lines.some((l) => l.includes('shared store unavailable'))).toBe(true);
    } finally {
      await a.close();
    }
  });
});
