// `npm test`: the type-check and the suites at once, not one after the other. tsc is one
// core for ~2 s, while vitest spends its first seconds starting workers on less than two,
// so running them side by side takes that time off the wall clock (docs/ARCHITECTURE.md
// "The suite"). Arguments go to vitest (`npm test -- --reporter=json …`). The exit code is
// non-zero when either fails; tsc's errors are printed after vitest's report, not inside it.
import { spawn } from 'node:child_process';
import { createHash } from 'node:crypto';
import { mkdirSync, readdirSync, readFileSync, statSync, writeFileSync } from 'node:fs';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';

const root = fileURLToPath(new URL('..', import.meta.url));
const bin = (name) => fileURLToPath(new URL(`../node_modules/.bin/${name}`, import.meta.url));

function run(cmd, args, options) {
  return new Promise((done) => {
    const child = spawn(process.execPath, [cmd, ...args], { cwd: root, ...options });
    let output = '';
    child.stdout?.on('data', (c) => (output += c));
    child.stderr?.on('data', (c) => (output += c));
    child.on('error', (err) => done({ code: 1, output: String(err) }));
    child.on('close', (code, signal) => done({ code: code ?? (signal ? 1 : 0), output }));
  });
}

const BUILD_INFO = '.tmp/tsc.tsbuildinfo';
/** The inputs of the last check that passed (inputsStamp). */
const PASSED = '.tmp/tsc.passed';

/**
 * Every file the type-check reads, by size and mtime: those the last check read (its build
 * info names them, node_modules' declarations too), every file under tsconfig's `include`
 * (so a new one counts), tsconfig.json and package-lock.json. Undefined without build info.
 */
function inputsStamp() {
  try {
    return stampOf(JSON.parse(readFileSync(resolve(root, BUILD_INFO), 'utf8')));
  } catch {
    // No build info yet, or a tsconfig.json this cannot read (comments): tsc checks.
    return undefined;
  }
}

function stampOf(info) {
  const tsconfig = JSON.parse(readFileSync(resolve(root, 'tsconfig.json'), 'utf8'));
  // What this does not follow (another config, globs, a file list) means tsc checks.
  if (tsconfig.extends || tsconfig.files || (tsconfig.include ?? []).some((entry) => /[*?]/.test(entry))) return undefined;
  const files = new Set(['tsconfig.json', 'package.json', 'package-lock.json']);
  // Bare names are TypeScript's own lib files: package-lock.json pins them. The package.json
  // files it consulted ("type", "exports") count as much as the sources.
  for (const name of [...(info.fileNames ?? []), ...(info.packageJsons ?? [])]) {
    if (typeof name === 'string' && name.includes('/')) files.add(join(dirname(BUILD_INFO), name));
  }
  const walk = (dir) => {
    for (const entry of readdirSync(resolve(root, dir), { withFileTypes: true })) {
      const path = join(dir, entry.name);
      if (entry.isDirectory()) walk(path);
      else files.add(path);
    }
  };
  for (const entry of tsconfig.include ?? []) {
    if (statSync(resolve(root, entry), { throwIfNoEntry: false })?.isDirectory()) walk(entry);
    else files.add(entry);
  }
  const hash = createHash('sha256');
  let newest = 0;
  for (const file of [...files].sort()) {
    const st = statSync(resolve(root, file), { throwIfNoEntry: false });
    hash.update(`${file}\0${st ? `${st.size}:${st.mtimeMs}` : 'gone'}\n`);
    newest = Math.max(newest, st?.mtimeMs ?? 0);
  }
  // A file changed in the last two seconds may change again within the same mtime on a
  // coarse file system: no stamp then, and the next run checks (git's rule for its index).
  return Date.now() - newest < 2000 ? undefined : hash.digest('hex');
}

// tsc runs only when something it reads changed since the last check that passed: a check
// with nothing changed still parses its 1,800 files to find that out (~0.9 s of CPU, paid
// by the suites beside it). Incremental (.tmp/tsc.tsbuildinfo): what changed is all it checks
// again. Single-threaded: tsc's checker threads would take cores from the suites, which keep
// both busy; one thread costs ~0.3-0.6 s of CPU less (2.5 → 1.9 s on a first run).
const stamp = inputsStamp();
let passedBefore = false;
try {
  passedBefore = stamp !== undefined && readFileSync(resolve(root, PASSED), 'utf8') === stamp;
} catch {
  // no check has passed here yet
}
const typecheck = passedBefore
  ? Promise.resolve({ code: 0, output: '', unchanged: true })
  : run(bin('tsc'), ['-p', 'tsconfig.json', '--incremental', '--tsBuildInfoFile', BUILD_INFO, '--singleThreaded'], { stdio: ['ignore', 'pipe', 'pipe'] });
const suites = run(bin('vitest'), ['run', ...process.argv.slice(2)], {
  stdio: 'inherit',
  // The emulator's TLS endpoints (STS, KMS, EventBridge) are signed by its own CA.
  env: { ...process.env, NODE_EXTRA_CA_CERTS: 'emulator/certs/ca.pem' },
});

const [tsc, vitest] = await Promise.all([typecheck, suites]);
if (tsc.code === 0) {
  process.stdout.write(`typecheck (tsc -p tsconfig.json): no errors${tsc.unchanged ? ' (nothing it reads changed since it last passed)' : ''}\n`);
  // The stamp taken before the check: a file edited while it ran is checked again next time.
  // (A first check has no build info to stamp from: the next run checks once more.)
  if (stamp && !tsc.unchanged) {
    mkdirSync(resolve(root, '.tmp'), { recursive: true });
    writeFileSync(resolve(root, PASSED), stamp);
  }
} else process.stdout.write(`typecheck (tsc -p tsconfig.json) failed:\n${tsc.output}`);
process.exitCode = tsc.code !== 0 ? tsc.code : vitest.code;
