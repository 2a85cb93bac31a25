import { createHmac } from 'node:crypto';
import { deflateSync, gzipSync } from 'node:zlib';
import { afterAll, afterEach, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import type { Emulator } from '../emulator/index.js';
import { MAX_LINE_BYTES } from '../shared/log.js';
import { emulator, instanceIds, sample, startStack, TOKEN, type Stack } from './helpers/stack.js';
import { everyOf } from './helpers/expect.js';

// Issue #9, tried as an attacker would, through the local FC runtime and the emulator:
// what steers a stop, what leaves the function, and how big anything can get.

const SW_SECRET = 'whsec_' + Buffer.from('security-test-key-0123456789abcd').toString('base64');
const GRAFANA_SECRET = 'grafana-shared-secret-sec-0001';
const VICTIM = 'i-bp1victim0000000000001';

let emu: Emulator;
let stack: Stack;

beforeAll(async () => {
  emu = await emulator();
});
beforeEach(async () => {
  emu.reset();
  stack = await startStack({ WEBHOOK_SECRETS: `${SW_SECRET},${GRAFANA_SECRET}` });
});
afterEach(async () => {
  await stack.close();
});
afterAll(async () => {
  await emu.close();
});

const stopCalls = () => emu.requests({ service: 'ecs', action: 'StopInvocation' });
const ecsCalls = () => emu.requests({ service: 'ecs' });
const statusOf = (invokeId: string, instanceId: string) => emu.getInvocation(invokeId)?.instances.find((i) => i.instanceId === instanceId)?.status;

const grafanaSign = (body: string) => createHmac('sha256', GRAFANA_SECRET).update(body).digest('hex');
function standardWebhooks(body: string, id = 'msg_sec_1'): Record<string, string> {
  const ts = Math.floor(Date.now() / 1000);
  const key = Buffer.from(SW_SECRET.slice('whsec_'.length), 'base64');
  const sig = createHmac('sha256', key).update(`${id}.${ts}.${body}`).digest('base64');
  return { authorization: '', 'webhook-id': id, 'webhook-timestamp': String(ts), 'webhook-signature': `v1,${sig}` };
}

/** A Grafana notification whose labels name no target (it relies on the URL, as the attacker hopes). */
function grafanaWithoutTarget(): string {
  const payload = JSON.parse(sample('grafana-firing.json').toString()) as { alerts: Array<{ labels: Record<string, string> }> };
  payload.alerts[0].labels = { alertname: 'RunawayCommand' };
  return JSON.stringify(payload);
}

describe('only what the credential covers steers a stop', () => {
  const steering = [`instanceId=${VICTIM}`, 'invokeId=t-victiminvoke01', 'regionId=cn-shanghai', 'dryRun=true', 'source=direct', 'commandName=deploy.sh'];

  for (const param of steering) {
    it(`a captured Grafana signature replayed with ?${param} is refused and stops nothing`, async () => {
      const victim = emu.seedInvocation({ instances: [{ instanceId: VICTIM, status: 'Running' }] });
      const body = grafanaWithoutTarget();
      const res = await stack.post(body, { path: `/stop?${param}`, headers: { authorization: '', 'x-grafana-alerting-signature': grafanaSign(body) } });
      expect(res.status).toBe(400);
      expect(res.json.data.error?.code).toBe('QueryNotSigned');
      expect(res.json.data.error?.details?.map((d) => d.path)).toEqual([`?${param.split('=')[0]}`]);
      expect(res.json.data.error?.message).toMatch(/signed body/);
      expect(ecsCalls()).toHaveLength(0);
      expect(statusOf(victim.invokeId, VICTIM)).toBe('Running');
    });
  }

  it('a Standard Webhooks delivery signed for ?dryRun=true is refused, so a replay without it cannot differ from what was asked', async () => {
    const victim = emu.seedInvocation({ instances: [{ instanceId: VICTIM, status: 'Running' }] });
    const body = JSON.stringify({ regionId: 'cn-hangzhou', invokeId: victim.invokeId });
    const res = await stack.post(body, { path: '/stop?dryRun=true', headers: standardWebhooks(body) });
    expect(res.status).toBe(400);
    expect(res.json.data.error?.code).toBe('QueryNotSigned');
    expect(ecsCalls()).toHaveLength(0);
    expect(statusOf(victim.invokeId, VICTIM)).toBe('Running');
    // The signed body alone is what the sender signed: that stop is theirs to ask for.
    const real = await stack.post(body, { headers: standardWebhooks(body, 'msg_sec_2') });
    expect(real.status).toBe(200);
    expect(statusOf(victim.invokeId, VICTIM)).toBe('Stopped');
  });

  it('the signed body alone still works: targets come from the labels', async () => {
    const inv = emu.seedInvocation({ invokeId: 't-hz0jdfwd9f2a1b', instances: [{ instanceId: 'i-bp1g6zv0ce8oghu7k4zr', status: 'Running' }] });
    const body = sample('grafana-firing.json').toString();
    const res = await stack.post(body, { headers: { authorization: '', 'x-grafana-alerting-signature': grafanaSign(body) } });
    expect(res.status).toBe(200);
    expect(statusOf(inv.invokeId, 'i-bp1g6zv0ce8oghu7k4zr')).toBe('Stopped');
  });

  it('a bearer token covers the whole request, URL included: ?instanceId steers', async () => {
    const victim = emu.seedInvocation({ instances: [{ instanceId: VICTIM, status: 'Running' }] });
    const body = grafanaWithoutTarget();
    const res = await stack.post(body, { path: `/stop?instanceId=${VICTIM}&regionId=cn-hangzhou` });
    expect(res.status).toBe(200);
    expect(statusOf(victim.invokeId, VICTIM)).toBe('Stopped');
  });

  it('?token= is the credential for senders that cannot set headers, and covers its URL', async () => {
    const victim = emu.seedInvocation({ instances: [{ instanceId: VICTIM, status: 'Running' }] });
    const body = grafanaWithoutTarget();
    const res = await stack.post(body, { path: `/stop?token=${TOKEN}&instanceId=${VICTIM}`, headers: { authorization: '' } });
    expect(res.status).toBe(200);
    expect(statusOf(victim.invokeId, VICTIM)).toBe('Stopped');
  });
});

describe('query parameters are checked like the body', () => {
  const typos = ['dryrun=true', 'dryRun=on', 'dry_run=1', 'dryRun=', 'DryRun=true', 'dryRun=1', 'dryRun=TRUE'];
  for (const q of typos) {
    it(`?${q} is a 400 and no ECS call`, async () => {
      const inv = emu.seedInvocation({ instances: [{ instanceId: VICTIM, status: 'Running' }] });
      const res = await stack.post({ regionId: 'cn-hangzhou', invokeId: inv.invokeId }, { path: `/stop?${q}` });
      expect(res.status).toBe(400);
      expect(res.json.data.error?.code).toBe('InvalidQuery');
      expect(res.json.data.error?.details?.[0].path).toBe(`?${q.split('=')[0]}`);
      expect(ecsCalls()).toHaveLength(0);
      expect(statusOf(inv.invokeId, VICTIM)).toBe('Running');
    });
  }

  it('an unknown name is refused with the accepted ones listed', async () => {
    const res = await stack.post({ regionId: 'cn-hangzhou', invokeId: 't-abcdef' }, { path: '/stop?instanceID=i-abc' });
    expect(res.status).toBe(400);
    expect(res.json.data.error?.details?.[0]).toEqual({ path: '?instanceID', message: expect.stringContaining('accepted: token, source, dryRun, regionId') });
    expect(ecsCalls()).toHaveLength(0);
  });

  it('a repeated name with different values is a 400; the same value twice is that value', async () => {
    const inv = emu.seedInvocation({ instances: [{ instanceId: VICTIM, status: 'Running' }] });
    const twice = await stack.post({ regionId: 'cn-hangzhou', invokeId: inv.invokeId }, { path: '/stop?dryRun=true&dryRun=false' });
    expect(twice.status).toBe(400);
    expect(twice.json.data.error?.details?.[0]).toEqual({ path: '?dryRun', message: 'is given more than once with different values' });
    const same = await stack.post({ regionId: 'cn-hangzhou', invokeId: inv.invokeId }, { path: '/stop?dryRun=true&dryRun=true' });
    expect(same.status).toBe(200);
    expect(same.json.data.outcome).toBe('dry-run');
    expect(stopCalls()).toHaveLength(0);
  });

  it('?dryRun=true exactly is a dry run', async () => {
    const inv = emu.seedInvocation({ instances: [{ instanceId: VICTIM, status: 'Running' }] });
    const res = await stack.post({ regionId: 'cn-hangzhou', invokeId: inv.invokeId }, { path: '/stop?dryRun=true' });
    expect(res.json.data.outcome).toBe('dry-run');
    expect(stopCalls()).toHaveLength(0);
  });
});

describe('a disallowed region is one failed target, not the whole payload', () => {
  beforeEach(async () => {
    await stack.close();
    stack = await startStack({ ALLOWED_REGIONS: 'cn-hangzhou' });
  });

  const alert = (instanceId: string, regionId: string, invokeId: string) => ({
    status: 'firing',
    labels: { alertname: 'Runaway', instance_id: instanceId, region_id: regionId, invoke_id: invokeId },
    annotations: {},
    startsAt: '2026-12-01T00:00:00Z',
    fingerprint: `fp-${instanceId}`,
  });

  it('Alertmanager group: the allowed alert is stopped, the other is failed RegionNotAllowed (207)', async () => {
    const inv = emu.seedInvocation({ instances: [{ instanceId: 'i-bp1allowed00000000001', status: 'Running' }] });
    const res = await stack.post({ version: '4', groupKey: 'g', alerts: [alert('i-bp1allowed00000000001', 'cn-hangzhou', inv.invokeId), alert('i-uf6elsewhere0000000001', 'cn-shanghai', 't-shanghai0000001')] });
    expect(res.status).toBe(207);
    expect(statusOf(inv.invokeId, 'i-bp1allowed00000000001')).toBe('Stopped');
    const denied = res.json.data.targets.find((t) => t.instanceId === 'i-uf6elsewhere0000000001');
    expect(denied).toMatchObject({ status: 'failed', regionId: 'cn-shanghai', error: { code: 'RegionNotAllowed', retryable: false } });
    expect(everyOf(stopCalls(), (r) => r.params.RegionId === 'cn-hangzhou')).toBe(true);
    expect(stopCalls().length).toBeGreaterThan(0);
  });

  it('EventBridge batch through the event entry point: returned, not thrown, allowed stop done', async () => {
    const inv = emu.seedInvocation({ instances: [{ instanceId: 'i-bp1allowed00000000002', status: 'Running' }] });
    const event = (id: string, region: string, data: object) => ({ specversion: '1.0', id, source: 'ops.rollout', type: 'ops.rollout.abort', aliyunregionid: region, data });
    const result = await stack.invoke([
      event('e-1', 'cn-hangzhou', { invokeId: inv.invokeId }),
      event('e-2', 'cn-shanghai', { invokeId: 't-shanghai0000002', instanceIds: ['i-uf6elsewhere0000000002'] }),
    ]);
    expect(result.data.outcome).toBe('partial');
    expect(statusOf(inv.invokeId, 'i-bp1allowed00000000002')).toBe('Stopped');
    expect(result.data.targets).toContainEqual(expect.objectContaining({ instanceId: 'i-uf6elsewhere0000000002', status: 'failed', error: expect.objectContaining({ code: 'RegionNotAllowed' }) }));
  });

  it('every target outside ALLOWED_REGIONS is still a 403 with no ECS call', async () => {
    const res = await stack.post({ version: '4', alerts: [alert('i-uf6elsewhere0000000003', 'cn-shanghai', 't-shanghai0000003')] });
    expect(res.status).toBe(403);
    expect(res.json.data.error?.code).toBe('RegionNotAllowed');
    expect(ecsCalls()).toHaveLength(0);
  });
});

describe('no secret leaves the function', () => {
  const LEAKED_SECRET = 'LeakedStsSecret0123456789ABCDEFabcdef';
  const LEAKED_TOKEN = 'CAIS' + 'LeakedStsToken'.repeat(8);

  function assertClean(texts: string[], secrets: string[]): void {
    const all = texts.join('\n');
    // Any 10 characters of a secret count: a library message cut short still leaks its head.
    for (const s of secrets) expect(all.includes(s.slice(0, 10)), `secret ${s.slice(0, 4)}… leaked`).toBe(false);
  }

  it('STS answering 200 with a truncated body that quotes fresh keys: response and log lines are clean', async () => {
    await stack.close();
    stack = await startStack({}, { warm: false });
    emu.injectFault({
      service: 'sts',
      action: 'AssumeRole',
      status: 200,
      contentType: 'application/json;charset=utf-8',
      rawBody: `{"Credentials":{"AccessKeySecret":"${LEAKED_SECRET}","SecurityToken":"${LEAKED_TOKEN}","AccessKeyId":"STS.leak","Expiration":"20`,
    });
    const inv = emu.seedInvocation({ instances: [{ instanceId: VICTIM, status: 'Running' }] });
    const res = await stack.post({ regionId: 'cn-hangzhou', invokeId: inv.invokeId });
    expect(res.status).toBeGreaterThanOrEqual(500); // a retry can learn more
    expect(res.json.data.targets[0]).toMatchObject({ status: 'failed', error: { retryable: true } });
    assertClean([JSON.stringify(res.json), ...stack.lines], [LEAKED_SECRET, LEAKED_TOKEN]);
  });

  it('ECS error text quoting the session token and source secret: response and log lines are clean', async () => {
    const inv = emu.seedInvocation({ instances: [{ instanceId: VICTIM, status: 'Running' }] });
    // Warm: the function now holds a real STS session; ECS quotes it back in its error.
    await stack.post({ regionId: 'cn-hangzhou', invokeId: 't-warmup00000001', dryRun: true });
    const session = stack.instance.credentials.peek();
    expect(session?.securityToken).toEqual(expect.any(String));
    emu.injectFault({
      service: 'ecs',
      action: 'StopInvocation',
      status: 400,
      code: 'InvalidParameter',
      // Known values (the session token) and values the function never saw, in JSON and header form.
      message: `x-acs-security-token: ${LEAKED_TOKEN.slice(0, 40)}; body {"AccessKeySecret":"${LEAKED_SECRET}"}; token ${session?.securityToken} rejected`,
    });
    const res = await stack.post({ regionId: 'cn-hangzhou', invokeId: inv.invokeId });
    expect(res.json.data.targets[0].status).toBe('failed');
    expect(res.json.data.targets[0].error?.code).toBe('InvalidParameter');
    assertClean([JSON.stringify(res.json), ...stack.lines], [session?.securityToken ?? 'x'.repeat(10), LEAKED_TOKEN.slice(4), LEAKED_SECRET]);
  });

  it('refusals before authentication name no account, function or region', async () => {
    const responses = [
      await stack.post({ regionId: 'cn-hangzhou', invokeId: 't-abcdef' }, { headers: { authorization: 'Bearer wrong-token-wrong-token' } }),
      await stack.post('', { method: 'GET' }),
      await stack.post('x'.repeat(5 * 1024 * 1024)),
      await stack.post('x', { headers: { 'content-encoding': 'br' } }),
    ];
    expect(responses.map((r) => r.status)).toEqual([401, 405, 413, 415]);
    for (const r of responses) {
      const text = JSON.stringify(r.json);
      expect(text).not.toContain(emu.accountId);
      expect(text).not.toContain('cn-hangzhou');
      expect(text).not.toContain('stop-invocation:'); // no functions/<name> ARN
      expect(text).not.toContain('functions/');
    }
    expect(emu.events()).toHaveLength(0);
  });
});

describe('outputs are bounded whatever the input', () => {
  it('30,000 malformed ids: a 400 under 16 KiB, every log line under 64 KiB', async () => {
    const ids = Array.from({ length: 30_000 }, (_, i) => `bad id ${i}`);
    const res = await stack.post({ regionId: 'cn-hangzhou', invokeId: 't-abcdef', instanceIds: ids });
    expect(res.status).toBe(400);
    expect(Buffer.byteLength(JSON.stringify(res.json))).toBeLessThan(16 * 1024);
    expect(res.json.data.error?.details?.length).toBeLessThanOrEqual(51);
    expect(stack.lines.length).toBeGreaterThan(0);
    for (const line of stack.lines) expect(Buffer.byteLength(line)).toBeLessThanOrEqual(MAX_LINE_BYTES + 1);
    expect(ecsCalls()).toHaveLength(0);
  });

  it('a log record over 64 KiB is cut to one JSON line with a marker', () => {
    const lines: string[] = [];
    const log = new (stack.instance.log.constructor as typeof import('../shared/log.js').Logger)('info', [], {}, (l) => lines.push(l));
    log.info('big', { blob: 'é"'.repeat(100_000) });
    expect(lines).toHaveLength(1);
    expect(Buffer.byteLength(lines[0])).toBeLessThanOrEqual(MAX_LINE_BYTES + 1);
    expect(JSON.parse(lines[0])).toMatchObject({ msg: 'big', truncated: true, originalBytes: expect.any(Number) });
  });
});

describe('big real incidents are accepted', () => {
  it('a realistic 1,000-alert Alertmanager group (~500 kB) stops every target', async () => {
    const ids = instanceIds(1000, 'i-bp1big');
    const inv = emu.seedInvocation({ instances: ids.map((instanceId) => ({ instanceId, status: 'Running' as const })) });
    const alerts = ids.map((id, i) => ({
      status: 'firing',
      labels: { alertname: 'RunawayCommand', severity: 'critical', job: 'node', instance: `${id}:9100`, invoke_id: inv.invokeId, region_id: 'cn-hangzhou', team: 'platform-sre', env: 'production' },
      annotations: {
        summary: `Cloud Assistant command on ${id} has run for more than 30 minutes`,
        description: `The deploy.sh invocation ${inv.invokeId} keeps the CPU of ${id} above 95% for 30 minutes; runbook https://runbooks.example.internal/cloud-assistant/runaway`,
      },
      startsAt: '2026-12-01T06:30:00.000Z',
      endsAt: '0001-01-01T00:00:00Z',
      generatorURL: `https://prometheus.example.internal/graph?g0.expr=node_cpu_seconds_total%7Binstance%3D%22${id}%22%7D&g0.tab=1`,
      fingerprint: `fp${String(i).padStart(14, '0')}`,
    }));
    const body = JSON.stringify({ version: '4', groupKey: '{}:{alertname="RunawayCommand"}', status: 'firing', receiver: 'stop', groupLabels: {}, commonLabels: {}, commonAnnotations: {}, externalURL: 'http://am', alerts });
    expect(body.length).toBeGreaterThan(450_000);
    const res = await stack.post(body);
    expect(res.status).toBe(200);
    expect(res.json.data.counts).toMatchObject({ requested: 1000, stopped: 1000 });
    expect(everyOf(emu.getInvocation(inv.invokeId)?.instances, (i) => i.status === 'Stopped')).toBe(true);
  });
});

describe('Content-Encoding', () => {
  const body = () => {
    const inv = emu.seedInvocation({ instances: [{ instanceId: VICTIM, status: 'Running' }] });
    return { inv, text: JSON.stringify({ regionId: 'cn-hangzhou', invokeId: inv.invokeId }) };
  };

  it('a gzip body works', async () => {
    const { inv, text } = body();
    const res = await stack.post(gzipSync(text), { headers: { 'content-encoding': 'gzip' } });
    expect(res.status).toBe(200);
    expect(statusOf(inv.invokeId, VICTIM)).toBe('Stopped');
  });

  it('a deflate body works', async () => {
    const { inv, text } = body();
    const res = await stack.post(deflateSync(text), { headers: { 'content-encoding': 'deflate' } });
    expect(res.status).toBe(200);
    expect(statusOf(inv.invokeId, VICTIM)).toBe('Stopped');
  });

  it('a signature covers the decoded bytes the sender signed', async () => {
    const { inv, text } = body();
    const res = await stack.post(gzipSync(text), { headers: { ...standardWebhooks(text), 'content-encoding': 'gzip' } });
    expect(res.status).toBe(200);
    expect(statusOf(inv.invokeId, VICTIM)).toBe('Stopped');
  });

  it('br gets 415 naming the header', async () => {
    const { text } = body();
    const res = await stack.post(text, { headers: { 'content-encoding': 'br' } });
    expect(res.status).toBe(415);
    expect(res.json.data.error?.details?.[0].path).toBe('header content-encoding');
    expect(ecsCalls()).toHaveLength(0);
  });

  it('a plain body labelled gzip is refused, not guessed', async () => {
    const { text } = body();
    const res = await stack.post(text, { headers: { 'content-encoding': 'gzip' } });
    expect(res.status).toBe(400);
    expect(ecsCalls()).toHaveLength(0);
  });

  it('a gzip bomb stops at the body limit: 413', async () => {
    const bomb = gzipSync(Buffer.alloc(6 * 1024 * 1024, 0x20));
    expect(bomb.length).toBeLessThan(64 * 1024);
    const res = await stack.post(bomb, { headers: { 'content-encoding': 'gzip' } });
    expect(res.status).toBe(413);
    expect(ecsCalls()).toHaveLength(0);
  });
});
