import { startEmulator, type Emulator } from '../emulator/index.js';
import { Child } from './child.js';
import type { ChildName, Workspace } from './prepare.js';
import { directEvent, floorEnv, functionEnv, seedRunning } from './payloads.js';
import type { Plan } from './plan.js';
import type { Figure } from './report.js';
import { median, ratioSpread, spread } from './stats.js';

// 1. Cold start: parent-side time from spawn() to the child's `done` line, which it prints
// once the ECS answer to its first StopInvocation is in. Rounds interleave the variants
// (in a rotating order) so drift and cache effects hit all of them alike; ratios are
// taken within each round.
//   bundle        our dist bundle, plain node, temp dir without node_modules, VERIFY=false
//   naive         the full @alicloud/ecs20140526 client, unbundled
//   floor         bare node: node:crypto signer + fetch
//   bundleVerify  our bundle with VERIFY=true (StopInvocation + DescribeInvocations)

type Variant = 'bundle' | 'naive' | 'floor' | 'bundleVerify';
const VARIANTS: Variant[] = ['bundle', 'naive', 'floor', 'bundleVerify'];
const INSTANCES = 2;

interface Sample {
  ms: number;
  marks: Record<string, number>;
}

export async function coldStage(ws: Workspace, plan: Plan, log: (s: string) => void): Promise<Figure[]> {
  const emu = await startEmulator({ host: '127.0.0.1' });
  const samples: Record<Variant, Sample[]> = { bundle: [], naive: [], floor: [], bundleVerify: [] };
  try {
    const rounds = plan.coldWarmupRounds + plan.coldRounds;
    for (let round = 0; round < rounds; round++) {
      const order = VARIANTS.map((_, i) => VARIANTS[(i + round) % VARIANTS.length]!);
      for (const variant of order) {
        const s = await once(emu, ws, variant);
        if (round >= plan.coldWarmupRounds) samples[variant].push(s);
      }
      log(`cold: round ${round + 1}/${rounds}${round < plan.coldWarmupRounds ? ' (warm-up)' : ''}`);
    }
  } finally {
    await emu.close();
  }

  const ms = (v: Variant) => samples[v].map((s) => s.ms);
  const mark = (v: Variant, name: string) => median(samples[v].map((s) => s.marks[name] ?? NaN));
  const stage = 'cold';
  const bundleNote =
    `child-side medians: require ${(mark('bundle', 'loaded') - mark('bundle', 'entry')).toFixed(1)} ms, ` +
    `initialize ${(mark('bundle', 'initialized') - mark('bundle', 'loaded')).toFixed(1)} ms, ` +
    `first handler ${(mark('bundle', 'answered') - mark('bundle', 'initialized')).toFixed(1)} ms, ` +
    `node start-up to entry ${mark('bundle', 'entry').toFixed(1)} ms`;
  return [
    { stage, key: 'cold.bundle_ms', label: '(a) bundle: spawn → StopInvocation answered', unit: 'ms', value: spread(ms('bundle')), note: bundleNote },
    {
      stage,
      key: 'cold.naive_ms',
      label: '(b) naive full ECS client',
      unit: 'ms',
      value: spread(ms('naive')),
      note: `child-side median require('@alicloud/ecs20140526') ${(mark('naive', 'loaded') - mark('naive', 'entry')).toFixed(1)} ms`,
    },
    { stage, key: 'cold.floor_ms', label: '(c) floor: node + crypto + fetch', unit: 'ms', value: spread(ms('floor')) },
    { stage, key: 'cold.bundle_verify_ms', label: '(a) with VERIFY=true', unit: 'ms', value: spread(ms('bundleVerify')) },
    { stage, key: 'cold.a_over_c', label: 'a / c', unit: '×', value: ratioSpread(ms('bundle'), ms('floor')), target: { op: '<=', limit: 1.5 } },
    { stage, key: 'cold.b_over_c', label: 'b / c', unit: '×', value: ratioSpread(ms('naive'), ms('floor')) },
  ];
}

async function once(emu: Emulator, ws: Workspace, variant: Variant): Promise<Sample> {
  const target = seedRunning(emu, INSTANCES, `cold-${variant}.sh`);
  emu.clearRequests();
  let script: string;
  let cwd: string;
  let env: Record<string, string>;
  if (variant === 'naive') {
    script = ws.naiveHandler;
    cwd = ws.dir; // node_modules resolve from the script's own location (the repository)
    env = floorEnv(emu, target);
  } else {
    const name: ChildName = variant === 'floor' ? 'cold-floor' : 'cold-bundle';
    script = ws.children[name];
    cwd = ws.dir;
    env =
      variant === 'floor'
        ? floorEnv(emu, target)
        : {
            ...functionEnv(emu, { VERIFY: variant === 'bundleVerify' ? 'true' : 'false' }),
            BENCH_BUNDLE: ws.bundle,
            BENCH_EVENT: directEvent(target, 'bench: cold start'),
          };
  }
  const child = new Child({ script, cwd, env, lifetimeMs: 30_000 });
  try {
    const { msg, at } = await child.next(30_000);
    if (msg.done !== true) throw child.failure(`did not finish: ${String(msg.error)}`);
    if (msg.outcome !== 'stopped') throw child.failure(`outcome ${String(msg.outcome)}, expected stopped`);
    checkStopped(emu, target, variant);
    await child.waitExit(5000);
    return { ms: at - child.spawnedAt, marks: msg.marks as Record<string, number> };
  } finally {
    child.kill();
  }
}

/** The emulator saw exactly one valid StopInvocation and the instances are stopped. */
function checkStopped(emu: Emulator, target: { invokeId: string }, variant: Variant): void {
  const stops = emu.requests({ service: 'ecs', action: 'StopInvocation' });
  if (stops.length !== 1 || !stops[0]!.signatureValid || stops[0]!.status !== 200) {
    throw new Error(`cold ${variant}: expected one accepted StopInvocation, saw ${JSON.stringify(stops.map((s) => [s.status, s.code, s.signatureValid]))}`);
  }
  const other = emu.requests({ service: 'ecs' }).filter((r) => r.action !== 'StopInvocation' && r.action !== 'DescribeInvocations');
  if (other.length) throw new Error(`cold ${variant}: unexpected ECS calls ${other.map((r) => r.action).join(', ')}`);
  const inv = emu.getInvocation(target.invokeId);
  if (!inv || inv.instances.some((i) => i.status !== 'Stopped')) throw new Error(`cold ${variant}: invocation not stopped`);
}
