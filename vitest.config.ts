import { defineConfig } from 'vitest/config';
import StartOrder from './test/sequencer.js';

export default defineConfig({
  test: {
    include: ['test/**/*.test.ts'],
    setupFiles: ['test/setup.ts'],
    exclude: ['test/live/**'],
    pool: 'forks',
    // Files share a worker and its loaded modules (each file still runs its own setup and
    // owns its emulator, test/helpers/stack.ts): importing the SDK stack once per worker, not
    // once per file, is a third of the suite's CPU.
    isolate: false,
    // More workers than the 2 cores: many tests wait on timeouts, deadlines or child
    // processes, and another file's CPU fills that wait. Three were slower than four here
    // (waits left uncovered), and so were five and six (each worker imports the stack again,
    // and the cores are already busy).
    maxWorkers: 4,
    sequence: { sequencer: StartOrder },
    // Transformed test and source files are kept in node_modules/.experimental-vitest-cache
    // (keyed by content; `npm ci` empties it) and reused by the next run: the main process
    // then spends ~1.9 s of CPU instead of ~3.3. Vitest 5 has it on by default (fsModuleCache).
    experimental: { fsModuleCache: true },
    testTimeout: 30000,
    hookTimeout: 30000,
  },
});
