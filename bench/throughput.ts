import { startEmulator } from '../emulator/index.js';
import { startFnServer } from './fn-server.js';
import { closedLoop, countBy } from './load.js';
import { directEvent, seedRunning, WEBHOOK_TOKEN } from './payloads.js';
import type { Plan } from './plan.js';
import type { Workspace } from './prepare.js';
import type { Figure } from './report.js';
import { percentile, spread } from './stats.js';

// 5. Throughput: authenticated webhook requests (direct source, one instance each, the
// function's defaults: StopInvocation then DescribeInvocations to verify) through the
// local FC HTTP runtime by a closed loop of C workers, every ECS call 20 ms late.
// StopInvocation is idempotent, so every request stops the same invocation again.
// Each run has its own emulator and function process: the emulator's signature-nonce
// memory slows it down past ~10,000 requests, which would drag later runs down.

export interface ThroughputResult {
  figures: Figure[];
  maxRssKb: Record<string, number>;
}

export async function throughputStage(ws: Workspace, plan: Plan, log: (s: string) => void): Promise<ThroughputResult> {
  const headers = { authorization: `Bearer ${WEBHOOK_TOKEN}` };
  const rps: number[] = [];
  const p50: number[] = [];
  const p99: number[] = [];
  const maxRssKb: Record<string, number> = {};
  for (let run = 0; run < plan.throughputRuns; run++) {
    const emu = await startEmulator({ host: '127.0.0.1' });
    try {
      const server = await startFnServer(ws, emu, 60_000);
      try {
        const url = `${server.url}/stop`;
        const body = directEvent(seedRunning(emu, 1, 'throughput.sh'), 'bench: throughput');
        emu.injectFault({ service: 'ecs', latencyMs: plan.throughputLatencyMs });
        await closedLoop(url, () => body, headers, plan.throughputConcurrency, plan.quick ? 200 : 1000); // warm-up
        emu.clearRequests();
        const r = await closedLoop(url, () => body, headers, plan.throughputConcurrency, plan.throughputSeconds * 1000);
        const statuses = countBy(r.answers, (a) => String(a.status));
        if (statuses['200'] !== r.answers.length) throw new Error(`throughput: statuses ${JSON.stringify(statuses)} ${r.answers.find((a) => a.error)?.error ?? ''}`);
        const stops = emu.requests({ service: 'ecs', action: 'StopInvocation' }).length;
        if (stops !== r.answers.length) throw new Error(`throughput: ${stops} StopInvocation for ${r.answers.length} requests`);
        const ms = r.answers.map((a) => a.ms);
        rps.push((r.answers.length * 1000) / r.elapsedMs);
        p50.push(percentile(ms, 50));
        p99.push(percentile(ms, 99));
        log(`throughput: run ${run + 1}/${plan.throughputRuns}: ${rps.at(-1)!.toFixed(0)} req/s, p99 ${p99.at(-1)!.toFixed(1)} ms`);
      } finally {
        const last = await server.child.stop();
        maxRssKb[`throughput run ${run + 1}`] = typeof last?.maxRssKb === 'number' ? last.maxRssKb : -1;
      }
    } finally {
      await emu.close();
    }
  }
  const stage = 'throughput';
  const what = `concurrency ${plan.throughputConcurrency}, ${plan.throughputLatencyMs} ms ECS latency, ${plan.throughputSeconds} s per run`;
  return {
    figures: [
      { stage, key: 'throughput.rps', label: 'webhook requests/s', unit: 'req/s', value: spread(rps), note: what },
      { stage, key: 'throughput.p50_ms', label: 'latency p50', unit: 'ms', value: spread(p50) },
      { stage, key: 'throughput.p99_ms', label: 'latency p99', unit: 'ms', value: spread(p99) },
    ],
    maxRssKb,
  };
}
