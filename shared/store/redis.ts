import { createHash, randomUUID } from 'node:crypto';
import { Redis } from 'ioredis';
import type { RedisTarget } from '../config.js';
import type { Logger } from '../log.js';
import type { BudgetGrant, BudgetSpec, ClaimResult, IdempotencyStore } from './types.js';

// The shared store: any Redis-compatible server (Alibaba Cloud Tair / ApsaraDB for Redis,
// Valkey, Redis OSS ≥ 2.6), through ioredis (chosen over @redis/client for its smaller
// bundle and load time; README, Shared store). Loaded only when REDIS_URL is set, by a
// dynamic import (its own file in dist/, see scripts/build.mjs).
//
// Fail fast, never wait: no offline queue (a command while disconnected fails at once),
// no resend after a reconnect, a timeout on connecting and on every command. The caller
// (shared/dedupe.ts) treats any failure as "no store" for that request. Reconnection
// runs in the background.


/** Keys of one record share a hash tag, so a cluster (Tair proxy or cluster mode) keeps them in one slot. */
const recordKey = (prefix: string, key: string) => `${prefix}{${createHash('sha256').update(key).digest('base64url')}}`;

const IN_PROGRESS = 'p:';
const COMPLETED = 'c:';

// complete: write the result unless someone else has claimed the key since.
const COMPLETE = `
local v = redis.call('GET', KEYS[1])
if v == false or v == ARGV[1] then
  redis.call('SET', KEYS[1], ARGV[2], 'PX', ARGV[3])
  redis.call('DEL', KEYS[2])
  return 1
end
return 0`;

// release: drop our claim (only ours), keep what the attempt achieved for the retry.
const RELEASE = `
if redis.call('GET', KEYS[1]) == ARGV[1] then redis.call('DEL', KEYS[1]) end
redis.call('SET', KEYS[2], ARGV[2], 'PX', ARGV[3])
return 1`;

// spend: a sliding window of grants (sorted set scored by time; member "<id>:<count>").
const SPEND = `
local now = tonumber(ARGV[1])
local window = tonumber(ARGV[2])
local limit = tonumber(ARGV[3])
local asked = tonumber(ARGV[4])
redis.call('ZREMRANGEBYSCORE', KEYS[1], '-inf', now - window)
local used = 0
for _, m in ipairs(redis.call('ZRANGE', KEYS[1], 0, -1)) do
  used = used + tonumber(string.match(m, ':(%d+)$'))
end
local granted = math.min(asked, math.max(0, limit - used))
if granted > 0 then redis.call('ZADD', KEYS[1], now, ARGV[5] .. ':' .. granted) end
redis.call('PEXPIRE', KEYS[1], window)
local oldest = redis.call('ZRANGE', KEYS[1], 0, 0, 'WITHSCORES')
local frees = now + window
if oldest[2] then frees = tonumber(oldest[2]) + window end
return {granted, used + granted, frees}`;

export class RedisStore implements IdempotencyStore {
  readonly kind = 'redis' as const;
  private readonly client: Redis;
  /** Lost the connection after having had it: fail at once until it is back. */
  private down = false;
  private waiting?: Promise<void>;
  private lastErrorLog = 0;

  constructor(target: RedisTarget, private readonly options: { timeoutMs: number; prefix: string; log: Logger }) {
    this.client = new Redis({
      host: target.host,
      port: target.port,
      username: target.username,
      password: target.password,
      db: target.db ?? 0,
      tls: target.tls ? { servername: target.host } : undefined,
      lazyConnect: true,
      enableOfflineQueue: false,
      enableReadyCheck: false,
      autoResendUnfulfilledCommands: false,
      maxRetriesPerRequest: 0,
      connectTimeout: options.timeoutMs,
      commandTimeout: options.timeoutMs,
      // Keep trying in the background; requests meanwhile go ahead without the store.
      retryStrategy: (times) => Math.min(100 * times, 2000),
      connectionName: 'fc-stop-invocation',
    });
    this.client.on('ready', () => {
      if (this.down) options.log.info('shared store reachable again');
      this.down = false;
    });
    // A connection that ended (or never came up) means an outage until 'ready' again.
    this.client.on('close', () => {
      this.down = true;
    });
    // An EventEmitter 'error' without a listener would crash the instance.
    this.client.on('error', (err: Error) => {
      const now = Date.now();
      if (now - this.lastErrorLog < 5000) return;
      this.lastErrorLog = now;
      options.log.warn('shared store connection error', { error: { name: err.name, message: err.message } });
    });
  }

