import { describe, expect, it } from 'vitest';
import { DedupeCache } from '../shared/dedupe.js';
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

describe('dedupe cache', () => {
  it('forgets after the TTL and evicts the least recently used past the bound', async () => {
    let now = 0;
    const cache = new DedupeCache<number>(1000, 2, () => now);
    cache.set('a', Promise.resolve(1));
    cache.set('b', Promise.resolve(2));
    expect(await cache.get('a')?.value).toBe(1); // a is now the most recent
    cache.set('c', Promise.resolve(3));
    expect(cache.get('b')).toBeUndefined();
    expect(cache.size).toBe(2);
    now = 1001;
    expect(cache.get('a')).toBeUndefined();
  });

  it('tells an answer still in flight from a settled one', async () => {
    const cache = new DedupeCache<number>(1000, 10);
    let finish: (n: number) => void = () => undefined;
    cache.set('k', new Promise<number>((resolve) => (finish = resolve)));
    expect(cache.get('k')?.settled).toBe(false);
    finish(1);
    await cache.get('k')?.value;
    expect(cache.get('k')?.settled).toBe(true);
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
