import { createHash } from 'node:crypto';
import { closeSync, existsSync, mkdirSync, mkdtempSync, openSync, readdirSync, readFileSync, renameSync, rmSync, statSync, utimesSync, writeFileSync } from 'node:fs';
import { dirname, join, resolve } from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import { fileURLToPath } from 'node:url';
import { atFileEnd } from './file-end.js';
import { repoRoot } from './samples.js';

// The TypeScript entries tests start as their own `node` process (function instances, the heap
// probe), bundled by esbuild: the same code tsx would run, without paying ~1 s of CPU per
// process to compile it again. All entries in one esbuild pass (they share most modules), kept
// between runs under a key of everything that went into them: each input's bytes and the
// names beside it (a new file may change what an import resolves to), package-lock.json,
// package.json, tsconfig.json and this file (esbuild's version and options). A run whose sources are unchanged reuses the last
// build: ~1 s of CPU less. The first worker to ask builds under a lock file; the others wait.

/** Every entry a test starts as its own process, relative to the repository. */
const ENTRIES = ['local/main.ts', 'test/fixtures/dedupe-heap.ts'];
const DIR = resolve(repoRoot, '.tmp', 'bundled');
/** What the last build read: the next run's key is computed from these files. */
const INPUTS = join(DIR, 'inputs.json');
const LOCK = join(DIR, 'build.lock');
/** How long a worker waits for another one's build before it gives up. */
const WAIT_MS = 120_000;
/** A lock this old is stale whoever holds it (its pid may have been reused): a build takes a second or two. */
const STALE_LOCK_MS = 60_000;
/** Builds of other keys are removed once this old (a run beside this one may still use its own). */
const KEEP_MS = 10 * 60 * 1000;

let current: Promise<string> | undefined;

/** The bundled entry (one of ENTRIES), under .tmp/bundled/<key>/. */
export async function bundled(entry: string): Promise<string> {
  if (!ENTRIES.includes(entry)) throw new Error(`${entry} is not one of test/helpers/bundle.ts ENTRIES`);
  if (!current) {
    current = ensureBuilt();
    // Looked up again by the next file: a long-lived worker (vitest --watch) sees edits.
    atFileEnd(async () => void (current = undefined));
  }
  return join(await current, outName(entry));
}

