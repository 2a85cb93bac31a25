import { randomBytes } from 'node:crypto';
import type { Emulator } from '../emulator/index.js';

// What the stages send: canonical (direct) requests and an Alertmanager v4 webhook, plus
// the function's environment against a given emulator.

export const REGION = 'cn-hangzhou';

let serial = 0;
/** Distinct, realistic instance ids (i- + 20 lowercase alphanumerics). */
export function instanceIds(n: number): string[] {
  const run = (serial++).toString(36).padStart(4, '0');
  return Array.from({ length: n }, (_, i) => `i-bp1${run}${String(i).padStart(13, '0')}`);
}

/** Seeds one Running invocation on `n` fresh instances. */
export function seedRunning(emu: Emulator, n: number, commandName = 'bench.sh'): { invokeId: string; instanceIds: string[] } {
  const ids = instanceIds(n);
  const inv = emu.seedInvocation({ regionId: REGION, commandName, instances: ids.map((instanceId) => ({ instanceId, status: 'Running' })) });
  return { invokeId: inv.invokeId, instanceIds: ids };
}

export function directEvent(target: { invokeId: string; instanceIds: string[] }, reason = 'bench'): string {
  return JSON.stringify({ regionId: REGION, invokeId: target.invokeId, instanceIds: target.instanceIds, reason });
}

/**
 * An Alertmanager v4 webhook in the shape of the shared sample (alertmanager-firing.json):
 * one alert naming an invocation and instance, one naming only an instance (the function
 * finds what runs there). Fingerprints are fresh so each run has its own dedupe key.
 */
export function alertmanagerWebhook(named: { invokeId: string; instanceId: string }, unnamedInstanceId: string): string {
  const fp = () => randomBytes(8).toString('hex');
  const labels = { alertname: 'RunawayCommand', severity: 'critical', region_id: REGION };
  const alert = (extra: Record<string, string>, startsAt: string) => ({
    status: 'firing',
    labels: { ...labels, ...extra },
    annotations: { summary: 'Cloud Assistant command is eating the CPU' },
    startsAt,
    endsAt: '0001-01-01T00:00:00Z',
    generatorURL: 'http://prometheus.example.internal:9090/graph?g0.expr=cpu',
    fingerprint: fp(),
  });
  return JSON.stringify({
    version: '4',
    groupKey: '{}/{severity="critical"}:{alertname="RunawayCommand"}',
    truncatedAlerts: 0,
    status: 'firing',
    receiver: 'stop-invocation',
    groupLabels: { alertname: 'RunawayCommand' },
    commonLabels: labels,
    commonAnnotations: { summary: 'Cloud Assistant command is eating the CPU' },
    externalURL: 'http://alertmanager.example.internal:9093',
    alerts: [
      alert({ instance_id: named.instanceId, invoke_id: named.invokeId }, '2026-11-24T06:30:00Z'),
      alert({ instance_id: unnamedInstanceId }, '2026-11-24T06:31:00Z'),
    ],
  });
}

/** An Alertmanager v4 webhook with one firing alert that names only an instance (the function finds what runs there). */
export function instanceOnlyAlert(instanceId: string): string {
  const hook = JSON.parse(alertmanagerWebhook({ invokeId: 't-unused', instanceId }, instanceId)) as { alerts: unknown[] };
  hook.alerts = hook.alerts.slice(1);
  return JSON.stringify(hook);
}

export const WEBHOOK_TOKEN = `bench-${randomBytes(16).toString('hex')}`;

/**
 * Extra function settings for what-if runs, e.g. BENCH_FUNCTION_ENV='{"ECS_CONCURRENCY":"20"}'
 * (applied last, to every function process; reported in the JSON line).
 */
export function whatIfEnv(): Record<string, string> {
  const raw = process.env.BENCH_FUNCTION_ENV;
  if (!raw) return {};
  const value = JSON.parse(raw) as unknown;
  if (typeof value !== 'object' || value === null || Array.isArray(value) || !Object.values(value).every((v) => typeof v === 'string')) {
    throw new Error('BENCH_FUNCTION_ENV must be a JSON object of strings');
  }
  return value as Record<string, string>;
}

/** The function's environment: static keys (no role), the emulator's ECS endpoint. */
export function functionEnv(emu: Emulator, extra: Record<string, string> = {}): Record<string, string> {
  return {
    ECS_ENDPOINT: `http://${emu.ecsEndpoint}`,
    ALIBABA_CLOUD_ACCESS_KEY_ID: emu.keys.accessKeyId,
    ALIBABA_CLOUD_ACCESS_KEY_SECRET: emu.keys.accessKeySecret,
    ALIBABA_CLOUD_ECS_METADATA_DISABLED: 'true',
    ALIBABA_CLOUD_CLI_PROFILE_DISABLED: 'true',
    WEBHOOK_TOKENS: WEBHOOK_TOKEN,
    LOG_LEVEL: 'info',
    ...extra,
    ...whatIfEnv(),
  };
}

/** What the floor and the baselines need to sign their own requests. */
export function floorEnv(emu: Emulator, target: { invokeId: string; instanceIds: string[] }): Record<string, string> {
  return {
    BENCH_ECS_ENDPOINT: emu.ecsEndpoint,
    BENCH_AK: emu.keys.accessKeyId,
    BENCH_SK: emu.keys.accessKeySecret,
    BENCH_REGION: REGION,
    BENCH_INVOKE_ID: target.invokeId,
    BENCH_INSTANCE_IDS: target.instanceIds.join(','),
  };
}
