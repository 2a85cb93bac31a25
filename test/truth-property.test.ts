import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { startEmulator, type Emulator, type Fault, type InstanceStatus } from '../emulator/index.js';
import type { ResultEvent } from '../shared/types.js';
import { startStack } from './helpers/stack.js';

// Issue #10, as a property over random fault schedules: per-action faults on
// StopInvocation, DescribeInvocations and AssumeRole (errors, throttling, 200 with garbage,
// non-JSON, latency, resets; a stop that takes effect but loses its answer), short
// function timeouts, cold and warm instances, with and without verification. For every
// run, straight through the real SDKs and the emulator:
//   - every instance id that came in is in the result;
//   - no target is `stopped` unless the emulator shows that instance no longer running;
//   - the answer arrives before the deadline the function computed (`answerBy`);
//   - 2xx only when nothing is left that a retry could fix: 2xx ⇔ no retryable failure,
//     and with 2xx every instance still running is one that ignores stops (a retry cannot
//     stop it either).

const RUNS = Number(process.env.TRUTH_RUNS ?? 25);
const LIVE: ReadonlySet<InstanceStatus> = new Set(['Running', 'Pending', 'Scheduled', 'Stopping']);

type Kind = 'error500' | 'throttle' | 'null200' | 'empty200' | 'code200' | 'notJson' | 'latency' | 'reset';
interface FaultPlan {
  action: 'StopInvocation' | 'DescribeInvocations' | 'AssumeRole';
  kind: Kind;
  times: number;
  apply: boolean;
  latencyMs: number;
}

function toFault(p: FaultPlan): Fault {
  const base: Fault = { service: p.action === 'AssumeRole' ? 'sts' : 'ecs', action: p.action, times: p.times };
  // A stop that takes effect and then loses its answer (only StopInvocation changes state).
  if (p.apply && p.action === 'StopInvocation') base.apply = true;
  switch (p.kind) {
    case 'error500':
      return { ...base, status: 500, code: 'InternalError', message: 'injected' };
    case 'throttle':
      return { ...base, status: 400, code: p.action === 'AssumeRole' ? 'Throttling' : 'Throttling.User', message: 'slow down', retryAfterMs: 30 };
    case 'null200':
      return { ...base, status: 200, body: null };
    case 'empty200':
      return { ...base, status: 200, body: {} };
    case 'code200':
      return { ...base, status: 200, body: { RequestId: 'garbage', Code: 'InternalError', Message: 'not a success' } };
    case 'notJson':
      return { ...base, status: 502, rawBody: '<html>502 Bad Gateway</html>', contentType: 'text/html' };
    case 'latency':
      return { ...base, latencyMs: p.latencyMs };
    case 'reset':
      return { ...base, reset: true };
  }
}

const faultPlan = fc.record({
  action: fc.constantFrom('StopInvocation', 'DescribeInvocations', 'AssumeRole') as fc.Arbitrary<FaultPlan['action']>,
  kind: fc.constantFrom<Kind>('error500', 'throttle', 'null200', 'empty200', 'code200', 'notJson', 'latency', 'reset'),
  times: fc.integer({ min: 1, max: 4 }),
  apply: fc.boolean(),
  latencyMs: fc.integer({ min: 50, max: 1500 }),
});

const scenario = fc.record({
  verify: fc.boolean(),
  warm: fc.boolean(),
  timeoutS: fc.integer({ min: 2, max: 3 }),
  ecsTimeoutMs: fc.integer({ min: 250, max: 700 }),
  instances: fc.array(fc.record({ status: fc.constantFrom<'Running' | 'Pending' | 'Success'>('Running', 'Running', 'Pending', 'Success'), ignoresStop: fc.boolean() }), { minLength: 1, maxLength: 5 }),
  named: fc.boolean(),
  faults: fc.array(faultPlan, { maxLength: 4 }),
});

