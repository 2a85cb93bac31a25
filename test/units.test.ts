import { describe, expect, it } from 'vitest';
import { MemoryStore } from '../shared/store/memory.js';
import { parseBudget } from '../shared/schemas/budget.js';
import { budgetCost, limitWork } from '../shared/store/budget.js';
import type { Work } from '../shared/stop/resolve.js';
import { pairKey } from '../shared/stop/stop.js';
import { EcsError } from '../shared/ecs/errors.js';
import { withRetry, RetryError } from '../shared/ecs/retry.js';
import { buildResult } from '../shared/events/result.js';
import { loadConfig } from '../shared/config.js';
import { Logger } from '../shared/log.js';
import type { TargetResult } from '../shared/types.js';

const origin = { requestId: 'r', region: 'cn-hangzhou', accountId: '1', functionName: 'f' };

describe('retry', () => {
  const policy = (over: Partial<Parameters<typeof withRetry>[0]> = {}) => ({
    maxAttempts: 4, baseDelayMs: 100, maxDelayMs: 1000, attemptTimeoutMs: 100, random: () => 1, ...over,
  });

  it('retries retryable errors with capped exponential backoff, then gives up with the attempt count', async () => {
    const waits: number[] = [];
    const err = await withRetry(policy({ sleep: async (ms) => { waits.push(ms); } }), async () => {
      throw new EcsError('InternalError', 'boom', true, 500);
    }).catch((e: unknown) => e);
    expect(err).toBeInstanceOf(RetryError);
    expect((err as RetryError).attempts).toBe(4);
    expect(waits).toEqual([100, 200, 400]);
  });

  it('full jitter: the wait is random(0, ceiling)', async () => {
    const waits: number[] = [];
    await withRetry(policy({ random: () => 0.5, maxAttempts: 3, sleep: async (ms) => { waits.push(ms); } }), async () => {
      throw new EcsError('Throttling.User', 't', true, 400);
    }).catch(() => undefined);
    expect(waits).toEqual([50, 100]);
  });

  it('honours retry-after when it is longer than the backoff', async () => {
    const waits: number[] = [];
    await withRetry(policy({ maxAttempts: 2, sleep: async (ms) => { waits.push(ms); } }), async () => {
      throw new EcsError('Throttling.User', 't', true, 400, undefined, 1500);
    }).catch(() => undefined);
    expect(waits).toEqual([1500]);
  });

  it('never retries a business error', async () => {
    let calls = 0;
    await withRetry(policy(), async () => {
      calls++;
      throw new EcsError('InvalidInvokeId.NotFound', 'nope', false, 404);
    }).catch(() => undefined);
    expect(calls).toBe(1);
  });

  it('does not start an attempt that cannot finish before the deadline', async () => {
    let calls = 0;
    let now = 0;
    await withRetry(policy({ deadline: 250, attemptTimeoutMs: 200, now: () => now, sleep: async (ms) => { now += ms; } }), async () => {
      calls++;
      now += 10;
      throw new EcsError('InternalError', 'boom', true, 500);
    }).catch(() => undefined);
    expect(calls).toBe(1);
  });

  it('does not even start the first attempt when it cannot finish before the deadline', async () => {
    let calls = 0;
    const err = await withRetry(policy({ deadline: 1000, attemptTimeoutMs: 200, now: () => 900 }), async () => {
      calls++;
      return 'never';
    }).catch((e: unknown) => e);
    expect(calls).toBe(0);
    expect(err).toMatchObject({ code: 'DeadlineExceeded', retryable: true, attempts: 0 });
  });

  it('returns the value and the attempts it took', async () => {
    let n = 0;
    const out = await withRetry(policy({ sleep: async () => undefined }), async () => {
      if (++n < 3) throw Object.assign(new Error('socket hang up'), { code: 'ECONNRESET' });
      return 'ok';
    });
    expect(out).toEqual({ value: 'ok', attempts: 3 });
  });
});

