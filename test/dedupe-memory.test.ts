import { spawn } from 'node:child_process';
import { describe, expect, it } from 'vitest';
import { bundled } from './helpers/bundle.js';
import { repoRoot } from './helpers/samples.js';

// Issue #9: the in-memory dedupe is bounded in bytes (DEDUPE_MAX_BYTES), not only in
// entries. 1,000 distinct large dry runs (1,000 ids each) used to grow a process by
// ~280 MB; results are now kept serialised (deflated when large) and counted exactly.
// Measured in a child process with --expose-gc: heap + external bytes after a full GC.

interface Measured {
  growth: number;
  storeBytes: number;
  entries: number;
  budget: number;
  outcomes: string[];
}

async function measure(env: Record<string, string> = {}): Promise<Measured> {
  const probe = await bundled('test/fixtures/dedupe-heap.ts');
  const run = await new Promise<{ status: number | null; stdout: string; stderr: string }>((done) => {
    const child = spawn(process.execPath, ['--expose-gc', probe], { cwd: repoRoot, env: { PATH: process.env.PATH, HOME: process.env.HOME, ...env }, timeout: 120_000 });
    let stdout = '';
    let stderr = '';
    child.stdout.on('data', (c: Buffer) => (stdout += c.toString()));
    child.stderr.on('data', (c: Buffer) => (stderr += c.toString()));
    child.on('close', (status) => done({ status, stdout, stderr }));
  });
  if (run.status !== 0) throw new Error(`dedupe-heap child failed (${run.status}):\n${run.stderr}`);
  return JSON.parse(run.stdout.trim().split('\n').pop()!) as Measured;
}

// Each case measures in its own child process, so the two run side by side.
describe.concurrent('dedupe memory', () => {
  it('1,000 distinct dry runs of 1,000 ids each: heap growth stays under the default DEDUPE_MAX_BYTES (8 MiB)', async () => {
    const m = await measure();
    expect(m.outcomes).toEqual(['dry-run']);
    expect(m.budget).toBe(8 * 1024 * 1024);
    expect(m.storeBytes).toBeLessThanOrEqual(m.budget);
    expect(m.growth).toBeLessThan(m.budget);
  }, 120_000);

  it('a smaller budget is honoured: old results are evicted and the heap grows by the budget, not by the runs', async () => {
    const budget = 1024 * 1024;
    // ~5 kB a record: 400 runs fill 1 MiB twice over, so eviction has to have run.
    const runs = 400;
    const m = await measure({ DEDUPE_MAX_BYTES: String(budget), RUNS: String(runs) });
    expect(m.entries).toBeLessThan(runs);
    expect(m.storeBytes).toBeLessThanOrEqual(budget);
    // Code compiled and caches warmed after the baseline (eviction runs only once the
    // budget is full) take 0.1-0.3 MB that no record budget covers.
    expect(m.growth).toBeLessThan(budget + 512 * 1024);
  }, 120_000);
});
