import { startEmulator, type Emulator } from '../emulator/index.js';
import { limitedCgroup } from './cgroup.js';
import { Child } from './child.js';
import { functionEnv, instanceIds, REGION, seedRunning, WEBHOOK_TOKEN } from './payloads.js';
import type { Plan } from './plan.js';
import type { Workspace } from './prepare.js';
import type { Figure } from './report.js';
import { spread } from './stats.js';
import { DEFAULT_MAX_BODY_BYTES } from '../shared/config.js';

// 7. Memory as FC gives it: the function process inside a 128 MB memory cgroup (FC
// `memorySize: 128`, no swap), started with the NODE_OPTIONS s.yaml deploys, handles the
// biggest requests it accepts, one after the other in one warm instance:
//   ids      one event invocation naming 10,000 instances (MAX_INSTANCES at its maximum),
//            VERIFY=true: 200 StopInvocation calls, then reading back a 10,000-instance invocation
//   alerts   the largest accepted Alertmanager group over the HTTP trigger: 1,000 alerts
//            (MAX_ALERTS), each naming only an instance, padded to MAX_BODY_BYTES (4 MiB default)
// Each must come back `stopped` for every id; an OOM kill ends the run and misses the target.

const LIMIT_MB = 128;
const IDS = 10_000;
const ALERTS = 1000;

export async function memoryStage(ws: Workspace, _plan: Plan, log: (s: string) => void, nodeOptions: string): Promise<Figure[]> {
  const stage = 'memory';
  const labels = {
    ids: `${IDS.toLocaleString('en')} ids (VERIFY=true) in ${LIMIT_MB} MB, peak RSS`,
    alerts: `${ALERTS.toLocaleString('en')}-alert group, ${DEFAULT_MAX_BODY_BYTES / 1048576} MiB, in ${LIMIT_MB} MB, peak RSS`,
  };
  const cg = limitedCgroup(`fc-stop-bench-${process.pid}-mem`, { memoryBytes: LIMIT_MB * 1048576 });
  if (typeof cg === 'string') {
    log(`memory: under a ${LIMIT_MB} MB cgroup skipped: ${cg}`);
    const nan = { median: NaN, min: NaN, max: NaN, n: 0 };
    return [
      { stage, key: 'memory.ids_10000_rss_mb', label: labels.ids, unit: 'MB', value: nan, skipped: cg, target: { op: '<=', limit: LIMIT_MB } },
      { stage, key: 'memory.alert_group_rss_mb', label: labels.alerts, unit: 'MB', value: nan, skipped: cg, target: { op: '<=', limit: LIMIT_MB } },
    ];
  }
  const emu = await startEmulator({ host: '127.0.0.1' });
  const rss: Record<'ids' | 'alerts', number> = { ids: NaN, alerts: NaN };
  const notes: string[] = [];
  try {
    // One fresh instance per job: each peak is that request's own.
    for (const job of ['ids', 'alerts'] as const) {
      const child = new Child({
        script: ws.children['fn-direct'],
        cwd: ws.dir,
        env: {
          ...functionEnv(emu, { MAX_INSTANCES: String(IDS), VERIFY: 'true' }),
          ...(nodeOptions ? { NODE_OPTIONS: nodeOptions } : {}),
          BENCH_BUNDLE: ws.bundle,
          BENCH_AK: emu.keys.accessKeyId,
          BENCH_SK: emu.keys.accessKeySecret,
        },
        launcher: cg.launcher,
        lifetimeMs: 120_000,
      });
      cg.resetPeak();
      try {
        await child.request('initialize');
        const { event, expected } = job === 'ids' ? idsEvent(emu) : alertGroupEvent(emu);
        const r = await child.request('time', { event }, 90_000);
        const counts = r.counts as { stopped?: number } | undefined;
        if (r.outcome !== 'stopped' || counts?.stopped !== expected) throw new Error(`${job}: outcome ${String(r.outcome)} counts ${JSON.stringify(counts)} ${JSON.stringify(r.error ?? '')}`);
        rss[job] = Number(r.maxRssKb) / 1024;
        const peak = cg.peakBytes();
        notes.push(`${job}: ${expected} stopped in ${(r.handlerMs as number).toFixed(0)} ms${peak === undefined ? '' : `, cgroup charge peak ${(peak / 1048576).toFixed(1)} MB`}`);
      } catch (err) {
        await child.waitExit(1000);
        if (child.proc.exitCode === null && child.proc.signalCode === null) throw err;
        notes.push(`${job}: the function process was killed (${child.proc.signalCode ?? child.proc.exitCode}; OOM kills in the cgroup: ${cg.oomKills() ?? 'unknown'})`);
        rss[job] = Infinity;
      } finally {
        await child.stop();
      }
    }
    log(`memory: ${notes.join('; ')}`);
  } finally {
    await emu.close();
    cg.remove();
  }
  // RSS counts the node binary's shared pages, which this machine's page cache already
  // charged elsewhere (hence the lower cgroup charge); a fresh FC instance pays for them.
  const where = `NODE_OPTIONS=${nodeOptions || '(none)'}; ${cg.describe}; ${notes.join('; ')}`;
  return [
    { stage, key: 'memory.ids_10000_rss_mb', label: labels.ids, unit: 'MB', value: spread([rss.ids]), target: { op: '<=', limit: LIMIT_MB }, note: where },
    { stage, key: 'memory.alert_group_rss_mb', label: labels.alerts, unit: 'MB', value: spread([rss.alerts]), target: { op: '<=', limit: LIMIT_MB } },
  ];
}

