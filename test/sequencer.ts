import { basename } from 'node:path';
import { BaseSequencer, type TestSpecification } from 'vitest/node';

// The order files start in. The suite is CPU-bound on two cores, so what costs wall time is a
// moment when every worker is waiting (a deadline, a TTL, a window, a child process) and a
// core is idle. So the longest CPU-bound files (ship, multi-instance) start beside the
// longest waiting ones (truth, the budget window), and after them every waiting file
// (alertmanager-real, store, truth-property, faults, …) starts between CPU-bound ones: with
// the waiting files all left for the end (the previous order) both cores sat mostly idle for
// ~5 s of a 35 s run. Vitest orders by the durations it cached from the last run, and without
// them (a clean clone, CI) by file size, which would start the small but slow files last.
const START_ORDER = [
  'ship.test.ts',
  'truth.test.ts',
  'multi-instance.test.ts',
  'multi-instance-budget.test.ts',
  'fault-matrix.test.ts',
  'dedupe-memory.test.ts',
  'alertmanager-real.test.ts',
  'fuzz.test.ts',
  'store.test.ts',
  'truth-property.test.ts',
  'cloudevents.test.ts',
  'faults.test.ts',
  'guard.test.ts',
  'fault-recovery.test.ts',
  'security.test.ts',
  'sources.test.ts',
  'secrets.test.ts',
  'standard-webhooks.test.ts',
  'review-fixes.test.ts',
  'network.test.ts',
  'senders.test.ts',
  'start.test.ts',
  'direct.test.ts',
  'emulator.test.ts',
  'context-and-sink.test.ts',
];

export default class StartOrder extends BaseSequencer {
  override async sort(files: TestSpecification[]): Promise<TestSpecification[]> {
    const rest = await super.sort(files);
    const rank = (f: TestSpecification) => {
      const i = START_ORDER.indexOf(basename(f.moduleId));
      return i < 0 ? START_ORDER.length : i;
    };
    return rest.map((f, i) => ({ f, i })).sort((a, b) => rank(a.f) - rank(b.f) || a.i - b.i).map(({ f }) => f);
  }
}