describe('in-memory store', () => {
  const claim = (store: MemoryStore, key: string) => store.claim(key, 'token-' + key, 10_000);

  it('forgets after the TTL and evicts the least recently used past the entry bound', async () => {
    let now = 0;
    const store = new MemoryStore({ maxEntries: 2, maxBytes: 1 << 20 }, () => now);
    for (const k of ['a', 'b']) {
      await claim(store, k);
      await store.complete(k, 'token-' + k, `result ${k}`, 1000);
    }
    expect(await claim(store, 'a')).toEqual({ state: 'completed', record: 'result a' }); // a is now the most recent
    await claim(store, 'c');
    expect(await claim(store, 'b')).toEqual({ state: 'claimed' }); // evicted
    expect(store.size).toBe(2);
    now = 1001;
    expect((await claim(store, 'a')).state).toBe('claimed');
  });

  it('is bounded in bytes: old results go first, one larger than the whole budget is not kept', async () => {
    const store = new MemoryStore({ maxEntries: 1000, maxBytes: 10_000 });
    const big = 'x'.repeat(3000);
    for (const k of ['a', 'b', 'c', 'd']) {
      await claim(store, k);
      await store.complete(k, 'token-' + k, big, 60_000);
    }
    expect(store.bytes).toBeLessThanOrEqual(10_000);
    expect(store.size).toBe(3);
    expect((await claim(store, 'a')).state).toBe('claimed');
    expect((await claim(store, 'd')).state).toBe('completed');
    await claim(store, 'huge');
    await store.complete('huge', 'token-huge', 'y'.repeat(20_000), 60_000);
    expect(store.bytes).toBeLessThanOrEqual(10_000);
    // A string with a two-byte character costs two bytes a character.
    const wide = new MemoryStore({ maxEntries: 10, maxBytes: 5000 });
    await wide.claim('w', 't', 1000);
    await wide.complete('w', 't', '\u4e2d'.repeat(3000), 60_000);
    expect(wide.size).toBe(0);
  });

  it('a claim in progress is seen as such; release keeps the attempt for the retry, complete drops it', async () => {
    const store = new MemoryStore({ maxEntries: 10, maxBytes: 1 << 20 });
    expect(await store.claim('k', 't1', 10_000)).toEqual({ state: 'claimed' });
    expect((await store.claim('k', 't2', 10_000)).state).toBe('in-progress');
    await store.release('k', 't1', 'first attempt', 60_000);
    expect(await store.claim('k', 't3', 10_000)).toEqual({ state: 'claimed', previous: 'first attempt' });
    // A stale token cannot overwrite the new claim.
    await store.complete('k', 't1', 'stale', 60_000);
    expect((await store.claim('k', 't4', 10_000)).state).toBe('in-progress');
    await store.complete('k', 't3', 'done', 60_000);
    expect(await store.claim('k', 't5', 10_000)).toEqual({ state: 'completed', record: 'done' });
  });

  it('the budget is a sliding window', async () => {
    const store = new MemoryStore({ maxEntries: 10, maxBytes: 1 << 20 });
    const spec = { limit: 10, windowMs: 1000, text: '10/1s' };
    expect(await store.spend('s', 6, spec, 0)).toEqual({ granted: 6, used: 6, freesAt: 1000 });
    expect(await store.spend('s', 6, spec, 500)).toEqual({ granted: 4, used: 10, freesAt: 1000 });
    expect(await store.spend('s', 1, spec, 999)).toMatchObject({ granted: 0 });
    expect(await store.spend('s', 8, spec, 1000)).toEqual({ granted: 6, used: 10, freesAt: 1500 });
  });
});