  /** Start connecting now (FC initializer), so the first request finds the connection up. */
  connect(): Promise<void> {
    return this.ready();
  }

  claim(key: string, token: string, ttlMs: number): Promise<ClaimResult> {
    return this.guard(() => this.claimNow(key, token, ttlMs));
  }

  private async claimNow(key: string, token: string, ttlMs: number): Promise<ClaimResult> {
    await this.ready();
    const k = recordKey(this.options.prefix, key);
    // One atomic round trip: take it if free, else read what holds it.
    const replies = await this.client.multi().set(`${k}:r`, IN_PROGRESS + token, 'PX', Math.max(1, Math.round(ttlMs)), 'NX').get(`${k}:r`).get(`${k}:p`).pttl(`${k}:r`).exec();
    if (!replies) throw new Error('shared store: transaction aborted');
    for (const [err] of replies) if (err) throw err;
    const [set, value, previous, pttl] = replies.map(([, v]) => v) as [string | null, string | null, string | null, number];
    if (set === 'OK') return previous === null ? { state: 'claimed' } : { state: 'claimed', previous };
    if (value?.startsWith(COMPLETED)) return { state: 'completed', record: value.slice(COMPLETED.length) };
    return { state: 'in-progress', remainingMs: Math.max(0, pttl) };
  }

  async complete(key: string, token: string, record: string, ttlMs: number): Promise<void> {
    await this.ready();
    const k = recordKey(this.options.prefix, key);
    await this.guard(() => this.client.eval(COMPLETE, 2, `${k}:r`, `${k}:p`, IN_PROGRESS + token, COMPLETED + record, String(Math.max(1, Math.round(ttlMs)))));
  }

  async release(key: string, token: string, previous: string, ttlMs: number): Promise<void> {
    await this.ready();
    const k = recordKey(this.options.prefix, key);
    await this.guard(() => this.client.eval(RELEASE, 2, `${k}:r`, `${k}:p`, IN_PROGRESS + token, previous, String(Math.max(1, Math.round(ttlMs)))));
  }

  async spend(scope: string, asked: number, budget: BudgetSpec, now: number): Promise<BudgetGrant> {
    await this.ready();
    const reply = (await this.guard(() => this.client.eval(
      SPEND,
      1,
      `${this.options.prefix}budget:${scope}`,
      String(now),
      String(budget.windowMs),
      String(budget.limit),
      String(asked),
      randomUUID(),
    ))) as [number, number, number];
    return { granted: Number(reply[0]), used: Number(reply[1]), freesAt: Number(reply[2]) };
  }

  async close(): Promise<void> {
    this.client.disconnect(false);
  }

  /**
   * A command that timed out on a connection that looks up (an FC instance thawed after
   * the network dropped its idle socket) would leave every later command to time out
   * too: start a fresh connection instead, and fail fast until it is ready.
   */
  private async guard<T>(op: () => Promise<T>): Promise<T> {
    try {
      return await op();
    } catch (err) {
      if (err instanceof Error && /timed out/i.test(err.message) && this.client.status === 'ready') {
        this.down = true;
        this.client.disconnect(true);
      }
      throw err;
    }
  }

  /** Connected, or fail: wait for a first connection at most the timeout; never during an outage. */
  private async ready(): Promise<void> {
    const status = this.client.status;
    if (status === 'ready') return;
    if (this.down) throw new Error(`shared store unreachable (${status})`);
    if (status === 'wait') {
      this.client.connect().catch(() => undefined);
    } else if (status !== 'connecting' && status !== 'connect') {
      throw new Error(`shared store unreachable (${status})`);
    }
    // One wait shared by every caller (a burst at cold start must not add a listener each).
    this.waiting ??= new Promise<void>((resolve, reject) => {
      const timer = setTimeout(() => done(new Error('shared store: no connection within the timeout')), this.options.timeoutMs);
      const onReady = () => done();
      const onEnd = () => done(new Error('shared store: connection closed'));
      const done = (err?: Error) => {
        clearTimeout(timer);
        this.client.off('ready', onReady);
        this.client.off('close', onEnd);
        this.waiting = undefined;
        if (err) reject(err);
        else resolve();
      };
      this.client.once('ready', onReady);
      this.client.once('close', onEnd);
    });
    return this.waiting;
  }
}