function idsEvent(emu: Emulator): { event: string; expected: number } {
  const target = seedRunning(emu, IDS, 'memory-ids.sh');
  return { event: JSON.stringify({ regionId: REGION, invokeId: target.invokeId, instanceIds: target.instanceIds, reason: 'bench: memory' }), expected: IDS };
}

/** An FC HTTP trigger event carrying the largest Alertmanager group the function accepts. */
function alertGroupEvent(emu: Emulator): { event: string; expected: number } {
  const ids = instanceIds(ALERTS);
  for (let i = 0; i < ALERTS; i += 50) {
    emu.seedInvocation({ regionId: REGION, commandName: 'memory-alerts.sh', instances: ids.slice(i, i + 50).map((instanceId) => ({ instanceId, status: 'Running' as const })) });
  }
  // As many bytes as the function accepts by default (MAX_BODY_BYTES, 4 MiB): the 1,000
  // alerts' annotations are padded to fill what their labels leave.
  const labels = { alertname: 'RunawayCommand', region_id: REGION };
  const group = (description: string) =>
    JSON.stringify({
      version: '4',
      groupKey: '{}:{alertname="RunawayCommand"}',
      truncatedAlerts: 0,
      status: 'firing',
      receiver: 'stop-invocation',
      groupLabels: { alertname: 'RunawayCommand' },
      commonLabels: labels,
      commonAnnotations: {},
      externalURL: 'http://am:9093',
      alerts: ids.map((instanceId, i) => ({
        status: 'firing',
        labels: { ...labels, instance_id: instanceId },
        annotations: { description },
        startsAt: '2026-11-24T06:30:00Z',
        fingerprint: `${process.pid.toString(16)}${String(i).padStart(12, '0')}`,
      })),
    });
  const spare = DEFAULT_MAX_BODY_BYTES - 512 - Buffer.byteLength(group(''));
  if (spare < 0) throw new Error(`memory: ${ALERTS} minimal alerts do not fit in ${DEFAULT_MAX_BODY_BYTES} bytes`);
  const body = group('x'.repeat(Math.floor(spare / ALERTS)));
  const now = new Date();
  const event = {
    version: 'v1',
    rawPath: '/stop',
    headers: { Authorization: `Bearer ${WEBHOOK_TOKEN}`, 'Content-Type': 'application/json' },
    queryParameters: {},
    body,
    isBase64Encoded: false,
    requestContext: {
      accountId: '1234567890123456',
      domainName: 'bench.local',
      domainPrefix: 'bench',
      http: { method: 'POST', path: '/stop', protocol: 'HTTP/1.1', sourceIp: '127.0.0.1', userAgent: 'Alertmanager/0.25.0' },
      requestId: `memory-${now.getTime()}`,
      time: now.toISOString(),
      timeEpoch: String(now.getTime()),
    },
  };
  return { event: JSON.stringify(event), expected: ALERTS };
}