/** `runs` random schedules, one after another, on `emu` (reset before each). */
async function holds(emu: Emulator, runs: number): Promise<void> {
  let n = 0;
  await fc.assert(
    fc.asyncProperty(scenario, async (sc) => {
      n++;
      emu.reset();
      const stack = await startStack(
        { VERIFY: String(sc.verify), ECS_TIMEOUT_MS: String(sc.ecsTimeoutMs), VERIFY_GRACE_MS: '300', ECS_MAX_ATTEMPTS: '3' },
        { emu, warm: sc.warm },
      );
      try {
        const ids = sc.instances.map((_, i) => `i-prop${n}x${i}`);
        // Without verification, ECS's word is all there is: only stops that work are seeded.
        const inv = emu.seedInvocation({
          instances: sc.instances.map((s, i) => ({ instanceId: ids[i], status: s.status, ignoresStop: sc.verify && s.ignoresStop })),
        });
        for (const f of sc.faults) emu.injectFault(toFault(f));
        const http = {
          version: 'v1', rawPath: '/stop', queryParameters: {}, isBase64Encoded: false, requestContext: { http: { method: 'POST', path: '/stop' } },
          headers: { 'content-type': 'application/json', authorization: 'Bearer test-token-0123456789abcdef0123456789' },
          body: JSON.stringify({ regionId: 'cn-hangzhou', invokeId: inv.invokeId, ...(sc.named ? { instanceIds: ids } : {}) }),
        };
        const res = (await stack.fn.handler(Buffer.from(JSON.stringify(http)), {
          requestId: `prop-${n}`, region: 'cn-hangzhou', accountId: emu.accountId, function: { name: 'stop-invocation', timeout: sc.timeoutS },
        })) as { statusCode: number; body: string };
        const answeredAt = Date.now();
        const summary = stack.lines.map((l) => JSON.parse(l) as { msg: string; answerBy?: string }).filter((l) => l.msg === 'stop-invocation result').at(-1);
        expect(answeredAt, 'answered after answerBy').toBeLessThanOrEqual(Date.parse(summary?.answerBy ?? ''));

        const targets = (JSON.parse(res.body) as ResultEvent).data.targets;
        const state = new Map(emu.getInvocation(inv.invokeId)!.instances.map((i) => [i.instanceId, i]));
        // Every id that came in (named, or listed by ECS for a whole stop that got that far).
        if (sc.named) expect([...new Set(targets.map((t) => t.instanceId))].sort()).toEqual([...ids].sort());
        for (const t of targets) expect(t.instanceId === undefined || ids.includes(t.instanceId)).toBe(true);
        // No false stop.
        for (const t of targets.filter((x) => x.status === 'stopped' && x.instanceId)) {
          expect(LIVE.has(state.get(t.instanceId!)!.status), `${t.instanceId} claimed stopped, emulator says ${state.get(t.instanceId!)!.status}`).toBe(false);
        }
        // The status says whether a retry can help.
        const retryable = targets.some((t) => t.status === 'failed' && t.error?.retryable);
        expect(res.statusCode >= 500, `status ${res.statusCode}`).toBe(retryable);
        if (res.statusCode < 300) {
          for (const i of state.values()) if (LIVE.has(i.status)) expect(i.ignoresStop, `${i.instanceId} still ${i.status} after a 2xx`).toBe(true);
        }
      } finally {
        await stack.close();
        // Calls answered late land after the answer; let them go before the next run resets.
        await new Promise((r) => setTimeout(r, 0));
      }
    }),
    { numRuns: runs },
  );
}

// Two halves side by side, each on its own emulator (faults are per emulator): a run mostly
// waits on latencies and timeouts, so the halves share the wall clock (docs/ARCHITECTURE.md §5).
describe.concurrent(`random fault schedules (${RUNS} runs, in two halves)`, () => {
  for (const [half, runs] of [['first', Math.ceil(RUNS / 2)], ['second', Math.floor(RUNS / 2)]] as const) {
    it(`${half} half: every id accounted for, no false stop, answered before the deadline, 2xx only when a retry cannot help`, async () => {
      const emu = await startEmulator();
      try {
        await holds(emu, runs);
      } finally {
        await emu.close();
      }
    }, 300_000);
  }
});
