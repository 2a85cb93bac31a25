import { createHmac } from 'node:crypto';
import { afterAll, afterEach, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import type { Emulator } from '../emulator/index.js';
import { emulator, sample, startStack, TOKEN, type Stack } from './helpers/stack.js';
import { everyOf } from './helpers/expect.js';

// Every sample in ../shared/samples/ through the real entry points, authenticated the way
// its sender authenticates, with assertions on what the emulator then holds.

const SECRET = 'whsec_' + Buffer.from('0123456789abcdef0123456789abcdef').toString('base64');
const GRAFANA_SECRET = 'grafana-shared-secret-0001';
const BASIC = 'alertmanager:s3cret-passw0rd';

let emu: Emulator;
let stack: Stack;

beforeAll(async () => {
  emu = await emulator();
});
beforeEach(async () => {
  emu.reset();
  stack = await startStack({ WEBHOOK_SECRETS: `${SECRET},${GRAFANA_SECRET}`, WEBHOOK_BASIC_AUTH: BASIC });
});
afterEach(async () => {
  await stack.close();
});
afterAll(async () => {
  await emu.close();
});

const running = (instanceId: string) => ({ instanceId, status: 'Running' as const });
const stopCalls = () => emu.requests({ service: 'ecs', action: 'StopInvocation' });
const status = (invokeId: string, instanceId: string) => emu.getInvocation(invokeId)?.instances.find((i) => i.instanceId === instanceId)?.status;

function standardWebhooksHeaders(body: string, secret = SECRET, id = 'msg_1', ts = Math.floor(Date.now() / 1000)): Record<string, string> {
  const key = Buffer.from(secret.slice('whsec_'.length), 'base64');
  const sig = createHmac('sha256', key).update(`${id}.${ts}.${body}`).digest('base64');
  return { 'webhook-id': id, 'webhook-timestamp': String(ts), 'webhook-signature': `v1,${sig}`, authorization: '' };
}

describe('Alertmanager (Bearer, as http_config.authorization sends it)', () => {
  it('alertmanager-firing.json: stops the named invocation and resolves the other instance', async () => {
    emu.seedInvocation({ invokeId: 't-hz0jdfwd9f2a1b', instances: [running('i-bp1g6zv0ce8oghu7k4zr'), running('i-bp1otherinstance0001')] });
    const other = emu.seedInvocation({ instances: [running('i-bp1f7k0mkx9e6pqq2n3a')] });
    const res = await stack.post(sample('alertmanager-firing.json').toString());
    expect(res.status).toBe(200);
    expect(res.json.data.source).toBe('alertmanager');
    expect(res.json.data.dedupeKey).toMatch(/^alertmanager:/);
    expect(status('t-hz0jdfwd9f2a1b', 'i-bp1g6zv0ce8oghu7k4zr')).toBe('Stopped');
    expect(status('t-hz0jdfwd9f2a1b', 'i-bp1otherinstance0001')).toBe('Running'); // only the alerting instance
    expect(status(other.invokeId, 'i-bp1f7k0mkx9e6pqq2n3a')).toBe('Stopped');
    expect(res.json.data.targets.map((t) => [t.instanceId, t.invokeId, t.status]).sort()).toEqual(
      [
        ['i-bp1f7k0mkx9e6pqq2n3a', other.invokeId, 'stopped'],
        ['i-bp1g6zv0ce8oghu7k4zr', 't-hz0jdfwd9f2a1b', 'stopped'],
      ].sort(),
    );
  });

  it('one unusable alert does not cost the others their stop: 207 with the bad one reported', async () => {
    emu.seedInvocation({ invokeId: 't-hz0jdfwd9f2a1b', instances: [running('i-bp1g6zv0ce8oghu7k4zr')] });
    const payload = JSON.parse(sample('alertmanager-firing.json').toString()) as { alerts: Array<{ labels: Record<string, string> }> };
    payload.alerts[1].labels = { alertname: 'RunawayCommand', instance: '10.0.0.7:9100' }; // no ECS target at all
    const res = await stack.post(JSON.stringify(payload));
    expect(res.status).toBe(207);
    expect(status('t-hz0jdfwd9f2a1b', 'i-bp1g6zv0ce8oghu7k4zr')).toBe('Stopped');
    expect(res.json.data.targets).toContainEqual(expect.objectContaining({ status: 'failed', error: expect.objectContaining({ code: 'InvalidTarget', message: expect.stringContaining('/alerts/1') }) }));
  });

  it('the same notification again is a duplicate: no second stop', async () => {
    emu.seedInvocation({ invokeId: 't-hz0jdfwd9f2a1b', instances: [running('i-bp1g6zv0ce8oghu7k4zr')] });
    emu.seedInvocation({ instances: [running('i-bp1f7k0mkx9e6pqq2n3a')] });
    await stack.post(sample('alertmanager-firing.json').toString());
    const calls = stopCalls().length;
    const again = await stack.post(sample('alertmanager-firing.json').toString());
    expect(again.status).toBe(200);
    expect(again.json.data.outcome).toBe('duplicate');
    expect(stopCalls()).toHaveLength(calls);
  });

  it('the same alerts in another order, with a reworded annotation, are still a duplicate', async () => {
    emu.seedInvocation({ invokeId: 't-hz0jdfwd9f2a1b', instances: [running('i-bp1g6zv0ce8oghu7k4zr')] });
    emu.seedInvocation({ instances: [running('i-bp1f7k0mkx9e6pqq2n3a')] });
    await stack.post(sample('alertmanager-firing.json').toString());
    const calls = stopCalls().length;
    const payload = JSON.parse(sample('alertmanager-firing.json').toString()) as { alerts: Array<{ annotations: { summary: string } }> };
    payload.alerts.reverse();
    payload.alerts[0].annotations.summary = 'CPU above 97% for 12m';
    const again = await stack.post(JSON.stringify(payload));
    expect(again.json.data.outcome).toBe('duplicate');
    expect(stopCalls()).toHaveLength(calls);
  });

  it('alertmanager-resolved.json: nothing stopped, both alerts skipped, 2xx', async () => {
    emu.seedInvocation({ invokeId: 't-hz0jdfwd9f2a1b', instances: [running('i-bp1g6zv0ce8oghu7k4zr')] });
    const res = await stack.post(sample('alertmanager-resolved.json').toString());
    expect(res.status).toBe(200);
    expect(res.json.data.outcome).toBe('ignored');
    expect(res.json.data.targets.map((t) => t.status)).toEqual(['skipped', 'skipped']);
    expect(res.json.data.targets.map((t) => t.instanceId).sort()).toEqual(['i-bp1f7k0mkx9e6pqq2n3a', 'i-bp1g6zv0ce8oghu7k4zr']);
    expect(emu.requests({ service: 'ecs' })).toHaveLength(0);
  });

  it('Basic auth works too; a wrong password is 401 with no ECS call', async () => {
    emu.seedInvocation({ invokeId: 't-hz0jdfwd9f2a1b', instances: [running('i-bp1g6zv0ce8oghu7k4zr')] });
    const bad = await stack.post(sample('alertmanager-firing.json').toString(), { headers: { authorization: `Basic ${Buffer.from('alertmanager:nope').toString('base64')}` } });
    expect(bad.status).toBe(401);
    expect(emu.requests({ service: 'ecs' })).toHaveLength(0);
    const good = await stack.post(sample('alertmanager-firing.json').toString(), { headers: { authorization: `Basic ${Buffer.from(BASIC).toString('base64')}` } });
    expect(good.status).toBe(200);
  });
});

describe('Grafana (HMAC contact point)', () => {
  const sign = (body: string, ts?: string) =>
    createHmac('sha256', GRAFANA_SECRET).update(ts ? `${ts}:${body}` : body).digest('hex');

  it('grafana-firing.json, signed with a timestamp: stops the invocation (region from labels)', async () => {
    emu.seedInvocation({ invokeId: 't-hz0jdfwd9f2a1b', instances: [running('i-bp1g6zv0ce8oghu7k4zr')] });
    const body = sample('grafana-firing.json').toString();
    const ts = String(Math.floor(Date.now() / 1000));
    const res = await stack.post(body, {
      headers: { authorization: '', 'x-grafana-alerting-signature': sign(body, ts), 'x-grafana-alerting-timestamp': ts },
    });
    expect(res.status).toBe(200);
    expect(res.json.data.source).toBe('grafana');
    expect(status('t-hz0jdfwd9f2a1b', 'i-bp1g6zv0ce8oghu7k4zr')).toBe('Stopped');
  });

  it('a body altered after signing is 401 and nothing is stopped', async () => {
    emu.seedInvocation({ invokeId: 't-hz0jdfwd9f2a1b', instances: [running('i-bp1g6zv0ce8oghu7k4zr')] });
    const body = sample('grafana-firing.json').toString();
    const res = await stack.post(body.replace('firing', 'firing '), { headers: { authorization: '', 'x-grafana-alerting-signature': sign(body) } });
    expect(res.status).toBe(401);
    expect(emu.requests({ service: 'ecs' })).toHaveLength(0);
  });
});

describe('CloudMonitor (URL token, it cannot set headers)', () => {
  it('cloudmonitor-threshold.form: resolves and stops the running invocations on the instance', async () => {
    const inv = emu.seedInvocation({ instances: [running('i-8psdh7l6lphbn10lx1ab')] });
    const done = emu.seedInvocation({ instances: [{ instanceId: 'i-8psdh7l6lphbn10lx1ab', status: 'Success' }] });
    const res = await stack.post(sample('cloudmonitor-threshold.form').toString(), {
      path: `/stop?token=${TOKEN}`,
      headers: { authorization: '', 'content-type': 'application/x-www-form-urlencoded' },
    });
    expect(res.status).toBe(200);
    expect(res.json.data.source).toBe('cloudmonitor');
    expect(status(inv.invokeId, 'i-8psdh7l6lphbn10lx1ab')).toBe('Stopped');
    expect(status(done.invokeId, 'i-8psdh7l6lphbn10lx1ab')).toBe('Success');
    const describe = emu.requests({ service: 'ecs', action: 'DescribeInvocations' });
    expect(describe.some((r) => r.params.InstanceId === 'i-8psdh7l6lphbn10lx1ab' && r.params.RegionId === 'cn-hangzhou')).toBe(true);
  });

  it('cloudmonitor-legacy.json: region from ?regionId=', async () => {
    const inv = emu.seedInvocation({ regionId: 'cn-beijing', instances: [running('i-12345abc')] });
    const res = await stack.post(sample('cloudmonitor-legacy.json').toString(), { path: `/stop?token=${TOKEN}&regionId=cn-beijing`, headers: { authorization: '' } });
    expect(res.status).toBe(200);
    expect(status(inv.invokeId, 'i-12345abc')).toBe('Stopped');
  });

  it('an instance with nothing running is not-found, 2xx (nothing to retry)', async () => {
    const res = await stack.post(sample('cloudmonitor-threshold.form').toString(), {
      path: `/stop?token=${TOKEN}`,
      headers: { authorization: '', 'content-type': 'application/x-www-form-urlencoded' },
    });
    expect(res.status).toBe(200);
    expect(res.json.data.targets).toEqual([expect.objectContaining({ instanceId: 'i-8psdh7l6lphbn10lx1ab', status: 'not-found' })]);
    expect(stopCalls()).toHaveLength(0);
  });

  it('the token in the wrong query key is 401', async () => {
    const res = await stack.post(sample('cloudmonitor-legacy.json').toString(), { path: `/stop?tok=${TOKEN}&regionId=cn-hangzhou`, headers: { authorization: '' } });
    expect(res.status).toBe(401);
    expect(emu.requests({ service: 'ecs' })).toHaveLength(0);
  });
});

describe('EventBridge (event invocation; HTTP with Standard Webhooks too)', () => {
  it('eventbridge-custom.json: a direct request in data, region cn-shanghai', async () => {
    emu.seedInvocation({ invokeId: 't-hz0jdfwd9f2a1b', regionId: 'cn-shanghai', instances: [running('i-bp1g6zv0ce8oghu7k4zr')] });
    const event = await stack.invoke(sample('eventbridge-custom.json'));
    expect(event.data.outcome).toBe('stopped');
    expect(event.data.source).toBe('eventbridge');
    expect(event.data.dedupeKey).toContain('ops.rollout');
    expect(status('t-hz0jdfwd9f2a1b', 'i-bp1g6zv0ce8oghu7k4zr')).toBe('Stopped');
    expect(stopCalls()[0].params.RegionId).toBe('cn-shanghai');
  });

  // Task events feed the rollout guard (README "Rollout guard"): the event's own instance has
  // finished, so it is never the one stopped; past ROLLOUT_MAX_ERRORS the unfinished rest is.
  const guarded = async () => {
    const s = await startStack({ ROLLOUT_MAX_ERRORS: '0' });
    extraStacks.push(s);
    return s;
  };
  const extraStacks: Stack[] = [];
  afterEach(async () => {
    for (const s of extraStacks.splice(0)) await s.close();
  });
  const failedRollout = (invokeId?: string, regionId?: string) =>
    emu.seedInvocation({ invokeId, regionId, instances: [{ instanceId: 'i-bp114aaaabbbbccccdddd', status: 'Failed' }, running('i-bp1rest000000000001')] });

  it('eventbridge-cloud-assistant.json: a failed run feeds the guard; with the guard off it is recorded and ignored', async () => {
    failedRollout('t-hz0jdfwd9f2a1b');
    const off = await stack.invoke(sample('eventbridge-cloud-assistant.json'));
    expect(off.data.outcome).toBe('ignored');
    expect(off.data.guard?.[0]).toMatchObject({ decision: 'off', invokeId: 't-hz0jdfwd9f2a1b', triggeringEventId: '45ef4dew-1111-447a-bd93-fab0c1d2e3f4' });
    expect(emu.requests({ service: 'ecs' })).toHaveLength(0);

    const on = await (await guarded()).invoke(sample('eventbridge-cloud-assistant.json'));
    expect(on.data.outcome).toBe('stopped');
    expect(on.data.guard?.[0]).toMatchObject({ decision: 'stop', failed: 1, allowed: 0, stoppingCount: 1, alreadyFinished: 1 });
    expect(status('t-hz0jdfwd9f2a1b', 'i-bp1rest000000000001')).toBe('Stopped');
    expect(status('t-hz0jdfwd9f2a1b', 'i-bp114aaaabbbbccccdddd')).toBe('Failed');
    expect(on.data.targets.map((t) => [t.instanceId, t.status]).sort()).toEqual([
      ['i-bp114aaaabbbbccccdddd', 'skipped'],
      ['i-bp1rest000000000001', 'stopped'],
    ]);
    expect(off.data.targets).toEqual([expect.objectContaining({ instanceId: 'i-bp114aaaabbbbccccdddd', status: 'skipped' })]);
  });

  it('the same event delivered twice (EventBridge retries) is a duplicate', async () => {
    failedRollout('t-hz0jdfwd9f2a1b');
    const fn = await guarded();
    await fn.invoke(sample('eventbridge-cloud-assistant.json'));
    const calls = emu.requests({ service: 'ecs' }).length;
    const second = await fn.invoke(sample('eventbridge-cloud-assistant.json'));
    expect(second.data.outcome).toBe('duplicate');
    expect(stopCalls()).toHaveLength(1);
    expect(emu.requests({ service: 'ecs' })).toHaveLength(calls);
  });

  it('a batch (array) of a task event and a custom stop request is one result with every target', async () => {
    failedRollout('t-hz0jdfwd9f2a1b');
    const sh = emu.seedInvocation({ regionId: 'cn-shanghai', instances: [running('i-bp1g6zv0ce8oghu7k4zr')] });
    // Invoke ids are unique across regions, so the second event names the Shanghai one.
    const custom = JSON.parse(sample('eventbridge-custom.json').toString()) as { data: { invokeId: string } };
    custom.data.invokeId = sh.invokeId;
    const batch = [JSON.parse(sample('eventbridge-cloud-assistant.json').toString()), custom] as unknown[];
    const event = await (await guarded()).invoke(batch);
    expect(event.data.targets.map((t) => [t.regionId, t.instanceId, t.status]).sort()).toEqual([
      ['cn-hangzhou', 'i-bp114aaaabbbbccccdddd', 'skipped'],
      ['cn-hangzhou', 'i-bp1rest000000000001', 'stopped'],
      ['cn-shanghai', 'i-bp1g6zv0ce8oghu7k4zr', 'stopped'],
    ]);
    expect(event.data.guard).toHaveLength(1);
  });

  it('task events of two invocations on one instance: each invocation is guarded on its own', async () => {
    const one = failedRollout();
    const two = failedRollout();
    const base = JSON.parse(sample('eventbridge-cloud-assistant.json').toString()) as { id: string; data: { invokeId: string } };
    const batch = [one, two].map((inv, n) => ({ ...base, id: `${base.id}-${n}`, data: { ...base.data, invokeId: inv.invokeId } }));
    const event = await (await guarded()).invoke(batch);
    expect(status(one.invokeId, 'i-bp1rest000000000001')).toBe('Stopped');
    expect(status(two.invokeId, 'i-bp1rest000000000001')).toBe('Stopped');
    expect(event.data.guard?.map((g) => [g.invokeId, g.decision]).sort()).toEqual([[one.invokeId, 'stop'], [two.invokeId, 'stop']].sort());
    expect(event.data.targets.filter((t) => t.status === 'stopped').map((t) => t.invokeId).sort()).toEqual([one.invokeId, two.invokeId].sort());
    expect(event.data.targets.filter((t) => t.status === 'skipped').map((t) => t.invokeId).sort()).toEqual([one.invokeId, two.invokeId].sort());
  });

  it('over HTTP with Standard Webhooks: valid signature accepted, rotation honoured, tampering refused', async () => {
    const inv = emu.seedInvocation({ invokeId: 't-hz0jdfwd9f2a1b', instances: [running('i-bp1g6zv0ce8oghu7k4zr'), running('i-bp1f7k0mkx9e6pqq2n3a')] });
    const body = sample('direct.json').toString();
    const stale = await stack.post(body, { headers: standardWebhooksHeaders(body, SECRET, 'm0', Math.floor(Date.now() / 1000) - 600) });
    expect(stale.status).toBe(401);
    const wrong = await stack.post(body, { headers: standardWebhooksHeaders(body, 'whsec_' + Buffer.from('another-secret-entirely').toString('base64')) });
    expect(wrong.status).toBe(401);
    const altered = await stack.post(body.replace('rollback', 'rollbak'), { headers: standardWebhooksHeaders(body) });
    expect(altered.status).toBe(401);
    expect(emu.requests({ service: 'ecs' })).toHaveLength(0);
    const ok = await stack.post(body, { headers: standardWebhooksHeaders(body) });
    expect(ok.status).toBe(200);
    expect(inv.instances.length).toBe(2);
    expect(status('t-hz0jdfwd9f2a1b', 'i-bp1g6zv0ce8oghu7k4zr')).toBe('Stopped');
  });
});

describe('overlapping targets', () => {
  const group = (alerts: Array<Record<string, string>>) =>
    JSON.stringify({
      version: '4',
      status: 'firing',
      groupKey: `{}:{alertname="Overlap${Math.random()}"}`,
      alerts: alerts.map((labels, n) => ({ status: 'firing', labels: { alertname: 'Overlap', region_id: 'cn-hangzhou', ...labels }, startsAt: '2026-11-24T06:30:00Z', fingerprint: `f${n}` })),
    });

  it('an invocation named whole and one of its instances named alone: one stop, each instance once', async () => {
    const inv = emu.seedInvocation({ instances: [running('i-overlapa'), running('i-overlapb')] });
    const res = await stack.post(group([{ invoke_id: inv.invokeId }, { instance_id: 'i-overlapa' }]));
    expect(res.status).toBe(200);
    const ids = res.json.data.targets.map((t) => t.instanceId);
    expect([...ids].sort()).toEqual(['i-overlapa', 'i-overlapb']);
    expect(everyOf(res.json.data.targets, (t) => t.status === 'stopped' && t.invocationStatus === 'Stopped')).toBe(true);
    expect(stopCalls()).toHaveLength(1);
  });

  it('without verification the named instance is still accounted for, once', async () => {
    await stack.close();
    stack = await startStack({ VERIFY: 'false', WEBHOOK_SECRETS: `${SECRET},${GRAFANA_SECRET}` });
    const inv = emu.seedInvocation({ instances: [running('i-overlapc'), running('i-overlapd')] });
    const res = await stack.post(group([{ invoke_id: inv.invokeId }, { instance_id: 'i-overlapc' }]));
    expect(res.json.data.targets.filter((t) => t.instanceId === 'i-overlapc')).toHaveLength(1);
    expect(stopCalls()).toHaveLength(1);
  });

  it('an instance that had already finished is reported skipped, not stopped', async () => {
    const inv = emu.seedInvocation({ instances: [running('i-fin0001'), { instanceId: 'i-fin0002', status: 'Success' }] });
    const res = await stack.post({ regionId: 'cn-hangzhou', invokeId: inv.invokeId });
    const byId = new Map(res.json.data.targets.map((t) => [t.instanceId, t]));
    expect(byId.get('i-fin0001')).toMatchObject({ status: 'stopped', invocationStatus: 'Stopped' });
    expect(byId.get('i-fin0002')).toMatchObject({ status: 'skipped', invocationStatus: 'Success' });
    expect(res.json.data.counts).toMatchObject({ stopped: 1, skipped: 1 });
  });
});

describe('periodic invocations', () => {
  it('stopped on one instance: that instance is judged by its own status, not the schedule', async () => {
    const cron = emu.seedInvocation({ repeatMode: 'Period', instances: [running('i-per0001'), { instanceId: 'i-per0002', status: 'Scheduled' }] });
    const res = await stack.post({ regionId: 'cn-hangzhou', invokeId: cron.invokeId, instanceIds: ['i-per0001'] });
    expect(res.status).toBe(200);
    expect(res.json.data.targets).toEqual([expect.objectContaining({ instanceId: 'i-per0001', status: 'stopped', invocationStatus: 'Stopped' })]);
  });
});

describe('timer watchdog', () => {
  it('timer-sweep.json: stops only invocations running longer than the limit', async () => {
    const old = new Date(Date.now() - 2 * 3600_000).toISOString().replace(/\.\d{3}Z$/, 'Z');
    const recent = new Date(Date.now() - 60_000).toISOString().replace(/\.\d{3}Z$/, 'Z');
    const a = emu.seedInvocation({ creationTime: old, instances: [{ instanceId: 'i-oldone0001', status: 'Running', startTime: old }] });
    const b = emu.seedInvocation({ creationTime: recent, instances: [{ instanceId: 'i-newone0001', status: 'Running', startTime: recent }] });
    const c = emu.seedInvocation({ regionId: 'cn-shanghai', creationTime: old, instances: [{ instanceId: 'i-otherregion1', status: 'Running', startTime: old }] });
    const event = await stack.invoke(sample('timer-sweep.json'));
    expect(event.data.trigger).toBe('timer');
    expect(event.data.source).toBe('sweep');
    expect(status(a.invokeId, 'i-oldone0001')).toBe('Stopped');
    expect(status(b.invokeId, 'i-newone0001')).toBe('Running');
    expect(status(c.invokeId, 'i-otherregion1')).toBe('Running');
    expect(event.data.targets).toEqual([expect.objectContaining({ invokeId: a.invokeId, instanceId: 'i-oldone0001', status: 'stopped' })]);
  });

  it('with cancelSchedulesOlderThanSeconds, cancels an old periodic invocation between runs, as a whole', async () => {
    const old = new Date(Date.now() - 2 * 3600_000).toISOString().replace(/\.\d{3}Z$/, 'Z');
    // Between runs a periodic instance is Scheduled (DescribeInvocations docs), not Success.
    const periodic = emu.seedInvocation({ repeatMode: 'Period', creationTime: old, instances: [{ instanceId: 'i-cron0001', status: 'Scheduled', startTime: old }] });
    const payload = JSON.stringify({ action: 'sweep', regionIds: ['cn-hangzhou'], maxRunningSeconds: 3600, cancelSchedulesOlderThanSeconds: 3600 });
    const event = await stack.invoke({ triggerTime: new Date().toISOString(), triggerName: 'watchdog', payload });
    expect(emu.getInvocation(periodic.invokeId)?.invocationStatus).toBe('Stopped');
    expect(emu.requests({ service: 'ecs', action: 'StopInvocation' }).map((r) => r.params.InvokeId)).toEqual([periodic.invokeId]);
    expect(event.data.targets.filter((t) => t.invokeId === periodic.invokeId).map((t) => [t.instanceId, t.status, t.invocationStatus])).toEqual([
      ['i-cron0001', 'stopped', 'Cancelled'],
    ]);
  });

  it('never stops a healthy periodic task for being old: only a run that has lasted too long', async () => {
    const weekAgo = new Date(Date.now() - 7 * 86400_000).toISOString().replace(/\.\d{3}Z$/, 'Z');
    const justNow = new Date(Date.now() - 10_000).toISOString().replace(/\.\d{3}Z$/, 'Z');
    const cron = emu.seedInvocation({ repeatMode: 'Period', creationTime: weekAgo, instances: [{ instanceId: 'i-cronhealthy', status: 'Running', startTime: justNow }] });
    await stack.invoke(sample('timer-sweep.json'));
    expect(emu.getInvocation(cron.invokeId)?.instances[0].status).toBe('Running');
    expect(emu.requests({ service: 'ecs', action: 'StopInvocation' })).toHaveLength(0);
  });

  it('honours the command filter', async () => {
    const old = new Date(Date.now() - 2 * 3600_000).toISOString().replace(/\.\d{3}Z$/, 'Z');
    const deploy = emu.seedInvocation({ commandName: 'deploy.sh', creationTime: old, instances: [{ instanceId: 'i-deploy001', status: 'Running', startTime: old }] });
    const backup = emu.seedInvocation({ commandName: 'backup.sh', creationTime: old, instances: [{ instanceId: 'i-backup001', status: 'Running', startTime: old }] });
    const payload = JSON.stringify({ action: 'sweep', regionIds: ['cn-hangzhou'], maxRunningSeconds: 3600, commandName: 'deploy.sh' });
    await stack.invoke({ triggerTime: new Date().toISOString(), triggerName: 'watchdog', payload });
    expect(status(deploy.invokeId, 'i-deploy001')).toBe('Stopped');
    expect(status(backup.invokeId, 'i-backup001')).toBe('Running');
  });
});

describe('target resolution by instance', () => {
  it('an instance with two running invocations → both stopped', async () => {
    const one = emu.seedInvocation({ instances: [running('i-twice0001')] });
    const two = emu.seedInvocation({ instances: [running('i-twice0001'), running('i-bystander01')] });
    const res = await stack.post({ regionId: 'cn-hangzhou', instanceIds: ['i-twice0001'] });
    expect(res.status).toBe(200);
    expect(status(one.invokeId, 'i-twice0001')).toBe('Stopped');
    expect(status(two.invokeId, 'i-twice0001')).toBe('Stopped');
    expect(status(two.invokeId, 'i-bystander01')).toBe('Running');
    expect(res.json.data.targets.map((t) => t.invokeId).sort()).toEqual([one.invokeId, two.invokeId].sort());
  });

  it('one lookup is one round trip: the live statuses are listed side by side', async () => {
    // InvokeStatus takes a single value (ecs20140526 DescribeInvocationsRequest), so three
    // calls; held 200 ms each by the emulator, they overlap only when sent in parallel.
    // https://www.alibabacloud.com/help/en/ecs/developer-reference/api-ecs-2014-05-26-describeinvocations
    const inv = emu.seedInvocation({ instances: [running('i-parallel01')] });
    emu.injectFault({ service: 'ecs', action: 'DescribeInvocations', latencyMs: 200, times: 3 });
    const res = await stack.post({ regionId: 'cn-hangzhou', instanceIds: ['i-parallel01'] });
    expect(res.status).toBe(200);
    expect(status(inv.invokeId, 'i-parallel01')).toBe('Stopped');
    const lookups = emu.requests({ service: 'ecs', action: 'DescribeInvocations' }).filter((r) => !r.params.InvokeId);
    expect(lookups.map((r) => r.params.InvokeStatus).sort()).toEqual(['Pending', 'Running', 'Scheduled']);
    expect(Math.max(...lookups.map((r) => r.inFlight ?? 0))).toBe(3);
  });

  it('pages through DescribeInvocations (more than one page)', async () => {
    const seeded = Array.from({ length: 60 }, () => emu.seedInvocation({ instances: [running('i-paged0001')] }));
    const res = await stack.post({ regionId: 'cn-hangzhou', instanceIds: ['i-paged0001'] });
    expect(res.status).toBe(200);
    expect(everyOf(seeded, (s) => status(s.invokeId, 'i-paged0001') === 'Stopped')).toBe(true);
    const pages = emu.requests({ service: 'ecs', action: 'DescribeInvocations' }).filter((r) => r.params.InstanceId === 'i-paged0001' && r.params.NextToken);
    expect(pages.length).toBeGreaterThan(0);
  });

  it('many instances in one region: one region-wide listing per status, not three calls per instance', async () => {
    const ids = Array.from({ length: 30 }, (_, n) => `i-storm${String(n).padStart(4, '0')}`);
    const invs = [0, 1, 2].map((k) => emu.seedInvocation({ instances: ids.slice(k * 10, k * 10 + 10).map(running) }));
    const finished = emu.seedInvocation({ instances: [{ instanceId: 'i-stormdone', status: 'Success' }] });
    const res = await stack.post({ regionId: 'cn-hangzhou', instanceIds: [...ids, 'i-stormdone', 'i-stormidle'] });
    expect(res.status).toBe(200);
    for (const inv of invs) expect(everyOf(emu.getInvocation(inv.invokeId)?.instances, (i) => i.status === 'Stopped')).toBe(true);
    expect(emu.getInvocation(finished.invokeId)?.instances[0].status).toBe('Success');
    const byId = new Map(res.json.data.targets.map((t) => [t.instanceId, t.status]));
    expect(everyOf(ids, (id) => byId.get(id) === 'stopped')).toBe(true);
    expect([byId.get('i-stormdone'), byId.get('i-stormidle')]).toEqual(['not-found', 'not-found']);
    const lookups = emu.requests({ service: 'ecs', action: 'DescribeInvocations' }).filter((r) => !r.params.InvokeId);
    expect(lookups.length).toBeLessThanOrEqual(3);
    expect(everyOf(lookups, (r) => r.params.InstanceId === undefined)).toBe(true);
    expect(emu.requests({ service: 'ecs', action: 'StopInvocation' })).toHaveLength(3);
  });

  it('honours commandName / commandId', async () => {
    const deploy = emu.seedInvocation({ commandName: 'deploy.sh', instances: [running('i-filter001')] });
    const backup = emu.seedInvocation({ commandName: 'backup.sh', instances: [running('i-filter001')] });
    const res = await stack.post({ regionId: 'cn-hangzhou', instanceIds: ['i-filter001'], commandName: 'deploy.sh' });
    expect(res.status).toBe(200);
    expect(status(deploy.invokeId, 'i-filter001')).toBe('Stopped');
    expect(status(backup.invokeId, 'i-filter001')).toBe('Running');
  });
});
