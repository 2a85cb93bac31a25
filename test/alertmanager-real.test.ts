import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { parse, stringify } from 'yaml';
import type { Emulator } from '../emulator/index.js';
import type { ResultEvent } from '../shared/types.js';
import { ALERTMANAGER_PACKAGE, findAlertmanager, startAlertmanager, type RunningAlertmanager } from './helpers/alertmanager.js';
import { waitFor } from './helpers/expect.js';
import { emulator, repoRoot, startStack, stopCount, TOKEN, type Stack } from './helpers/stack.js';

// The real Prometheus Alertmanager (0.25, Debian's prometheus-alertmanager) delivering to the
// function through the local FC runtime, configured with the receiver block of the README's
// Alertmanager section as written there (send_resolved, http_config.authorization with a
// credentials_file). Alerts go in through Alertmanager's API v2; what happened is read off the
// emulator: invocation states, and the result events the function published to its
// EventBridge (RESULT_EVENT_BUS). Nothing waits a fixed time: each step polls for its
// condition with a deadline.
//   webhook receiver: https://prometheus.io/docs/alerting/0.25/configuration/#webhook_config
//   API v2:           https://github.com/prometheus/alertmanager/blob/v0.25.0/api/v2/openapi.yaml
//   retries:          Alertmanager retries a notification on 5xx, never on 4xx
//                     (https://github.com/prometheus/alertmanager/blob/v0.25.0/notify/util.go, Retrier)

const bin = findAlertmanager();
const CI = process.env.CI === 'true';
if (!bin && !CI) console.warn(`skipped: the real-Alertmanager tests need the Debian package ${ALERTMANAGER_PACKAGE} (apt-get install -y ${ALERTMANAGER_PACKAGE})`);

if (!bin && CI) {
  describe('real Alertmanager', () => {
    it(`is installed (CI=true: ${ALERTMANAGER_PACKAGE} is required, .ci/run installs it)`, () => {
      throw new Error(`${ALERTMANAGER_PACKAGE} is not installed; CI must run it (apt-get update && apt-get install -y ${ALERTMANAGER_PACKAGE})`);
    });
  });
}

/** The `receivers:` block of the README's "Prometheus Alertmanager" section. */
function readmeReceivers(): Array<Record<string, unknown>> {
  const readme = readFileSync(join(repoRoot, 'README.md'), 'utf8');
  const section = readme.slice(readme.indexOf('### Prometheus Alertmanager'));
  const block = /```yaml\n([\s\S]*?)```/.exec(section);
  if (!block) throw new Error("README: no yaml block in the 'Prometheus Alertmanager' section");
  return (parse(block[1]) as { receivers: Array<Record<string, unknown>> }).receivers;
}

