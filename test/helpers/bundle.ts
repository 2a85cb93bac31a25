import { closeSync, existsSync, mkdirSync, openSync, readdirSync, renameSync, rmSync, statSync } from 'node:fs';
import { basename, join, resolve } from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import { repoRoot } from './samples.js';

// A TypeScript entry a test runs as its own `node` process (a function instance, a heap
// probe), bundled by esbuild: the same code tsx would run, without paying ~1 s of CPU per
// process to compile it again. Bundled once per test run, not once per worker: the workers
// share FC_STOP_TEST_RUN (vitest.config.ts sets it in their parent), the first to ask
// builds under a lock file, and the others wait for its file.

/** Names this run's bundles (a fresh id per `vitest` start, set in vitest.config.ts). */
export const TEST_RUN_VAR = 'FC_STOP_TEST_RUN';
/** How long a worker waits for another one's build before it gives up. */
const WAIT_MS = 120_000;

const built = new Map<string, Promise<string>>();

/** The bundled entry (`entry` relative to the repository), under .tmp/bundled/. */
export async function bundled(entry: string): Promise<string> {
  const known = built.get(entry);
  // A long-lived worker (vitest --watch) may find its file removed by a later run.
  if (known && existsSync(await known)) return known;
  const file = buildOnce(entry);
  built.set(entry, file);
  return file;
}

async function buildOnce(entry: string): Promise<string> {
  const run = process.env[TEST_RUN_VAR] ?? `pid${process.pid}`;
  const dir = resolve(repoRoot, '.tmp', 'bundled');
  mkdirSync(dir, { recursive: true });
  const name = basename(entry).replace(/\.ts$/, '');
  const out = join(dir, `${name}.${run}.cjs`);
  const lock = `${out}.lock`;
  for (const deadline = Date.now() + WAIT_MS; ; ) {
    if (existsSync(out)) return out;
    let fd: number | undefined;
    try {
      fd = openSync(lock, 'wx');
    } catch (err) {
      if ((err as NodeJS.ErrnoException).code !== 'EEXIST') throw err;
    }
    if (fd !== undefined) {
      try {
        // Checked again under the lock: another worker may have finished in between.
        if (!existsSync(out)) await bundle(entry, out);
        removeOtherRuns(dir, name, run);
        return out;
      } finally {
        closeSync(fd);
        rmSync(lock, { force: true });
      }
    }
    // Another worker is building; a failed build frees the lock, and this worker then tries itself.
    if (Date.now() > deadline) throw new Error(`no bundle of ${entry} after ${WAIT_MS} ms: another worker holds ${lock}`);
    await sleep(20);
  }
}

async function bundle(entry: string, out: string): Promise<void> {
  // Written under a name of its own, then renamed: a waiting worker never sees half a file.
  const own = `${out}.${process.pid}.part`;
  // One CommonJS file, packages included (as scripts/build.mjs ships the function): Node
  // then neither resolves hundreds of package files nor scans each CommonJS one for its
  // exports, which was half of an instance's start-up.
  // Loaded here, not at the top: vitest.config.ts imports this file for TEST_RUN_VAR only.
  const { build } = await import('esbuild');
  await build({
    entryPoints: [resolve(repoRoot, entry)],
    outfile: own,
    bundle: true,
    platform: 'node',
    format: 'cjs',
    target: 'node20',
    logLevel: 'error',
    define: { 'import.meta.url': '__bundled_url' },
    banner: { js: "const __bundled_url = require('node:url').pathToFileURL(__filename).href;" },
  });
  renameSync(own, out);
}

/**
 * Bundles of earlier runs, ten minutes old (a run beside this one keeps its own): .tmp/ would
 * otherwise keep one set per run.
 */
function removeOtherRuns(dir: string, name: string, run: string): void {
  const before = Date.now() - 10 * 60 * 1000;
  for (const file of readdirSync(dir)) {
    if (!file.startsWith(`${name}.`) || file.startsWith(`${name}.${run}.`)) continue;
    const path = join(dir, file);
    try {
      if (statSync(path).mtimeMs < before) rmSync(path, { force: true });
    } catch {
      // removed by another run meanwhile
    }
  }
}
