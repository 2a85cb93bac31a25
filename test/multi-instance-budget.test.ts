import { randomUUID } from 'node:crypto';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { mapLimit } from '../shared/concurrency.js';
import { count, deliver, sharedWorld, startInstances, stopInstances, type Instance } from './helpers/instances.js';
import { skipWithoutRedis } from './helpers/redis.js';
import { instanceIds, stopCount } from './helpers/stack.js';
import { everyOf } from './helpers/expect.js';

// Issue #14's acceptance: STOP_BUDGET across several FC instances (each its own process and
// local runtime) sharing one redis-server and one emulator, apart from multi-instance.test.ts
// (whose outage test kills its redis-server) so the two run side by side.

const skip = skipWithoutRedis('multi-instance-budget.test.ts');

const world = sharedWorld(skip);

describe.skipIf(skip)('the stop budget across three instances', () => {
  let instances: Instance[] = [];
  const WINDOW_S = 10;
  beforeAll(async () => {
    instances = await startInstances(3, world.emu, { REDIS_URL: world.redis.url, STORE_TIMEOUT_MS: '3000', STOP_BUDGET: `100/${WINDOW_S}s` });
  }, 120_000);
  afterAll(async () => {
    await stopInstances(instances);
  });

  it('300 distinct instance stops with STOP_BUDGET=100 → exactly 100 stopped, 200 BudgetExceeded; after the window moves stops go through', async () => {
    const ids = instanceIds(301, 'i-bud');
    const inv = world.emu.seedInvocation({ regionId: 'cn-hangzhou', instances: ids.map((instanceId) => ({ instanceId, status: 'Running' as const })) });
    const answers = await mapLimit(ids.slice(0, 300), 30, (id, i) =>
      deliver(instances[i % 3]!.url, JSON.stringify({ regionId: 'cn-hangzhou', invokeId: inv.invokeId, instanceIds: [id] }), { 'idempotency-key': randomUUID() }),
    );
    // All 300 were counted in one window (its oldest spend never left it), so the count is the
    // budget's alone. (Not "one freesAt for all": instances read their own clocks, and a spend
    // stamped a few ms earlier may reach redis later and become the oldest.)
    const firstFree = Math.min(...answers.map((a) => Date.parse(a.freesAt ?? '')));
    expect(Date.now() < firstFree, 'the window moved during the 300 stops (machine too slow)').toBe(true);
    expect(count(answers, (a) => `${a.status} ${a.outcome} ${a.code ?? ''}`.trim())).toEqual({ '200 stopped': 100, '424 failed BudgetExceeded': 200 });
    expect(world.emu.getInvocation(inv.invokeId)?.instances.filter((i) => i.status === 'Stopped')).toHaveLength(100);
    expect(stopCount(world.emu, inv.invokeId)).toBe(100);
    expect(everyOf(instances, (x) => x.lines.some((l) => l.includes('stop budget exceeded') && l.includes(`"budget":"100/${WINDOW_S}s"`)))).toBe(true);

    // Once the oldest spends leave the window, a new stop goes through.
    const last = ids[300]!;
    await expect
      .poll(async () => (await deliver(instances[0]!.url, JSON.stringify({ regionId: 'cn-hangzhou', invokeId: inv.invokeId, instanceIds: [last] }), { 'idempotency-key': randomUUID() })).outcome, { timeout: 30_000, interval: 50 })
      .toBe('stopped');
    expect(world.emu.getInvocation(inv.invokeId)?.instances.find((i) => i.instanceId === last)?.status).toBe('Stopped');
  });
});
