import { basename } from 'node:path';
import { BaseSequencer, type TestSpecification } from 'vitest/node';

// The files that take longest start first. After them, files that mostly wait (deadlines,
// TTLs, child processes) alternate with quick CPU-bound ones, so a wait always has work beside
// it: run together, the waiting files left both cores idle for seconds. Vitest orders by the
// durations it cached from the last run, and without them (a clean clone, CI) by file size,
// which would start the small but slow files last, each then running alone at the end.
const LONGEST_FIRST = [
  'fault-matrix.test.ts',
  'multi-instance.test.ts',
  'multi-instance-budget.test.ts',
  'ship.test.ts',
  'dedupe-memory.test.ts',
  'fault-recovery.test.ts',
  'truth.test.ts',
  'fuzz.test.ts',
  'network.test.ts',
  'sources.test.ts',
  'alertmanager-real.test.ts',
  'security.test.ts',
  'truth-property.test.ts',
  'senders.test.ts',
  'faults.test.ts',
  'direct.test.ts',
  'store.test.ts',
  'cloudevents.test.ts',
  'secrets.test.ts',
  'emulator.test.ts',
  'review-fixes.test.ts',
  'standard-webhooks.test.ts',
  'start.test.ts',
];

export default class LongestFirst extends BaseSequencer {
  override async sort(files: TestSpecification[]): Promise<TestSpecification[]> {
    const rest = await super.sort(files);
    const rank = (f: TestSpecification) => {
      const i = LONGEST_FIRST.indexOf(basename(f.moduleId));
      return i < 0 ? LONGEST_FIRST.length : i;
    };
    return rest.map((f, i) => ({ f, i })).sort((a, b) => rank(a.f) - rank(b.f) || a.i - b.i).map(({ f }) => f);
  }
}