describe('stop budget and store settings', () => {
  const work = (instanceIds?: string[], extra: Partial<Work> = {}): Work => ({ regionId: 'cn-hangzhou', invokeId: 't-1', instanceIds, dryRun: false, ...extra });

  it('parses STOP_BUDGET and refuses nonsense with a message naming the variable', () => {
    expect(parseBudget('500/10m')).toEqual({ limit: 500, windowMs: 600_000, text: '500/10m' });
    expect(parseBudget('100/2s')).toEqual({ limit: 100, windowMs: 2000, text: '100/2s' });
    for (const bad of ['0/1m', '10/0s', '10', '10/1d', '-1/1m', '10/8h'.replace('8h', '200h')]) {
      expect(() => loadConfig({ STOP_BUDGET: bad }), bad).toThrow(/STOP_BUDGET/);
    }
  });

  it('counts instance-stops: dry runs and already stopped targets are free, a whole-invocation stop costs what it names (≥ 1)', () => {
    const stopped = new Set([pairKey('cn-hangzhou', 't-1', 'i-a')]);
    expect(budgetCost([work(['i-a', 'i-b', 'i-c']), work(['i-d'], { dryRun: true }), work(undefined), work(undefined, { covered: ['i-x', 'i-y'] })], stopped)).toBe(2 + 0 + 1 + 2);
    const limited = limitWork([work(['i-a', 'i-b', 'i-c']), work(undefined, { invokeId: 't-2', covered: ['i-x', 'i-y'] })], 2, stopped, 'spent', 1000);
    expect(limited.work).toEqual([work(['i-a', 'i-b', 'i-c'])]);
    expect(limited.refused.map((t) => [t.invokeId, t.instanceId, t.error?.code, t.error?.retryable])).toEqual([
      ['t-2', undefined, 'BudgetExceeded', false],
      ['t-2', 'i-x', 'BudgetExceeded', false],
      ['t-2', 'i-y', 'BudgetExceeded', false],
    ]);
    const cut = limitWork([work(['i-a', 'i-b', 'i-c'])], 1, stopped, 'spent', 1000);
    expect(cut.work).toEqual([work(['i-a', 'i-b'])]);
    expect(cut.refused.map((t) => t.instanceId)).toEqual(['i-c']);
  });

  it('REDIS_URL: redis:// and rediss://, user and password; the password is a secret and never echoed', () => {
    expect(loadConfig({ REDIS_URL: 'redis://r-bp1.redis.rds.aliyuncs.com' }).redis).toEqual({ host: 'r-bp1.redis.rds.aliyuncs.com', port: 6379, username: undefined, password: undefined, db: undefined, tls: false });
    const c = loadConfig({ REDIS_URL: 'rediss://stopinv:p%40ss-word-1@[::1]:6380/2' });
    expect(c.redis).toEqual({ host: '::1', port: 6380, username: 'stopinv', password: 'p@ss-word-1', db: 2, tls: true });
    expect(c.secrets).toContain('p@ss-word-1');
    for (const bad of ['http://h:6379', 'redis://user:secret-pass@h:6379/x', 'redis://user:secret-pass@h:6379/?tls=1', 'redis://']) {
      let message = '';
      try {
        loadConfig({ REDIS_URL: bad });
      } catch (err) {
        message = (err as Error).message;
      }
      expect(message, bad).toMatch(/REDIS_URL/);
      expect(message, bad).not.toContain('secret-pass');
    }
  });
});

describe('result and status', () => {
  const t = (status: TargetResult['status'], error?: TargetResult['error']): TargetResult => ({ regionId: 'cn-hangzhou', invokeId: 't-1', instanceId: `i-${Math.random().toString(36).slice(2, 8)}`, status, error });
  const verdict = (targets: TargetResult[]) => buildResult({ origin, trigger: 'http', targets, durationMs: 1 });

  it('all stopped → 200 stopped', () => {
    const v = verdict([t('stopped'), t('stopped')]);
    expect([v.status, v.event.data.outcome]).toEqual([200, 'stopped']);
  });
  it('nothing to do → 200 ignored', () => {
    const v = verdict([t('skipped'), t('not-found')]);
    expect([v.status, v.event.data.outcome]).toEqual([200, 'ignored']);
  });
  it('retryable failure → 503 with Retry-After from the service', () => {
    const v = verdict([t('stopped'), t('failed', { code: 'Throttling.User', message: 'm', retryable: true, statusCode: 400, retryAfterMs: 2500 })]);
    expect([v.status, v.event.data.outcome, v.headers['retry-after']]).toEqual([503, 'partial', '3']);
  });
  it('partial with only non-retryable failures → 207', () => {
    const v = verdict([t('stopped'), t('failed', { code: 'InvalidInstanceId.NotFound', message: 'm', retryable: false, statusCode: 404 })]);
    expect([v.status, v.event.data.outcome]).toEqual([207, 'partial']);
  });
  it('secrets are scrubbed from error messages', () => {
    const v = buildResult({ origin, trigger: 'http', durationMs: 1, scrub: (s) => s.replace('sekret', '[redacted]'), targets: [t('failed', { code: 'X', message: 'has sekret inside', retryable: false })] });
    expect(JSON.stringify(v.event)).not.toContain('sekret');
  });
});

