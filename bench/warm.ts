import { startEmulator } from '../emulator/index.js';
import { Child } from './child.js';
import { directEvent, functionEnv, seedRunning } from './payloads.js';
import type { Plan } from './plan.js';
import type { Workspace } from './prepare.js';
import type { Figure } from './report.js';
import { stopInvocationCall } from './sign.js';
import { percentile, spread } from './stats.js';

// 2. Warm overhead: in one child process, the bundle's handler (event invocation,
// VERIFY=false, so exactly one StopInvocation) and the floor's bare signed StopInvocation
// (fetch, keep-alive) for the same invocation, interleaved request by request. Overhead
// = handler percentile − bare percentile, per child run; several runs, each on a fresh
// emulator (its nonce memory starts empty).

export async function warmStage(ws: Workspace, plan: Plan, log: (s: string) => void): Promise<Figure[]> {
  const runs: Array<{ h50: number; h99: number; b50: number; b99: number }> = [];
  for (let run = 0; run < plan.warmRuns; run++) {
    const emu = await startEmulator({ host: '127.0.0.1' });
    const child = new Child({
      script: ws.children['fn-direct'],
      cwd: ws.dir,
      env: { ...functionEnv(emu, { VERIFY: 'false' }), BENCH_BUNDLE: ws.bundle, BENCH_AK: emu.keys.accessKeyId, BENCH_SK: emu.keys.accessKeySecret },
      lifetimeMs: 120_000,
    });
    try {
      const target = seedRunning(emu, 1, 'warm.sh');
      const payload = { event: directEvent(target, 'bench: warm'), bare: stopInvocationCall(emu.ecsEndpoint, 'cn-hangzhou', target.invokeId, target.instanceIds) };
      await child.request('initialize');
      await child.request('warm', { ...payload, n: plan.warmWarmup });
      emu.clearRequests();
      const r = await child.request('warm', { ...payload, n: plan.warmRequests }, 120_000);
      const outcomes = r.outcomes as Record<string, number>;
      if (outcomes.stopped !== plan.warmRequests) throw new Error(`warm: outcomes ${JSON.stringify(outcomes)}`);
      const stops = emu.requests({ service: 'ecs', action: 'StopInvocation' });
      const bad = stops.filter((s) => s.status !== 200 || !s.signatureValid).length;
      if (stops.length !== 2 * plan.warmRequests || bad) throw new Error(`warm: ${stops.length} StopInvocation seen (${bad} refused), expected ${2 * plan.warmRequests}`);
      const h = r.handlerMs as number[];
      const b = r.bareMs as number[];
      runs.push({ h50: percentile(h, 50), h99: percentile(h, 99), b50: percentile(b, 50), b99: percentile(b, 99) });
      log(`warm: run ${run + 1}/${plan.warmRuns}: handler p50 ${runs.at(-1)!.h50.toFixed(2)} p99 ${runs.at(-1)!.h99.toFixed(2)} ms, bare p50 ${runs.at(-1)!.b50.toFixed(2)} p99 ${runs.at(-1)!.b99.toFixed(2)} ms`);
    } finally {
      await child.stop();
      await emu.close();
    }
  }
  const stage = 'warm';
  const n = `${plan.warmRequests} requests per run`;
  return [
    { stage, key: 'warm.handler_p50_ms', label: 'handler latency p50', unit: 'ms', value: spread(runs.map((r) => r.h50)), note: n },
    { stage, key: 'warm.handler_p99_ms', label: 'handler latency p99', unit: 'ms', value: spread(runs.map((r) => r.h99)) },
    { stage, key: 'warm.bare_p50_ms', label: 'bare signed round trip p50', unit: 'ms', value: spread(runs.map((r) => r.b50)) },
    { stage, key: 'warm.bare_p99_ms', label: 'bare signed round trip p99', unit: 'ms', value: spread(runs.map((r) => r.b99)) },
    { stage, key: 'warm.overhead_p50_ms', label: 'overhead p50 (handler − bare)', unit: 'ms', value: spread(runs.map((r) => r.h50 - r.b50)) },
    {
      stage,
      key: 'warm.overhead_p99_ms',
      label: 'overhead p99 (handler − bare)',
      unit: 'ms',
      value: spread(runs.map((r) => r.h99 - r.b99)),
      target: { op: '<=', limit: 2 },
    },
  ];
}
