import { describe, expect, it } from 'vitest';
import { mapLimit } from '../shared/concurrency.js';
import { instanceIds, withOwnStack } from './helpers/stack.js';
import { ATTEMPTS, CALM, chunks, checkInvariants, FAST, FAULTS, settle, type Run } from './helpers/faults.js';
import { FAULT_REQUESTS } from './helpers/volume.js';

// Every fault of the matrix (fault-matrix.test.ts), once per chunk: with a retry left, every
// target ends stopped, and each fault costs exactly one more call.

describe('recovery from each fault of the matrix', () => {
  for (const f of FAULTS) {
    it(`${f.name}, transient (one failure per chunk at most): every target stopped after a retry`, () =>
      withOwnStack({ ...CALM, ECS_MAX_ATTEMPTS: String(ATTEMPTS), ECS_CONCURRENCY: '1', ...f.env }, FAST, async (emu, stack) => {
        // One failure per request, on its own invocation: the fault matches its InvokeId and
        // hits once, so with one call in flight per request its first call fails and the
        // retry goes through. Five requests at a time: the slow fault then waits its timeout
        // five at once, not twenty times in a row.
        const plans = Array.from({ length: Math.min(FAULT_REQUESTS, 20) }, (_, n) => {
          const ids = instanceIds(1 + ((n * 37) % 120), `i-t${n}x`);
          const inv = emu.seedInvocation({ regionId: 'cn-hangzhou', instances: ids.map((instanceId) => ({ instanceId, status: 'Running' as const })) });
          emu.injectFault({ ...f.fault, params: { InvokeId: inv.invokeId }, times: 1 });
          return { ids, invokeId: inv.invokeId };
        });
        const total = plans.reduce((sum, p) => sum + chunks(p.ids.length) + 1, 0);
        const runs: Run[] = await mapLimit(plans, 5, async (p) => ({ ...p, res: await stack.post({ regionId: 'cn-hangzhou', invokeId: p.invokeId, instanceIds: p.ids }) }));
        await settle(emu);
        checkInvariants(emu, runs);
        const targets = runs.flatMap(({ res }) => res.json.data.targets.map((t) => `${res.status} ${t.status} ${t.invocationStatus}`));
        expect([...new Set(targets)]).toEqual(['200 stopped Stopped']);
        expect(emu.requests({ service: 'ecs', action: 'StopInvocation' })).toHaveLength(total);
      }));
  }
});
