import { readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { startEmulator } from '../emulator/index.js';
import { Child } from './child.js';
import { directEvent, functionEnv, seedRunning } from './payloads.js';
import { buildInto, type Workspace } from './prepare.js';

// `npm run bench -- --profile`: where the bundle's cold start goes. The function is built
// once more without minification (esbuild then marks each module with a `// path` comment),
// run once under `node --cpu-prof`, and the profile's self time is summed per package
// (or repository file) within each phase: require, initialize, first invocation.
// Unminified code parses a little slower than the shipped bundle; the split is what counts.

interface CpuProfile {
  nodes: Array<{ id: number; callFrame: { functionName: string; url: string; lineNumber: number } }>;
  startTime: number;
  samples: number[];
  timeDeltas: number[];
}

const PHASES = ['require', 'initialize', 'first invocation'] as const;

export async function profileCold(ws: Workspace, log: (s: string) => void): Promise<string> {
  const plainDir = join(ws.dir, 'fn-plain');
  buildInto(plainDir, () => undefined, ['--no-minify']);
  const bundle = join(plainDir, 'index.js');
  const profDir = join(ws.dir, 'profile');
  const emu = await startEmulator({ host: '127.0.0.1' });
  let marks: Record<string, number>;
  try {
    const target = seedRunning(emu, 2, 'profile.sh');
    const child = new Child({
      script: ws.children['cold-profile'],
      nodeArgs: ['--cpu-prof', `--cpu-prof-dir=${profDir}`, '--cpu-prof-interval=100'],
      cwd: ws.dir,
      env: { ...functionEnv(emu, { VERIFY: 'false' }), BENCH_BUNDLE: bundle, BENCH_EVENT: directEvent(target, 'bench: profile') },
      lifetimeMs: 30_000,
    });
    const { msg } = await child.next(30_000);
    if (msg.done !== true) throw child.failure(`profile run failed: ${String(msg.error)}`);
    marks = msg.marks as Record<string, number>;
    await child.waitExit(10_000);
    child.kill();
  } finally {
    await emu.close();
  }
  const file = readdirSync(profDir).find((f) => f.endsWith('.cpuprofile'));
  if (!file) throw new Error('node --cpu-prof wrote no profile');
  const profile = JSON.parse(readFileSync(join(profDir, file), 'utf8')) as CpuProfile;
  log('profile: written and read');
  return summarize(profile, readFileSync(join(plainDir, 'function.js'), 'utf8'), marks);
}

function summarize(profile: CpuProfile, source: string, marks: Record<string, number>): string {
  // Module boundaries: esbuild's `// node_modules/x/y.js` / `// shared/z.ts` comments.
  const starts: Array<[number, string]> = [];
  source.split('\n').forEach((line, i) => {
    const m = /^\/\/ ((?:node_modules|shared|functions|local)\/\S+)$/.exec(line);
    if (m) starts.push([i, m[1]!]);
  });
  const moduleAt = (line: number): string => {
    let lo = 0;
    let hi = starts.length - 1;
    let found = '(esbuild helpers: lazy compiles of module bodies land here)';
    while (lo <= hi) {
      const mid = (lo + hi) >> 1;
      if (starts[mid]![0] <= line) {
        found = starts[mid]![1];
        lo = mid + 1;
      } else hi = mid - 1;
    }
    const pkg = /node_modules\/((?:@[^/]+\/)?[^/]+)/.exec(found);
    return pkg ? pkg[1]! : found;
  };
  const owner = (cf: CpuProfile['nodes'][number]['callFrame']): string => {
    if (cf.url.endsWith('/fn-plain/function.js')) return moduleAt(cf.lineNumber);
    if (cf.url.startsWith('node:')) return 'node internals (incl. compiling the bundle)';
    if (!cf.url) return cf.functionName.startsWith('(') ? cf.functionName : 'native code';
    return cf.url.includes('/children/') ? 'bench child' : cf.url;
  };
  const nodes = new Map(profile.nodes.map((n) => [n.id, n]));
  const bounds = [marks.entry!, marks.loaded!, marks.initialized!, marks.answered!];
  const perPhase = PHASES.map(() => new Map<string, number>());
  let t = profile.startTime;
  profile.samples.forEach((id, i) => {
    t += profile.timeDeltas[i] ?? 0;
    const phase = bounds.findIndex((b, k) => k < 3 && t >= b && t < bounds[k + 1]!);
    if (phase < 0) return;
    const key = owner(nodes.get(id)!.callFrame);
    const dt = profile.timeDeltas[i + 1] ?? 0; // a sample's weight: the gap to the next one
    perPhase[phase]!.set(key, (perPhase[phase]!.get(key) ?? 0) + dt);
  });
  const out: string[] = ['cold-start profile of the unminified bundle (node --cpu-prof, 0.1 ms sampling; self time)'];
  PHASES.forEach((name, k) => {
    const wall = (bounds[k + 1]! - bounds[k]!) / 1000;
    out.push(`  ${name}: ${wall.toFixed(1)} ms wall`);
    const rows = [...perPhase[k]!.entries()].sort((a, b) => b[1] - a[1]).slice(0, 10);
    for (const [key, us] of rows) if (us >= 300) out.push(`    ${(us / 1000).toFixed(1).padStart(6)} ms  ${key}`);
  });
  return out.join('\n');
}
