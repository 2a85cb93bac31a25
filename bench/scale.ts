import { startEmulator } from '../emulator/index.js';
import { Child } from './child.js';
import { directEvent, functionEnv, REGION, seedRunning } from './payloads.js';
import type { Plan } from './plan.js';
import type { Workspace } from './prepare.js';
import type { Figure } from './report.js';
import { ratioSpread, spread } from './stats.js';
import { stopInvocationCall } from './sign.js';

// 3. Scale: one event invocation naming 1,000 instances while every ECS call takes 100 ms,
// against one bare StopInvocation (a full chunk of 50 ids) under the same latency, timed
// in the same child right after. Each call gets a freshly seeded Running invocation.
// Done with VERIFY=false and VERIFY=true (separate function processes: config is read
// once per instance). The child's peak RSS feeds the memory figure.

export interface ScaleResult {
  figures: Figure[];
  maxRssKb: Record<string, number>;
}

export async function scaleStage(ws: Workspace, plan: Plan, log: (s: string) => void): Promise<ScaleResult> {
  const figures: Figure[] = [];
  const maxRssKb: Record<string, number> = {};
  for (const verify of [false, true]) {
    const emu = await startEmulator({ host: '127.0.0.1' });
    const child = new Child({
      script: ws.children['fn-direct'],
      cwd: ws.dir,
      env: {
        ...functionEnv(emu, { VERIFY: String(verify), MAX_INSTANCES: String(plan.scaleInstances) }),
        BENCH_BUNDLE: ws.bundle,
        BENCH_AK: emu.keys.accessKeyId,
        BENCH_SK: emu.keys.accessKeySecret,
      },
      lifetimeMs: 120_000,
    });
    const wall: number[] = [];
    const one: number[] = [];
    try {
      await child.request('initialize');
      emu.injectFault({ service: 'ecs', latencyMs: plan.scaleLatencyMs });
      for (let run = 0; run <= plan.scaleRuns; run++) {
        const big = seedRunning(emu, plan.scaleInstances, 'scale.sh');
        const chunk = seedRunning(emu, 50, 'scale-one.sh');
        emu.clearRequests();
        const r = await child.request('time', {
          event: directEvent(big, 'bench: scale'),
          bare: stopInvocationCall(emu.ecsEndpoint, REGION, chunk.invokeId, chunk.instanceIds),
        });
        const counts = r.counts as { requested?: number; stopped?: number } | undefined;
        if (r.outcome !== 'stopped' || counts?.stopped !== plan.scaleInstances) {
          throw new Error(`scale: outcome ${String(r.outcome)} counts ${JSON.stringify(counts)}`);
        }
        const stops = emu.requests({ service: 'ecs', action: 'StopInvocation' }).filter((s) => s.status === 200);
        const expected = Math.ceil(plan.scaleInstances / 50) + 1;
        if (stops.length !== expected) throw new Error(`scale: ${stops.length} StopInvocation answered, expected ${expected}`);
        if (run === 0) continue; // warm-up: first connections, first big payload
        wall.push(r.handlerMs as number);
        one.push(r.bareMs as number);
      }
      emu.clearFaults();
      maxRssKb[`scale (VERIFY=${verify})`] = Number((await child.request('rss')).maxRssKb);
      log(`scale: VERIFY=${verify} done`);
    } finally {
      await child.stop();
      await emu.close();
    }
    const v = `verify_${verify}`;
    const label = `VERIFY=${verify}`;
    figures.push(
      { stage: 'scale', key: `scale.${v}.wall_ms`, label: `${plan.scaleInstances} ids, ${plan.scaleLatencyMs} ms ECS latency, ${label}`, unit: 'ms', value: spread(wall) },
      { stage: 'scale', key: `scale.${v}.one_call_ms`, label: `one StopInvocation (50 ids), ${label}`, unit: 'ms', value: spread(one) },
      { stage: 'scale', key: `scale.${v}.ratio`, label: `wall / one call, ${label}`, unit: '×', value: ratioSpread(wall, one), target: { op: '<=', limit: 2.5 } },
    );
  }
  return { figures, maxRssKb };
}
