import { readFileSync } from 'node:fs';
import http from 'node:http';
import { startEmulator, type Emulator } from '../emulator/index.js';
import { startFnServer, type FnServer } from './fn-server.js';
import { burst, countBy, post } from './load.js';
import { alertmanagerWebhook, seedRunning, WEBHOOK_TOKEN } from './payloads.js';
import type { Plan } from './plan.js';
import type { Workspace } from './prepare.js';
import type { Figure } from './report.js';
import { percentile, spread } from './stats.js';

// 4. Burst: N copies of one Alertmanager delivery, all sent at once to the local FC HTTP
// runtime. Each run first sends one delivery of a different payload (fresh invocations,
// fresh fingerprints) to learn how many StopInvocation calls one delivery makes; the burst
// should make exactly that many (one per chunk): the rest are duplicates of the one in
// flight. One emulator and one function process for all runs (one warm FC instance).

export interface BurstResult {
  figures: Figure[];
  maxRssKb: Record<string, number>;
}

export async function burstStage(ws: Workspace, plan: Plan, log: (s: string) => void): Promise<BurstResult> {
  const emu = await startEmulator({ host: '127.0.0.1' });
  let server: FnServer | undefined;
  try {
    server = await startFnServer(ws, emu, 120_000);
    const figures = await runs(server, emu, plan, log);
    const last = await server.child.stop();
    return { figures, maxRssKb: { burst: typeof last?.maxRssKb === 'number' ? last.maxRssKb : -1 } };
  } finally {
    server?.child.kill();
    await emu.close();
  }
}

async function runs(server: FnServer, emu: Emulator, plan: Plan, log: (s: string) => void): Promise<Figure[]> {
  const url = `${server.url}/stop`;
  const headers = { authorization: `Bearer ${WEBHOOK_TOKEN}` };
  const perCall: number[] = [];
  const p99: number[] = [];
  const p50: number[] = [];
  let single = 0;
  let drops = 0; // -1 once unknown
  for (let run = 0; run < plan.burstRuns; run++) {
    // Calibration: one delivery, its own invocations.
    emu.clearRequests();
    const agent = new http.Agent({ keepAlive: false });
    const one = await post(url, payload(emu), headers, agent);
    agent.destroy();
    if (one.status !== 200 || one.outcome !== 'stopped') throw new Error(`burst: single delivery answered ${one.status} ${String(one.outcome ?? one.error)}`);
    single = stopCalls(emu);
    if (single < 1) throw new Error('burst: a single delivery made no StopInvocation call');

    const body = payload(emu);
    emu.clearRequests();
    const dropsBefore = listenDrops();
    const answers = await burst(url, body, headers, plan.burstSize);
    const dropsAfter = listenDrops();
    drops = drops < 0 || dropsBefore < 0 || dropsAfter < 0 ? -1 : drops + dropsAfter - dropsBefore;
    const statuses = countBy(answers, (a) => String(a.status));
    const outcomes = countBy(answers, (a) => a.outcome ?? a.error ?? 'none');
    if (statuses['200'] !== plan.burstSize) throw new Error(`burst: statuses ${JSON.stringify(statuses)} outcomes ${JSON.stringify(outcomes)}`);
    const calls = stopCalls(emu);
    perCall.push(calls / single);
    const ms = answers.map((a) => a.ms);
    p50.push(percentile(ms, 50));
    p99.push(percentile(ms, 99));
    log(`burst: run ${run + 1}/${plan.burstRuns}: ${calls} StopInvocation (single delivery: ${single}), outcomes ${JSON.stringify(outcomes)}, p99 ${p99.at(-1)!.toFixed(1)} ms`);
  }
  const stage = 'burst';
  return [
    {
      stage,
      key: 'burst.calls_per_chunk',
      label: `StopInvocation calls per chunk, ${plan.burstSize} duplicates`,
      unit: '×',
      value: spread(perCall),
      target: { op: '==', limit: 1, worst: true },
      note: `one delivery makes ${single} StopInvocation call(s); a burst should make the same`,
    },
    { stage, key: 'burst.p50_ms', label: 'latency p50', unit: 'ms', value: spread(p50) },
    {
      stage,
      key: 'burst.p99_ms',
      label: 'latency p99',
      unit: 'ms',
      value: spread(p99),
      // The local runtime listens with node's default backlog (511): a dropped SYN costs the
      // client a 1 s retransmit, an artefact of the stand-in, not of the function.
      note: `kernel listen-queue drops during the bursts (machine-wide): ${drops < 0 ? 'unknown' : drops}`,
    },
  ];
}

/** A delivery over two fresh Running invocations (one named, one found by instance). */
function payload(emu: Emulator): string {
  const named = seedRunning(emu, 1, 'burst-named.sh');
  const found = seedRunning(emu, 1, 'burst-found.sh');
  return alertmanagerWebhook({ invokeId: named.invokeId, instanceId: named.instanceIds[0]! }, found.instanceIds[0]!);
}

/** TcpExt ListenDrops (Linux, machine-wide); -1 where unavailable. */
function listenDrops(): number {
  try {
    const [names, values] = readFileSync('/proc/net/netstat', 'utf8')
      .split('\n')
      .filter((l) => l.startsWith('TcpExt:'))
      .map((l) => l.trim().split(/\s+/));
    const i = names?.indexOf('ListenDrops') ?? -1;
    return i > 0 && values ? Number(values[i]) : -1;
  } catch {
    return -1;
  }
}

function stopCalls(emu: Emulator): number {
  const n = emu.requests({ service: 'ecs', action: 'StopInvocation' }).length;
  emu.clearRequests();
  return n;
}