describe.skipIf(!bin)(`real Alertmanager (${ALERTMANAGER_PACKAGE})`, () => {
  let emu: Emulator;
  let stack: Stack;
  let am: RunningAlertmanager;

  beforeAll(async () => {
    emu = await emulator();
    emu.reset();
    stack = await startStack({ RESULT_EVENT_BUS: 'am-results', EVENTBRIDGE_ENDPOINT: `http://${emu.eventBridgeEndpoint}` });
    const receivers = readmeReceivers();
    const config = (dir: string) => {
      // Only the two placeholders change: the trigger URL and where the token file lives.
      const webhook = (receivers[0].webhook_configs as Array<Record<string, unknown>>)[0];
      webhook.url = `${stack.local.url}/stop`;
      const auth = (webhook.http_config as { authorization: { credentials_file: string } }).authorization;
      auth.credentials_file = join(dir, 'stop-invocation.token');
      return stringify({
        route: {
          receiver: receivers[0].name,
          group_by: ['alertname'],
          // Short enough that a repeat (after repeat_interval, at the next group_interval tick)
          // and a resolved notification (at the next tick) arrive within ~1 s.
          group_wait: '100ms',
          group_interval: '500ms',
          repeat_interval: '1s',
          // The retry test's group is not flushed again within the test, so a second delivery
          // can only be Alertmanager retrying the failed one (its notify retry loop, 5xx only).
          routes: [{ matchers: ['alertname="DeployStuckRetry"'], group_interval: '5m', repeat_interval: '5m' }],
        },
        receivers,
      });
    };
    am = await startAlertmanager(bin!, config, { 'stop-invocation.token': `${TOKEN}\n` });
  }, 60_000);

  afterAll(async () => {
    await am?.stop();
    await stack?.close();
    await emu?.close();
  });

  const state = (invokeId: string, instanceId: string) => emu.getInvocation(invokeId)?.instances.find((i) => i.instanceId === instanceId)?.status;
  /** Result events the function published for alerts (one per delivery it acted on; duplicates are only logged). */
  const results = () => (emu.events() as Array<{ data: ResultEvent['data'] }>).filter((e) => e.data.source === 'alertmanager');
  const touching = (instanceId: string) => results().filter((e) => e.data.targets.some((t) => t.instanceId === instanceId));
  const stopped = (invokeId: string, instanceId: string) => (state(invokeId, instanceId) === 'Stopped' ? true : undefined);
  const firing = (labels: Record<string, string>) => ({ labels: { region_id: 'cn-hangzhou', ...labels }, startsAt: new Date().toISOString() });
  const because = () => `\nAlertmanager log:\n${am.output().slice(-3000)}`;
  /**
   * StopInvocation calls naming the instance, or of one of `invokeIds` (a call without
   * InstanceId stops every instance of it): the tests below run side by side, so each counts
   * only its own calls, as `stopCount` does for one invocation.
   */
  const stopsOn = (instanceId: string, invokeIds: string[]) =>
    emu
      .requests({ service: 'ecs', action: 'StopInvocation' })
      .filter((r) => invokeIds.includes(String(r.params.InvokeId)) || Object.entries(r.params).some(([k, v]) => /^InstanceId\.\d+$/.test(k) && v === instanceId));

  // Each waits on Alertmanager (its group_wait, group_interval, repeat_interval), each with an
  // alert group, instances and invocations of its own: so they wait side by side. The retry
  // test comes after them, alone: its fault hits every StopInvocation.
  describe.concurrent('alerts of their own', () => {
    it('firing → stopped; the repeat is a duplicate', async () => {
      const inv = emu.seedInvocation({ instances: [{ instanceId: 'i-amfire1', status: 'Running' }, { instanceId: 'i-amfire2', status: 'Running' }] });
      await am.postAlerts([firing({ alertname: 'DeployStuckFiring', invoke_id: inv.invokeId, instance_id: 'i-amfire1' })]);
      await waitFor(() => `the stop of ${inv.invokeId} on i-amfire1${because()}`, () => stopped(inv.invokeId, 'i-amfire1'));
      expect(state(inv.invokeId, 'i-amfire2')).toBe('Running'); // only the alerting instance
      // The result event is published right after the answer; wait for it too.
      const first = await waitFor('the result event', () => touching('i-amfire1')[0]);
      expect(first.data).toMatchObject({ outcome: 'stopped', trigger: 'http', source: 'alertmanager' });
      expect(first.data.targets).toEqual([expect.objectContaining({ invokeId: inv.invokeId, instanceId: 'i-amfire1', status: 'stopped' })]);
      // Alertmanager re-sends the still-firing group after repeat_interval: a duplicate, no second stop.
      const stops = stopCount(emu, inv.invokeId);
      // The duplicate is answered and logged; only the stop itself is published (one event per stop).
      const answered = () => stack.lines.map((l) => JSON.parse(l) as { msg: string; outcome?: string; dedupeKey?: string }).filter((l) => l.msg === 'stop-invocation result');
      const repeat = await waitFor(() => `the repeat notification${because()}`, () => answered().find((l) => l.outcome === 'duplicate' && l.dedupeKey === first.data.dedupeKey));
      expect(repeat.dedupeKey).toBe(first.data.dedupeKey);
      expect(touching('i-amfire1')).toHaveLength(1);
      expect(stopCount(emu, inv.invokeId)).toBe(stops);
      // Alertmanager's own count: it sent, and nothing failed.
      expect(await am.counter('alertmanager_notification_requests_total', { integration: 'webhook' })).toBeGreaterThanOrEqual(1);
      expect(await am.counter('alertmanager_notification_requests_failed_total', { integration: 'webhook' })).toBe(0);
    });

    it('resolved → skipped (a resolved instance-only alert stops nothing that is live)', async () => {
      const before = emu.seedInvocation({ instances: [{ instanceId: 'i-amres1', status: 'Running' }] });
      const alert = firing({ alertname: 'DeployStuckResolved', instance_id: 'i-amres1' });
      await am.postAlerts([alert]);
      await waitFor(() => `the firing stop on i-amres1${because()}`, () => stopped(before.invokeId, 'i-amres1'));
      // Something new starts on the instance; the alert then resolves.
      const after = emu.seedInvocation({ instances: [{ instanceId: 'i-amres1', status: 'Running' }] });
      const stopsBefore = stopsOn('i-amres1', [before.invokeId, after.invokeId]).length;
      await am.postAlerts([{ ...alert, endsAt: new Date().toISOString() }]);
      const resolved = await waitFor(() => `the resolved notification${because()}`, () => touching('i-amres1').find((e) => e.data.targets.every((t) => t.status === 'skipped')));
      expect(resolved.data.outcome).toBe('ignored');
      expect(resolved.data.targets).toEqual([expect.objectContaining({ instanceId: 'i-amres1', status: 'skipped' })]);
      expect(state(after.invokeId, 'i-amres1')).toBe('Running');
      expect(stopsOn('i-amres1', [before.invokeId, after.invokeId])).toHaveLength(stopsBefore);
    });

    it('instance-only alert → every live invocation on it stopped', async () => {
      const a = emu.seedInvocation({ instances: [{ instanceId: 'i-aminst1', status: 'Running' }] });
      const b = emu.seedInvocation({ instances: [{ instanceId: 'i-aminst1', status: 'Pending' }, { instanceId: 'i-aminst2', status: 'Running' }] });
      const done = emu.seedInvocation({ instances: [{ instanceId: 'i-aminst1', status: 'Success' }] });
      await am.postAlerts([firing({ alertname: 'InstanceRunaway', instance_id: 'i-aminst1' })]);
      // A Pending run is cancelled by the stop (it never started); the Running one is stopped.
      await waitFor(
        () => `both live invocations on i-aminst1 ended${because()}`,
        () => (state(a.invokeId, 'i-aminst1') === 'Stopped' && state(b.invokeId, 'i-aminst1') === 'Cancelled' ? true : undefined),
      );
      const result = await waitFor('the result event', () => touching('i-aminst1')[0]);
      expect(result.data.outcome).toBe('stopped');
      expect(result.data.targets.map((t) => [t.invokeId, t.status]).sort()).toEqual([[a.invokeId, 'stopped'], [b.invokeId, 'stopped']].sort());
      expect(state(b.invokeId, 'i-aminst2')).toBe('Running');
      expect(state(done.invokeId, 'i-aminst1')).toBe('Success');
    });

  });

  it('a persistent ECS 500: Alertmanager retries after our 5xx, and the stop happens once the fault clears', async () => {
    emu.injectFault({ service: 'ecs', action: 'StopInvocation', status: 500, code: 'InternalError.Dispatch', message: 'dispatch failed' });
    const inv = emu.seedInvocation({ instances: [{ instanceId: 'i-amretry1', status: 'Running' }] });
    const failedBefore = await am.counter('alertmanager_notification_requests_failed_total', { integration: 'webhook' });
    await am.postAlerts([firing({ alertname: 'DeployStuckRetry', invoke_id: inv.invokeId, instance_id: 'i-amretry1' })]);
    // Two deliveries answered 5xx (the second one is Alertmanager's retry), each counted by Alertmanager as failed.
    await waitFor(() => `two failed deliveries${because()}`, () => (touching('i-amretry1').filter((e) => e.data.outcome === 'failed').length >= 2 ? true : undefined));
    await waitFor('Alertmanager to count the failed requests', async () =>
      (await am.counter('alertmanager_notification_requests_failed_total', { integration: 'webhook' })) >= failedBefore + 2 ? true : undefined,
    );
    for (const e of touching('i-amretry1')) {
      expect(e.data.outcome).toBe('failed');
      expect(e.data.targets).toEqual([expect.objectContaining({ status: 'failed', error: expect.objectContaining({ code: 'InternalError.Dispatch', retryable: true }) })]);
    }
    expect(state(inv.invokeId, 'i-amretry1')).toBe('Running');

    emu.clearFaults();
    await waitFor(() => `the stop after the fault cleared${because()}`, () => stopped(inv.invokeId, 'i-amretry1'));
    const last = await waitFor('the successful result event', () => touching('i-amretry1').find((e) => e.data.outcome === 'stopped'));
    expect(last.data.targets).toEqual([expect.objectContaining({ invokeId: inv.invokeId, instanceId: 'i-amretry1', status: 'stopped' })]);
    // Alertmanager's own account (its debug log): the notification that finally succeeded took
    // several attempts. Every other group's notifications succeed at the first.
    const success = await waitFor('Alertmanager to log the success', () =>
      [...am.output().matchAll(/msg="Notify success" attempts=(\d+)/g)].map((m) => Number(m[1])).find((n) => n > 1),
    );
    expect(success).toBeGreaterThanOrEqual(3);
  }, 60_000);
});
