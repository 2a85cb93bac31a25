import http from 'node:http';
import { startEmulator } from '../emulator/index.js';
import { startFnServer } from './fn-server.js';
import { post } from './load.js';
import { instanceOnlyAlert, seedRunning, WEBHOOK_TOKEN } from './payloads.js';
import type { Plan } from './plan.js';
import type { Workspace } from './prepare.js';
import type { Figure } from './report.js';
import { spread } from './stats.js';

// 6. Round trips: one Alertmanager alert that names only an instance, through the local
// FC HTTP runtime into a warm instance, with the function's defaults (VERIFY=true) while
// every ECS call takes 100 ms. The function finds what runs there (DescribeInvocations,
// one call per live status), stops it, and reads back the state: at best three
// sequential round trips, so wall / latency ≥ 3. The ECS calls are counted too.

export async function alertStage(ws: Workspace, plan: Plan, log: (s: string) => void): Promise<Figure[]> {
  const emu = await startEmulator({ host: '127.0.0.1' });
  const wall: number[] = [];
  let calls = '';
  try {
    const server = await startFnServer(ws, emu, 60_000);
    try {
      emu.injectFault({ service: 'ecs', latencyMs: plan.alertLatencyMs });
      const agent = new http.Agent({ keepAlive: true });
      for (let run = 0; run <= plan.alertRuns; run++) {
        const target = seedRunning(emu, 1, 'alert.sh');
        emu.clearRequests();
        const a = await post(`${server.url}/stop`, instanceOnlyAlert(target.instanceIds[0]!), { authorization: `Bearer ${WEBHOOK_TOKEN}` }, agent);
        if (a.status !== 200 || a.outcome !== 'stopped') throw new Error(`alert: answered ${a.status} ${String(a.outcome ?? a.error)}`);
        if (emu.getInvocation(target.invokeId)?.instances[0]?.status !== 'Stopped') throw new Error('alert: invocation not stopped');
        const ecs = emu.requests({ service: 'ecs' });
        calls = `${ecs.length} ECS calls: ${ecs.map((r) => `${r.action}${(r.inFlight ?? 1) > 1 ? ` (${r.inFlight} in flight)` : ''}`).join(', ')}`;
        if (run === 0) continue; // warm-up: first connection, first alert through the adapter
        wall.push(a.ms);
      }
      agent.destroy();
    } finally {
      await server.child.stop();
    }
  } finally {
    await emu.close();
  }
  log(`alert: ${calls}`);
  const stage = 'alert';
  const latency = plan.alertLatencyMs;
  return [
    { stage, key: 'alert.instance_only_ms', label: `instance-only alert, VERIFY=true, ${latency} ms ECS latency`, unit: 'ms', value: spread(wall), note: calls },
    {
      stage,
      key: 'alert.instance_only_over_latency',
      label: 'instance-only alert / ECS latency',
      unit: '×',
      value: spread(wall.map((ms) => ms / latency)),
      target: { op: '<=', limit: 3.2 },
    },
  ];
}
