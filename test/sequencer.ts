import { basename } from 'node:path';
import { BaseSequencer, type TestSpecification } from 'vitest/node';

// The files that take longest start first. Vitest orders by the durations it cached from the
// last run, and without them (a clean clone, CI) by file size, which would start these small
// but slow files (timeouts, child processes, redis) last, each then running alone at the end.
const LONGEST_FIRST = [
  'fault-matrix.test.ts',
  'multi-instance.test.ts',
  'multi-instance-budget.test.ts',
  'ship.test.ts',
  'dedupe-memory.test.ts',
  'fault-recovery.test.ts',
  'truth.test.ts',
  'network.test.ts',
  'alertmanager-real.test.ts',
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
