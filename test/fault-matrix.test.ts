import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { ATTEMPTS, CALM, chunks, checkInvariants, FAST, FAULTS, settle, storm } from './helpers/faults.js';
import { withOwnStack } from './helpers/stack.js';
import { FAULT_REQUESTS } from './helpers/volume.js';

// Never lose a stop: under every fault the emulator can inject, persisting, each target that
// came in ends `failed` with a reason a retry can act on, nothing is claimed stopped, and
// retries happen exactly as configured. The same faults once per chunk are in
// fault-recovery.test.ts; the targeted fault cases in faults.test.ts. Each case runs on its
// own emulator (`withOwnStack`, test/helpers/stack.ts).

/** One persisting fault against a storm of requests, and what must hold of every answer. */
function matrixCase(f: (typeof FAULTS)[number]): Promise<void> {
  return withOwnStack({ ...CALM, ECS_MAX_ATTEMPTS: String(ATTEMPTS), VERIFY: 'false', ...f.env }, FAST, async (emu, stack) => {
    emu.injectFault(f.fault);
    const runs = await storm(stack, 'p');
    await settle(emu);
    checkInvariants(emu, runs);
    // A late answer may still have stopped it (as in the cloud), but we never claim it.
    const targets = runs.flatMap(({ res }) => res.json.data.targets.map((t) => `${res.status >= 500 ? '5xx' : res.status} ${t.status} ${t.error?.code} ${t.error?.retryable}`));
    expect([...new Set(targets)]).toEqual([`5xx failed ${f.code} true`]);
    const expectedCalls = runs.reduce((n, r) => n + chunks(r.ids.length) * ATTEMPTS, 0);
    expect(emu.requests({ service: 'ecs', action: 'StopInvocation' })).toHaveLength(expectedCalls);
    if (f.fault.retryAfterMs) for (const { res } of runs) expect(res.headers.get('retry-after')).toBe('1');
  });
}

const title = (f: (typeof FAULTS)[number]) => `${f.name}: every target failed and retryable, ${ATTEMPTS} attempts per chunk, 5xx`;
/** Faults that answer late: seconds of waiting out timeouts, little CPU. */
const SLOW = FAULTS.filter((f) => f.fault.latencyMs !== undefined);

describe(`fault matrix (${FAULT_REQUESTS} requests each, mixed instance counts)`, () => {
  // The slow response's storm starts with the file; its own test, the last, waits for it. The
  // other storms run meanwhile, one after another: all six at once held answers past CALM's
  // 5 s timeout on a busy machine with CI's volumes.
  const started = new Map<string, Promise<void>>();
  beforeAll(() => {
    for (const f of SLOW) {
      const run = matrixCase(f);
      run.catch(() => undefined); // reported by its test, not as an unhandled rejection
      started.set(f.name, run);
    }
  });
  afterAll(async () => {
    await Promise.allSettled(started.values());
  });

  for (const f of FAULTS.filter((x) => !SLOW.includes(x))) it(title(f), () => matrixCase(f));

  it('STS failure: AssumeRole 503 → every target failed and retryable, nothing reaches ECS', () =>
    withOwnStack({ ...CALM, ECS_MAX_ATTEMPTS: String(ATTEMPTS), VERIFY: 'false' }, { warm: false, ...FAST }, async (emu, stack) => {
      emu.injectFault({ service: 'sts', status: 503, code: 'ServiceUnavailable', message: 'STS is down' });
      const runs = await storm(stack, 's');
      checkInvariants(emu, runs);
      const targets = runs.flatMap(({ res }) => res.json.data.targets.map((t) => `${res.status} ${t.status} ${/^STS\./.test(t.error?.code ?? '')} ${t.error?.retryable}`));
      expect([...new Set(targets)]).toEqual(['503 failed true true']);
      expect(emu.requests({ service: 'ecs' })).toHaveLength(0);
      expect(emu.requests({ service: 'sts' }).length).toBeGreaterThan(0);
    }));

  for (const f of SLOW) it(title(f), () => started.get(f.name)!);
});