const outName = (entry: string) => entry.replace(/^.*\//, '').replace(/\.ts$/, '.cjs');

async function ensureBuilt(): Promise<string> {
  mkdirSync(DIR, { recursive: true });
  for (const deadline = Date.now() + WAIT_MS; ; ) {
    const key = lastKey();
    if (key && existsSync(join(DIR, key))) return touched(join(DIR, key));
    // The lock holds its builder's pid: a lock whose process is gone (a run killed mid-build)
    // is taken over at once, and a builder removes only its own.
    const token = `${process.pid}`;
    let fd: number | undefined;
    try {
      fd = openSync(LOCK, 'wx');
      writeFileSync(fd, token);
    } catch (err) {
      if ((err as NodeJS.ErrnoException).code !== 'EEXIST') throw err;
    }
    if (fd !== undefined) {
      try {
        return await build();
      } finally {
        closeSync(fd);
        if (readLock() === token) rmSync(LOCK, { force: true });
      }
    }
    // Another worker is building (a failed build frees the lock, and this one then tries).
    for (let holder = readLock(); holder !== undefined; holder = readLock()) {
      if (!alive(holder) || lockAge() > STALE_LOCK_MS) {
        if (readLock() === holder) rmSync(LOCK, { force: true });
      } else if (Date.now() > deadline) throw new Error(`no test bundle after ${WAIT_MS} ms: process ${holder} holds ${LOCK}`);
      else await sleep(20);
    }
  }
}

function lockAge(): number {
  try {
    return Date.now() - statSync(LOCK).mtimeMs;
  } catch {
    return 0; // just released
  }
}

/** The lock's holder (a pid), '' while it is being written, undefined when there is no lock. */
function readLock(): string | undefined {
  try {
    return readFileSync(LOCK, 'utf8');
  } catch {
    return undefined;
  }
}

function alive(holder: string): boolean {
  if (holder === '') return true; // just created: its pid follows
  try {
    process.kill(Number(holder), 0);
    return true;
  } catch (err) {
    return (err as NodeJS.ErrnoException).code === 'EPERM';
  }
}

/** The key of the last build's inputs as they are now; undefined when there is none or one is gone. */
function lastKey(): string | undefined {
  try {
    return keyOf(JSON.parse(readFileSync(INPUTS, 'utf8')) as string[]);
  } catch {
    return undefined;
  }
}

function keyOf(inputs: string[]): string {
  const hash = createHash('sha256');
  const add = (label: string, data: string | Buffer) => hash.update(`${label}\0${data.length}\0`).update(data);
  add('entries', ENTRIES.join('\n'));
  add('this file', readFileSync(fileURLToPath(import.meta.url)));
  // What else esbuild reads: tsconfig.json (its target, class fields) and package.json ("type").
  for (const file of ['package-lock.json', 'package.json', 'tsconfig.json']) add(file, readFileSync(resolve(repoRoot, file)));
  const dirs = new Set<string>();
  for (const input of inputs) {
    add(input, readFileSync(resolve(repoRoot, input)));
    if (!input.startsWith('node_modules/')) dirs.add(dirname(input));
  }
  for (const dir of [...dirs].sort()) add(`${dir}/`, readdirSync(resolve(repoRoot, dir)).sort().join('\n'));
  return hash.digest('hex').slice(0, 24);
}

async function build(): Promise<string> {
  // Built in a directory of its own, then renamed: a waiting worker never sees half a build.
  const part = mkdtempSync(join(DIR, 'part-'));
  const started = Date.now();
  // CommonJS files, packages included (as scripts/build.mjs ships the function): Node then
  // neither resolves hundreds of package files nor scans each CommonJS one for its exports,
  // which was half of an instance's start-up. esbuild is loaded only here: most files never build.
  const { build: esbuild } = await import('esbuild');
  const { metafile } = await esbuild({
    absWorkingDir: repoRoot,
    entryPoints: ENTRIES,
    outdir: part,
    entryNames: '[name]',
    outExtension: { '.js': '.cjs' },
    bundle: true,
    platform: 'node',
    format: 'cjs',
    target: 'node20',
    logLevel: 'error',
    metafile: true,
    define: { 'import.meta.url': '__bundled_url' },
    banner: { js: "const __bundled_url = require('node:url').pathToFileURL(__filename).href;" },
  });
  const inputs = Object.keys(metafile.inputs).sort();
  // The key is of the files as they are now: one edited while esbuild read it (a save, a
  // checkout) would file old code under new sources. Such a build serves this run only.
  if (inputs.some((input) => statSync(resolve(repoRoot, input)).mtimeMs >= started - 2000)) return part;
  const key = keyOf(inputs);
  const out = join(DIR, key);
  try {
    renameSync(part, out);
  } catch (err) {
    // Another run built the same inputs meanwhile: theirs is as good.
    if (!existsSync(out)) throw err;
    rmSync(part, { recursive: true, force: true });
    touched(out);
  }
  const listed = `${INPUTS}.${process.pid}.part`;
  writeFileSync(listed, JSON.stringify(inputs));
  renameSync(listed, INPUTS);
  removeOthers(key);
  return out;
}

/** A build in use again: not old for another run's clean-up (removeOthers). */
function touched(dir: string): string {
  const now = new Date();
  utimesSync(dir, now, now);
  return dir;
}

/** Older builds (and half-written ones) once KEEP_MS old: .tmp/ would otherwise keep one per change. */
function removeOthers(key: string): void {
  const before = Date.now() - KEEP_MS;
  for (const name of readdirSync(DIR)) {
    if (name === key || name === 'inputs.json' || name === 'build.lock') continue;
    const path = join(DIR, name);
    try {
      if (statSync(path).mtimeMs < before) rmSync(path, { recursive: true, force: true });
    } catch {
      // removed by another run meanwhile
    }
  }
}
