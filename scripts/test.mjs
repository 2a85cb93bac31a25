// `npm test`: the type-check and the suites at once, not one after the other. tsc is one
// core for ~2 s, while vitest spends its first seconds starting workers on less than two,
// so running them side by side takes that time off the wall clock (docs/ARCHITECTURE.md
// "The suite"). Arguments go to vitest (`npm test -- --reporter=json …`). The exit code is
// non-zero when either fails; tsc's errors are printed after vitest's report, not inside it.
import { spawn } from 'node:child_process';
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

// Incremental: what an earlier run checked (.tmp/tsc.tsbuildinfo) is not checked again unless it
// or what it depends on changed: ~0.8 s of CPU less from the second run on. Single-threaded:
// tsc's checker threads would take cores from the suite, which keeps both busy; one thread
// costs ~0.3-0.6 s of CPU less (2.5 → 1.9 s on a first run) and still ends long before the suites do.
const typecheck = run(bin('tsc'), ['-p', 'tsconfig.json', '--incremental', '--tsBuildInfoFile', '.tmp/tsc.tsbuildinfo', '--singleThreaded'], { stdio: ['ignore', 'pipe', 'pipe'] });
const suites = run(bin('vitest'), ['run', ...process.argv.slice(2)], {
  stdio: 'inherit',
  // The emulator's TLS endpoints (STS, KMS, EventBridge) are signed by its own CA.
  env: { ...process.env, NODE_EXTRA_CA_CERTS: 'emulator/certs/ca.pem' },
});

const [tsc, vitest] = await Promise.all([typecheck, suites]);
if (tsc.code === 0) process.stdout.write('typecheck (tsc -p tsconfig.json): no errors\n');
else process.stdout.write(`typecheck (tsc -p tsconfig.json) failed:\n${tsc.output}`);
process.exitCode = tsc.code !== 0 ? tsc.code : vitest.code;