describe('log redaction', () => {
  it('redacts credentials after an auth scheme word but keeps our own prose readable', () => {
    const log = new Logger('info', ['known-secret-value']);
    expect(log.scrub('the Basic credentials are not accepted')).toBe('the Basic credentials are not accepted');
    expect(log.scrub('Authorization: Basic dXNlcjpwYXNz')).toBe('Authorization: Basic [redacted]');
    expect(log.scrub('Bearer abcdefgh1234 and known-secret-value')).toBe('Bearer [redacted] and [redacted]');
    expect(log.scrub('Bearer sk-live-abcdefghijkl')).toBe('Bearer [redacted]');
    expect(log.scrub('Bearer abcdefghijklmnop')).toBe('Bearer [redacted]');
    expect(log.scrub('...&SecurityToken=abc%2Fdef&Signature=xyz')).toBe('...&SecurityToken=[redacted]&Signature=[redacted]');
  });
  // scrub skips its patterns for text that none of them can match (shared/log.ts
  // MAY_HOLD_CREDENTIAL): every credential-like name, in any case, in every form, still gets there.
  it('redacts every credential-like name in any case, as a pair, a header and a JSON field', () => {
    const log = new Logger('info');
    const names = ['secret', 'token', 'password', 'passwd', 'signature', 'authorization', 'credential', 'accesskey', 'cookie', 'externalid', 'external_id'];
    const wrong: string[] = [];
    for (const base of names) {
      for (const name of [base, base.toUpperCase(), `X-${base[0]!.toUpperCase()}${base.slice(1)}-Value`]) {
        const forms = [`ids i-bp1x ${name}=v4lue9 end`, `${name}: v4lue9`, `{"${name}":"v4lue9"}`];
        for (const text of forms) if (log.scrub(text).includes('v4lue9')) wrong.push(text);
      }
    }
    for (const scheme of ['Bearer', 'Basic', 'ACS3-HMAC-SHA256', 'acs', 'FC']) if (log.scrub(`sent ${scheme} Abcdefgh12345678`).includes('Abcdefgh12345678')) wrong.push(scheme);
    expect(wrong).toEqual([]);
    // Text none of the patterns can match comes back as it was.
    const plain = 'i-bp1000000000000000001 t-abcdef123456 cn-hangzhou stopped 5C6B9B0E-1F3A';
    expect(log.scrub(plain)).toBe(plain);
  });
});

describe('config', () => {
  it('defaults are what the README says', () => {
    const c = loadConfig({});
    expect(c).toMatchObject({ maxInstances: 1000, ecsConcurrency: 20, ecsTimeoutMs: 5000, ecsMaxAttempts: 3, verify: true, roleDurationSeconds: 3600, logLevel: 'info', dedupeTtlSeconds: 600 });
    expect(c.auth.allowUnauthenticated).toBe(false);
  });
  it('never echoes a secret variable in its error', () => {
    expect(() => loadConfig({ WEBHOOK_TOKENS: 'short' })).toThrow(/WEBHOOK_TOKENS/);
    try {
      loadConfig({ WEBHOOK_TOKENS: 'short' });
    } catch (e) {
      expect(String(e)).not.toContain('short');
    }
  });
  it("uses the function's region for STS unless STS_ENDPOINT says otherwise", () => {
    expect(loadConfig({ FC_REGION: 'cn-shanghai' }).stsRegion).toBe('cn-shanghai');
    expect(loadConfig({ FC_REGION: 'not a region' }).stsRegion).toBeUndefined();
    expect(loadConfig({ FC_REGION: 'cn-shanghai', STS_ENDPOINT: '127.0.0.1:9102' }).stsEndpoint).toBe('127.0.0.1:9102');
  });

  it('parses endpoints with and without a scheme', () => {
    expect(loadConfig({ ECS_ENDPOINT: 'http://127.0.0.1:9101' }).ecsEndpoint).toEqual({ protocol: 'http', host: '127.0.0.1:9101' });
    expect(loadConfig({ ECS_ENDPOINT: 'ecs-vpc.cn-hangzhou.aliyuncs.com' }).ecsEndpoint).toEqual({ protocol: 'https', host: 'ecs-vpc.cn-hangzhou.aliyuncs.com' });
  });
});
