import { describe, expect, it } from 'vitest';
import { instanceIds } from './helpers/stack.js';
import { ATTEMPTS, CALM, chunks, checkInvariants, FAST, FAULTS, REQUESTS, settle, withOwnStack, type Run } from './helpers/faults.js';

// Every fault of the matrix (fault-matrix.test.ts), once per chunk: with a retry left, every
// target ends stopped, and each fault costs exactly one more call.

describe('recovery from each fault of the matrix', () => {
  for (const f of FAULTS) {
    it(`${f.name}, transient (one failure per chunk at most): every target stopped after a retry`, () =>
      withOwnStack({ ...CALM, ECS_MAX_ATTEMPTS: String(ATTEMPTS), ECS_CONCURRENCY: '1', ...f.env }, FAST, async (emu, stack) => {
        // Fail every other call: with one call in flight per request, no chunk fails twice in a row.
        let total = 0;
        const runs: Run[] = [];
        for (let n = 0; n < Math.min(REQUESTS, 20); n++) {
          const ids = instanceIds(1 + ((n * 37) % 120), `i-t${n}x`);
          const inv = emu.seedInvocation({ regionId: 'cn-hangzhou', instances: ids.map((instanceId) => ({ instanceId, status: 'Running' as const })) });
          emu.injectFault({ ...f.fault, times: 1 });
          total += chunks(ids.length) + 1;
          runs.push({ ids, invokeId: inv.invokeId, res: await stack.post({ regionId: 'cn-hangzhou', invokeId: inv.invokeId, instanceIds: ids }) });
        }
        await settle(emu);
        checkInvariants(emu, runs);
        const targets = runs.flatMap(({ res }) => res.json.data.targets.map((t) => `${res.status} ${t.status} ${t.invocationStatus}`));
        expect([...new Set(targets)]).toEqual(['200 stopped Stopped']);
        expect(emu.requests({ service: 'ecs', action: 'StopInvocation' })).toHaveLength(total);
      }));
  }
});
