import { randomUUID } from 'node:crypto';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { mapLimit } from '../shared/concurrency.js';
import { count, deliver, sharedWorld, startInstances, stopInstances, type Instance } from './helpers/instances.js';
import { skipWithoutRedis } from './helpers/redis.js';
import { instanceIds, stopCount } from './helpers/stack.js';
import { everyOf } from './helpers/expect.js';

// Issue #14's acceptance: several FC instances (each its own process and local runtime)
// sharing one redis-server and one emulator. FC 3.0 gives each instance one request at a
// time, so duplicates of one alert land on different instances; only the store joins them.
// (The stop budget across instances is in multi-instance-budget.test.ts, on its own redis.)

const skip = skipWithoutRedis('multi-instance.test.ts');

interface Published {
  data?: { outcome?: string; dedupe?: string; subject?: string; targets?: Array<{ invokeId?: string }> };
  subject?: string;
}

const world = sharedWorld(skip);

const published = (invokeId: string) => (world.emu.events() as Published[]).filter((e) => e.subject === invokeId);

describe.skipIf(skip)('four instances, one shared store', () => {
  let instances: Instance[] = [];
  beforeAll(async () => {
    instances = await startInstances(4, world.emu, {
      REDIS_URL: world.redis.url,
      // Generous: each local runtime here serves hundreds of requests at once on a shared
      // machine (FC would give each instance one), and a late answer counts as no store.
      STORE_TIMEOUT_MS: '3000',
      RESULT_EVENT_BUS: 'ops-results',
      EVENTBRIDGE_ENDPOINT: `http://${world.emu.eventBridgeEndpoint}`,
    });
  }, 120_000);
  afterAll(async () => {
    await stopInstances(instances);
  });

  /** One delivery of 120 instances (3 chunks), the same body and Idempotency-Key each time. */
  const delivery = () => {
    const ids = instanceIds(120, `i-${randomUUID().replace(/-/g, '').slice(0, 6)}`);
    const inv = world.emu.seedInvocation({ regionId: 'cn-hangzhou', instances: ids.map((instanceId) => ({ instanceId, status: 'Running' as const })) });
    return { inv, ids, body: JSON.stringify({ regionId: 'cn-hangzhou', invokeId: inv.invokeId, instanceIds: ids }), headers: { 'idempotency-key': randomUUID() } };
  };

  it('1,000 duplicate deliveries spread over 4 instances → one StopInvocation per chunk, one result event, every delivery answered', async () => {
    const { inv, body, headers } = delivery();
    const answers = await mapLimit(Array.from({ length: 1000 }), 100, (_, i) => deliver(instances[i % 4]!.url, body, headers));
    const outcomes = count(answers, (a) => `${a.status} ${a.outcome} ${a.dedupe}`);
    expect(outcomes).toEqual({ '200 stopped shared': 1, '200 duplicate shared': 999 });
    expect(stopCount(world.emu, inv.invokeId)).toBe(3); // 120 ids = 3 chunks
    expect(everyOf(world.emu.getInvocation(inv.invokeId)?.instances, (i) => i.status === 'Stopped')).toBe(true);
    const events = published(inv.invokeId);
    expect(events).toHaveLength(1);
    expect(events[0]?.data).toMatchObject({ outcome: 'stopped', dedupe: 'shared' });
    // Copies that found the stop in progress elsewhere came back (503, Retry-After) for the result.
    const waited = answers.filter((a) => a.retries > 0);
    process.stderr.write(`multi-instance burst: ${waited.length} deliveries answered 503-then-duplicate\n`);
  });

  it('killing redis-server mid-burst and starting it again: every delivery answered, every target stopped, at most one stop per instance', async () => {
    const { inv, ids, body, headers } = delivery();
    // The winner is slowed inside its stop, so the store dies while the claim is held.
    world.emu.injectFault({ service: 'ecs', action: 'StopInvocation', latencyMs: 800, times: 3 });
    let answered = 0;
    let killed = false;
    let restarted: Promise<void> | undefined;
    const answers = await mapLimit(Array.from({ length: 1000 }), 50, async (_, i) => {
      if (i === 20 && !killed) {
        killed = true;
        await expect.poll(() => instances.some((x) => x.lines.some((l) => l.includes('dedupe claim taken') && l.includes('"store":"shared"'))), { timeout: 15_000, interval: 50 }).toBe(true);
        await world.redis.kill();
      }
      const a = await deliver(instances[i % 4]!.url, body, headers);
      answered++;
      if (answered === 500) restarted = world.redis.restart();
      return a;
    });
    await restarted;
    expect(answers).toHaveLength(1000);
    expect(everyOf(answers, (a) => a.status === 200 && (a.outcome === 'stopped' || a.outcome === 'duplicate'))).toBe(true);
    expect(world.emu.getInvocation(inv.invokeId)?.instances.filter((i) => i.status === 'Stopped')).toHaveLength(ids.length);
    // Without the store each instance dedupes on its own: each stops a chunk at most once.
    const calls = stopCount(world.emu, inv.invokeId);
    expect(calls).toBeGreaterThanOrEqual(3);
    expect(calls).toBeLessThanOrEqual(3 * instances.length);
    const stops = answers.filter((a) => a.outcome === 'stopped');
    expect(stops.length).toBeLessThanOrEqual(instances.length);
    // One published event per stop (or its sink's warning, on a machine this busy), each
    // saying whether the store was there for it.
    const events = published(inv.invokeId);
    const unpublished = instances.flatMap((x) => x.lines).filter((l) => l.includes('result event not published')).length;
    expect(events.length + unpublished).toBe(stops.length);
    expect(everyOf(events, (e) => e.data?.outcome === 'stopped')).toBe(true);
    expect(events.filter((e) => e.data?.dedupe === 'unavailable').length).toBeGreaterThanOrEqual(1);
    expect(instances.some((x) => x.lines.some((l) => l.includes('shared store unavailable')))).toBe(true);
    process.stderr.write(`multi-instance outage: ${calls} StopInvocation for 3 chunks, ${stops.length} stops, dedupe ${JSON.stringify(count(events, (e) => e.data?.dedupe ?? '-'))}\n`);
    // The store is back: a new delivery is shared again.
    await expect.poll(async () => (await deliver(instances[0]!.url, delivery().body, { 'idempotency-key': randomUUID() })).dedupe, { timeout: 15_000, interval: 50 }).toBe('shared');
  });
});
