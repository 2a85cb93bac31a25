import assert from 'node:assert/strict';
import { readdirSync, readFileSync } from 'node:fs';
import { resolve } from 'node:path';
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { RequestError } from '../shared/errors.js';
import { stopRequestSchema, sweepRequestSchema } from '../shared/schemas/stop-request.js';
import { sourceSchemas } from '../scripts/schemas.js';
import { validatorFor } from '../shared/schemas/validate.js';
import { repoRoot, sample, samplesDir } from './helpers/samples.js';
import { ADAPTER_RUNS } from './helpers/volume.js';
import { adapt, type AdaptOptions } from '../shared/sources/index.js';
import { decodeEvent } from '../shared/triggers/decode.js';
import type { Adapted, SourceInput, StopRequest, TriggerKind } from '../shared/types.js';
import { everyOf } from './helpers/expect.js';

// The source adapters, pure: SourceInput in, canonical requests (or a RequestError) out.
// Every file in ../shared/samples/ is checked against what its README says, then the
// edge cases of each sender.

const fixturesDir = resolve(repoRoot, 'test', 'fixtures');
const fixture = (name: string) => readFileSync(resolve(fixturesDir, name));
const json = (value: unknown) => Buffer.from(JSON.stringify(value));

const opts: AdaptOptions = { defaultRegion: 'cn-qingdao' };

function input(body: Buffer | string | object, over: Partial<SourceInput> = {}): SourceInput {
  const bytes = Buffer.isBuffer(body) ? body : typeof body === 'string' ? Buffer.from(body) : json(body);
  return { trigger: 'event', body: bytes, contentType: '', query: {}, headers: {}, ...over };
}
const http = (body: Buffer | string | object, contentType = 'application/json', query: Record<string, string> = {}) =>
  input(body, { trigger: 'http', contentType, query });

/** SourceInput the way the pipeline builds it from a raw FC event (decode, then drop the token). */
function fromFcEvent(raw: Buffer): SourceInput {
  const d = decodeEvent(raw);
  const { token: _token, ...query } = d.query;
  return { trigger: d.trigger, body: d.body, contentType: d.contentType, query, headers: d.headers, timer: d.timer };
}

function refusal(fn: () => unknown): RequestError {
  try {
    fn();
  } catch (err) {
    expect(err).toBeInstanceOf(RequestError);
    return err as RequestError;
  }
  throw new Error('expected a RequestError, got a result');
}

const validStop = validatorFor<StopRequest>(stopRequestSchema);
const validSweep = validatorFor(sweepRequestSchema);

/**
 * What must hold for every result: canonical requests, each instance id once per region.
 * Checked with node:assert, not expect: the properties below call this 5,000 times, and an
 * `expect` costs ~13 µs of CPU (vitest counts each one), more than the check it makes.
 */
function invariants(a: Adapted): void {
  const seen = new Set<string>();
  const acted = new Set<string>();
  const twice: string[] = [];
  for (const r of a.requests) {
    assert.ok(validStop(r), JSON.stringify(validStop.errors));
    // Once per scope: the same instance may be asked of two invocations, never twice of one.
    const scope = r.invokeId ?? (r.commandId || r.commandName ? `cmd:${r.commandId}/${r.commandName}` : '*');
    for (const id of r.instanceIds ?? []) {
      const key = `${r.regionId}/${scope}/${id}`;
      if (seen.has(key)) twice.push(key);
      seen.add(key);
      acted.add(`${r.regionId}/${id}`);
    }
  }
  assert.deepEqual(twice, [], 'instances that appear twice');
  assert.deepEqual(a.skipped.filter((s) => typeof s.reason !== 'string'), [], 'skipped without a reason');
  assert.deepEqual(a.skipped.filter((s) => s.instanceId && acted.has(`${s.regionId}/${s.instanceId}`)).map((s) => s.instanceId), [], 'skipped and also acted on');
  if (a.sweep) assert.ok(validSweep(a.sweep), JSON.stringify(validSweep.errors));
  if (a.dedupeKey !== undefined) assert.ok(a.dedupeKey.length <= 220, `dedupeKey of ${a.dedupeKey.length} characters`);
}

function ok(i: SourceInput, o: AdaptOptions = opts): Adapted {
  const a = adapt(i, o);
  invariants(a);
  return a;
}

const strip = (r: StopRequest) => {
  const { reason: _reason, ...rest } = r;
  return rest;
};

// ---------------------------------------------------------------------------------------
describe('every sample in ../shared/samples does what the samples README says', () => {
  const expectations: Record<string, () => void> = {
    'fc-http-event.json': () => {
      const a = ok(fromFcEvent(sample('fc-http-event.json')));
      expect(a.source).toBe('direct');
      expect(a.requests).toEqual([
        {
          regionId: 'cn-hangzhou',
          invokeId: 't-hz0jdfwd9f2a1b',
          instanceIds: ['i-bp1g6zv0ce8oghu7k4zr', 'i-bp1f7k0mkx9e6pqq2n3a'],
          reason: 'rollback of a bad deploy',
        },
      ]);
    },
    'direct.json': () => {
      const a = ok(input(sample('direct.json')));
      expect(a.source).toBe('direct');
      expect(a.requests.map(strip)).toEqual([
        { regionId: 'cn-hangzhou', invokeId: 't-hz0jdfwd9f2a1b', instanceIds: ['i-bp1g6zv0ce8oghu7k4zr', 'i-bp1f7k0mkx9e6pqq2n3a'] },
      ]);
    },
    'alertmanager-firing.json': () => {
      const a = ok(http(sample('alertmanager-firing.json')));
      expect(a.source).toBe('alertmanager');
      expect(a.requests.map(strip)).toEqual([
        { regionId: 'cn-hangzhou', invokeId: 't-hz0jdfwd9f2a1b', instanceIds: ['i-bp1g6zv0ce8oghu7k4zr'] },
        { regionId: 'cn-hangzhou', instanceIds: ['i-bp1f7k0mkx9e6pqq2n3a'] },
      ]);
      expect(a.requests[0].reason).toBe('alertmanager alert RunawayCommand: CPU above 95% for 10m while t-hz0jdfwd9f2a1b runs');
      expect(a.skipped).toEqual([]);
      expect(a.dedupeKey).toBe(
        'alertmanager:{}/{severity="critical"}:{alertname="RunawayCommand"}|0b1e2d3c4f5a6978@2026-11-24T06:31:00Z,c5a9b4e1d2f30718@2026-11-24T06:30:00Z',
      );
    },
    'alertmanager-resolved.json': () => {
      const a = ok(http(sample('alertmanager-resolved.json')));
      expect(a.source).toBe('alertmanager');
      expect(a.requests).toEqual([]);
      expect(a.skipped).toEqual([
        { regionId: 'cn-hangzhou', invokeId: 't-hz0jdfwd9f2a1b', instanceId: 'i-bp1g6zv0ce8oghu7k4zr', reason: 'alert resolved' },
        { regionId: 'cn-hangzhou', instanceId: 'i-bp1f7k0mkx9e6pqq2n3a', reason: 'alert resolved' },
      ]);
      expect(a.dedupeKey).toBeUndefined();
    },
    'grafana-firing.json': () => {
      const a = ok(http(sample('grafana-firing.json')));
      expect(a.source).toBe('grafana');
      // region from the labels, not the function's own (cn-qingdao)
      expect(a.requests.map(strip)).toEqual([{ regionId: 'cn-hangzhou', invokeId: 't-hz0jdfwd9f2a1b', instanceIds: ['i-bp1g6zv0ce8oghu7k4zr'] }]);
      expect(a.dedupeKey).toBe('grafana:{}:{alertname="RunawayCommand"}|57c6d9296de2ad39@2026-11-24T06:30:00Z');
    },
    'cloudmonitor-threshold.form': () => {
      const a = ok(http(sample('cloudmonitor-threshold.form'), 'application/x-www-form-urlencoded'));
      expect(a.source).toBe('cloudmonitor');
      expect(a.requests.map(strip)).toEqual([{ regionId: 'cn-hangzhou', instanceIds: ['i-8psdh7l6lphbn10lx1ab'] }]);
      expect(a.dedupeKey).toBe('cloudmonitor:53767d2a-ae72-11ed-b2ca-00163e2c0000:ALERT');
    },
    'cloudmonitor-legacy.json': () => {
      const a = ok(http(sample('cloudmonitor-legacy.json'), 'application/json', { regionId: 'cn-hangzhou' }));
      expect(a.source).toBe('cloudmonitor');
      expect(a.requests.map(strip)).toEqual([{ regionId: 'cn-hangzhou', instanceIds: ['i-12345abc'] }]);
      expect(a.dedupeKey).toMatch(/^cloudmonitor:[0-9a-f]{32}$/);
    },
    'eventbridge-custom.json': () => {
      const a = ok(input(sample('eventbridge-custom.json')));
      expect(a.source).toBe('eventbridge');
      expect(a.requests).toEqual([
        { regionId: 'cn-shanghai', invokeId: 't-hz0jdfwd9f2a1b', instanceIds: ['i-bp1g6zv0ce8oghu7k4zr'], reason: 'rollout aborted' },
      ]);
      expect(a.dedupeKey).toBe('eventbridge:ops.rollout|45ef4dew-7c35-447a-bd93-fab0c1d2e3f4');
    },
    'eventbridge-cloud-assistant.json': () => {
      // A failed run feeds the rollout guard for the invocation; the finished instance itself is never stopped.
      const a = ok(input(sample('eventbridge-cloud-assistant.json')));
      expect(a.source).toBe('eventbridge');
      expect(a.requests).toEqual([]);
      expect(a.guards).toEqual([
        {
          request: { action: 'guard', regionId: 'cn-hangzhou', invokeId: 't-hz0jdfwd9f2a1b', reason: expect.stringContaining('i-bp114aaaabbbbccccdddd ended Failed') },
          events: [{ id: '45ef4dew-1111-447a-bd93-fab0c1d2e3f4', source: 'acs.ecs', instanceId: 'i-bp114aaaabbbbccccdddd', invocationStatus: 'Failed' }],
          commandId: 'c-hz045aaaabbbbcc',
          commandName: 'deploy.sh',
        },
      ]);
      expect(a.dedupeKey).toBe('eventbridge:acs.ecs|45ef4dew-1111-447a-bd93-fab0c1d2e3f4');
    },
    'timer-sweep.json': () => {
      const i = fromFcEvent(sample('timer-sweep.json'));
      expect(i.trigger).toBe('timer');
      const a = ok(i);
      expect(a.source).toBe('sweep');
      expect(a.requests).toEqual([]);
      expect(a.sweep).toEqual({ action: 'sweep', regionIds: ['cn-hangzhou'], maxRunningSeconds: 3600 });
    },
  };

  it('has an expectation for every sample file (none is left out)', () => {
    const files = readdirSync(samplesDir).filter((f) => f !== 'README.md').sort();
    expect(files.length).toBeGreaterThan(0);
    expect(files).toEqual(Object.keys(expectations).sort());
  });
  for (const [name, check] of Object.entries(expectations)) it(name, check);

  it('alertmanager-firing.json adapts the same as an event invocation and over the HTTP trigger', () => {
    expect(ok(input(sample('alertmanager-firing.json')))).toEqual(ok(http(sample('alertmanager-firing.json'))));
  });
});

// ---------------------------------------------------------------------------------------
describe('detection and ?source=', () => {
  it('an unknown ?source= is a 400 that lists the valid ones', () => {
    const err = refusal(() => adapt(http(sample('direct.json'), 'application/json', { source: 'splunk' }), opts));
    expect(err.status).toBe(400);
    expect(err.code).toBe('InvalidSource');
    for (const name of ['alertmanager', 'grafana', 'cloudmonitor', 'eventbridge', 'direct', 'sweep']) expect(err.message).toContain(name);
    expect(err.details[0].path).toBe('?source');
  });

  it('?source= forces an adapter (case-insensitive; `arms` is Alertmanager)', () => {
    expect(ok(http(sample('grafana-firing.json'), 'application/json', { source: 'Alertmanager' })).source).toBe('alertmanager');
    expect(ok(http(fixture('arms-firing.json'), 'application/json', { source: 'arms' })).source).toBe('alertmanager');
    expect(ok(http(sample('cloudmonitor-legacy.json'), 'application/json', { source: 'cloudmonitor', regionId: 'cn-hangzhou' })).source).toBe('cloudmonitor');
  });

  it('a forced source that does not fit the payload is a 400 from that adapter, not a guess', () => {
    const err = refusal(() => adapt(http(sample('direct.json'), 'application/json', { source: 'eventbridge' }), opts));
    expect(err.status).toBe(400);
    expect(err.details.map((d) => d.path)).toContain('/specversion');
  });

  it('wrong content types are 415; missing one on HTTP too', () => {
    for (const ct of ['text/html', 'application/octet-stream', 'multipart/form-data', 'application/xml', '']) {
      const err = refusal(() => adapt(http(sample('direct.json'), ct), opts));
      expect(err.status, ct).toBe(415);
      expect(err.code).toBe('UnsupportedMediaType');
    }
  });

  it('JSON media types: application/json, application/*+json (CloudEvents), text/plain with a JSON body', () => {
    expect(ok(http(sample('eventbridge-custom.json'), 'application/cloudevents+json')).source).toBe('eventbridge');
    expect(ok(http(sample('direct.json'), 'application/merge-patch+json')).source).toBe('direct');
    // ARMS webhooks default to text/plain
    expect(ok(http(fixture('arms-firing.json'), 'text/plain')).source).toBe('alertmanager');
    const err = refusal(() => adapt(http('alertState=ALERT', 'text/plain'), opts));
    expect(err.status).toBe(415);
    expect(err.message).toContain('text/plain');
  });

  it('a form content type with a JSON body (curl -d) is read as JSON', () => {
    const a = ok(http(sample('direct.json'), 'application/x-www-form-urlencoded'));
    expect(a.source).toBe('direct');
    expect(ok(http(sample('alertmanager-firing.json'), 'application/x-www-form-urlencoded')).source).toBe('alertmanager');
  });

  it('a form body with a forced non-CloudMonitor source is 415', () => {
    const err = refusal(() => adapt(http(sample('cloudmonitor-threshold.form'), 'application/x-www-form-urlencoded', { source: 'grafana' }), opts));
    expect(err.status).toBe(415);
  });

  it('event invocations are JSON whatever they hold; non-JSON is a 400', () => {
    const err = refusal(() => adapt(input('not json'), opts));
    expect(err.status).toBe(400);
    expect(refusal(() => adapt(input(''), opts)).status).toBe(400);
  });

  it('an event with {"action":"sweep"} is a sweep; other objects fall to the strict direct source', () => {
    const a = ok(input({ action: 'sweep', regionIds: ['cn-hangzhou'], maxRunningSeconds: 600 }));
    expect(a.source).toBe('sweep');
    const err = refusal(() => adapt(input({ regionId: 'cn-hangzhou', invokeId: 't-abc', instanceID: ['i-1'] }), opts));
    expect(err.details).toContainEqual({ path: '/instanceID', message: 'is not a known field' });
  });
});

// ---------------------------------------------------------------------------------------
describe('Alertmanager / ARMS / Grafana', () => {
  const alert = (labels: Record<string, unknown>, over: Record<string, unknown> = {}) => ({
    status: 'firing',
    labels: { alertname: 'RunawayCommand', ...labels },
    annotations: {},
    startsAt: '2026-11-24T06:30:00Z',
    fingerprint: `fp${JSON.stringify(labels).length}`,
    ...over,
  });
  const am = (alerts: unknown[], extra: Record<string, unknown> = {}) => ({ version: '4', groupKey: 'g', status: 'firing', alerts, ...extra });

  it('ARMS: region from _aliyun_arms_region_id, `instance` i-xxx:9100 stripped, no version/groupKey, empty fingerprint', () => {
    const a = ok(http(fixture('arms-firing.json')));
    expect(a.source).toBe('alertmanager');
    expect(a.requests.map(strip)).toEqual([
      { regionId: 'cn-beijing', instanceIds: ['i-2zeabc0000000001'] },
      { regionId: 'cn-beijing', invokeId: 't-bj0abcdef123', instanceIds: ['i-2zeabc0000000002'] },
    ]);
    // the empty fingerprint is replaced by a hash of the labels; missing groupKey is ''
    expect(a.dedupeKey).toMatch(/^alertmanager:\|bec72890cc2c7b4a027e008df0cd1013@2026-11-24T07:28:15\.404000000Z,labels-[0-9a-f]{16}@2026-11-24T07:27:15\.404000000Z$/);
  });

  it('ARMS: an explicit ?regionId= (or region_id) wins over the label ARMS adds to every alert', () => {
    const a = ok(http(fixture('arms-firing.json'), 'application/json', { regionId: 'cn-shanghai' }));
    expect(everyOf(a.requests, (r) => r.regionId === 'cn-shanghai')).toBe(true);
  });

  it('Grafana with the target only in annotations (and a command filter there)', () => {
    const a = ok(http(fixture('grafana-annotations.json')));
    expect(a.source).toBe('grafana');
    expect(a.requests).toEqual([
      { regionId: 'cn-qingdao', instanceIds: ['i-bp1annotated000001'], commandName: 'deploy.sh', reason: 'grafana alert RunawayCommand: deploy.sh stuck' },
    ]);
  });

  it('Grafana is told apart by its markers; without them the same shape is Alertmanager', () => {
    const body = am([alert({ instance_id: 'i-abc' })]);
    expect(ok(input(body)).source).toBe('alertmanager');
    expect(ok(input({ ...body, orgId: 1 })).source).toBe('grafana');
    expect(ok(input({ ...body, title: 't', state: 'alerting' })).source).toBe('grafana');
    expect(ok(input(am([alert({ instance_id: 'i-abc' }, { valueString: '[ metric=x ]' })]))).source).toBe('grafana');
  });

  it('labels win over annotations, annotations over the URL query; snake and camel case', () => {
    const a = ok(
      http(am([alert({ instanceId: 'i-fromlabel' }, { annotations: { instance_id: 'i-fromannotation', invoke_id: 't-fromannotation' } })]), 'application/json', {
        invokeId: 't-fromquery',
        regionId: 'cn-shenzhen',
      }),
    );
    expect(a.requests.map(strip)).toEqual([{ regionId: 'cn-shenzhen', invokeId: 't-fromannotation', instanceIds: ['i-fromlabel'] }]);
  });

  it('the webhook URL can carry the invoke id for every alert; "null" label values fall through', () => {
    const a = ok(http(am([alert({ instance_id: 'i-one', invoke_id: 'null' }), alert({ instance_id: 'i-two' })]), 'application/json', { invokeId: 't-q' }));
    expect(a.requests.map(strip)).toEqual([{ regionId: 'cn-qingdao', invokeId: 't-q', instanceIds: ['i-one', 'i-two'] }]);
  });

  it('`instance` that is not an ECS id is ignored; a firing alert with no target is reported, naming the labels we read', () => {
    // Beside a usable alert: that one is stopped, this one reported (Alertmanager never retries a 4xx).
    const a = ok(input(am([alert({ instance_id: 'i-ok' }), alert({ instance: '10.0.0.1:9100' })])));
    expect(a.requests.map(strip)).toEqual([{ regionId: 'cn-qingdao', instanceIds: ['i-ok'] }]);
    expect(a.unusable).toEqual([{ path: '/alerts/1', message: expect.stringMatching(/invoke_id.*instance_id/) }]);
    // Alone: nothing can be done, so the notification is refused.
    const err = refusal(() => adapt(input(am([alert({ instance: '10.0.0.1:9100' })])), opts));
    expect(err.status).toBe(400);
    expect(err.details[0].path).toBe('/alerts/0');
  });

  it('a bad instance id in a label is reported at that label; alone it is a 400', () => {
    const a = ok(input(am([alert({ instance_id: 'i-good' }), alert({ instance_id: 'I-Bad!' })])));
    expect(a.requests.map(strip)).toEqual([{ regionId: 'cn-qingdao', instanceIds: ['i-good'] }]);
    expect(a.unusable).toEqual([{ path: '/alerts/1/labels/instance_id', message: expect.stringContaining('must match pattern') }]);
    const err = refusal(() => adapt(input(am([alert({ instance_id: 'I-Bad!' })])), opts));
    expect(err.details).toEqual([{ path: '/alerts/0/labels/instance_id', message: expect.stringContaining('must match pattern') }]);
  });

  it('bad invoke id, region and command id point at where they came from (label, annotation, query)', () => {
    const err = refusal(() =>
      adapt(http(am([alert({ invokeId: 'x-1', instance_id: 'i-a' }, { annotations: { region_id: 'Mars' } })]), 'application/json', { commandId: 'nope' }), opts),
    );
    const paths = err.details.map((d) => d.path).sort();
    expect(paths).toEqual(['/alerts/0/annotations/region_id', '/alerts/0/labels/invokeId']);
    const err2 = refusal(() => adapt(http(am([alert({ instance_id: 'i-a' })]), 'application/json', { commandId: 'nope' }), opts));
    expect(err2.details).toEqual([{ path: '?commandId', message: expect.stringContaining('pattern') }]);
  });

  it('a label value that is not a string is a 400 at its path', () => {
    const err = refusal(() => adapt(input(am([alert({ instance_id: 12345 })])), opts));
    expect(err.details).toEqual([{ path: '/alerts/0/labels/instance_id', message: 'must be a string' }]);
  });

  it('no region anywhere (no label, no ?regionId=, no function region) is a 400 naming the alert', () => {
    const err = refusal(() => adapt(input(am([alert({ instance_id: 'i-a' })])), {}));
    expect(err.details).toEqual([{ path: '/alerts/0', message: expect.stringContaining('region_id') }]);
  });

  it('resolved + firing mix: firing alerts act, resolved ones are skipped, an instance is never both', () => {
    const a = ok(
      input(
        am([
          alert({ instance_id: 'i-one' }),
          alert({ instance_id: 'i-two', invoke_id: 't-2' }, { status: 'resolved' }),
          alert({ instance_id: 'i-one', x: 'y' }, { status: 'resolved' }),
          alert({ instance_id: 'not-an-id' }, { status: 'resolved' }),
        ]),
      ),
    );
    expect(a.requests.map(strip)).toEqual([{ regionId: 'cn-qingdao', instanceIds: ['i-one'] }]);
    expect(a.skipped).toEqual([
      { regionId: 'cn-qingdao', invokeId: 't-2', instanceId: 'i-two', reason: 'alert resolved' },
      { regionId: 'cn-qingdao', reason: 'alert resolved' },
    ]);
    // only firing alerts make the dedupe key
    expect(a.dedupeKey).toBe(`alertmanager:g|fp${JSON.stringify({ instance_id: 'i-one' }).length}@2026-11-24T06:30:00Z`);
  });

  it('resolved alerts are never refused, whatever they carry', () => {
    const a = ok(input(am([alert({ instance_id: 42, region_id: 'Mars' }, { status: 'resolved' })]), {}));
    expect(a.requests).toEqual([]);
    expect(a.skipped).toEqual([{ reason: 'alert resolved' }]);
  });

  it('merges alerts per (region, invocation); every instance id appears once', () => {
    const a = ok(
      input(
        am([
          alert({ instance_id: 'i-a', invoke_id: 't-1' }),
          alert({ instance_id: 'i-b', invoke_id: 't-1' }),
          alert({ instance_id: 'i-a', invoke_id: 't-1', dup: '1' }),
          alert({ instance_id: 'i-c' }),
          alert({ instance_id: 'i-d', region_id: 'cn-hangzhou' }),
          alert({ instance_id: 'i-c', invoke_id: 't-2' }),
        ]),
      ),
    );
    expect(a.requests.map(strip)).toEqual([
      { regionId: 'cn-qingdao', invokeId: 't-1', instanceIds: ['i-a', 'i-b'] },
      // i-c: the by-instance lookup stops everything live there, t-2 included
      { regionId: 'cn-qingdao', instanceIds: ['i-c'] },
      { regionId: 'cn-hangzhou', instanceIds: ['i-d'] },
    ]);
  });

  it('an alert naming only the invocation and one naming an instance of it both stay (the stop stage merges them)', () => {
    const a = ok(input(am([alert({ instance_id: 'i-a', invoke_id: 't-1' }), alert({ invoke_id: 't-1' })])));
    expect(a.requests.map(strip)).toEqual([
      { regionId: 'cn-qingdao', invokeId: 't-1', instanceIds: ['i-a'] },
      { regionId: 'cn-qingdao', invokeId: 't-1' },
    ]);
  });

  it('the same instance in two invocations, or under two command filters, is two stops', () => {
    const twoInvocations = ok(input(am([alert({ instance_id: 'i-a', invoke_id: 't-1' }), alert({ instance_id: 'i-a', invoke_id: 't-2' })])));
    expect(twoInvocations.requests.map(strip)).toEqual([
      { regionId: 'cn-qingdao', invokeId: 't-1', instanceIds: ['i-a'] },
      { regionId: 'cn-qingdao', invokeId: 't-2', instanceIds: ['i-a'] },
    ]);
    const twoFilters = ok(input(am([alert({ instance_id: 'i-a', command_name: 'deploy.sh' }), alert({ instance_id: 'i-a', command_name: 'backup.sh' })])));
    expect(twoFilters.requests.map(strip)).toEqual([
      { regionId: 'cn-qingdao', instanceIds: ['i-a'], commandName: 'deploy.sh' },
      { regionId: 'cn-qingdao', instanceIds: ['i-a'], commandName: 'backup.sh' },
    ]);
    // An unfiltered lookup already finds everything live on the instance.
    const wide = ok(input(am([alert({ instance_id: 'i-a', invoke_id: 't-1' }), alert({ instance_id: 'i-a' })])));
    expect(wide.requests.map(strip)).toEqual([{ regionId: 'cn-qingdao', instanceIds: ['i-a'] }]);
  });

  it('a dry run never takes an instance away from a real stop', () => {
    const events = [
      { specversion: '1.0', id: 'e1', source: 's', type: 't', aliyunregionid: 'cn-qingdao', data: { regionId: 'cn-qingdao', instanceIds: ['i-0', 'i-1'], dryRun: true } },
      { specversion: '1.0', id: 'e2', source: 's', type: 't', aliyunregionid: 'cn-qingdao', data: { regionId: 'cn-qingdao', instanceIds: ['i-0'] } },
    ];
    const a = ok(input(JSON.stringify(events), { trigger: 'event' }));
    expect(a.requests.map(strip)).toEqual([
      { regionId: 'cn-qingdao', instanceIds: ['i-1'], dryRun: true },
      { regionId: 'cn-qingdao', instanceIds: ['i-0'] },
    ]);
  });

  it('comma-separated instance ids in one label', () => {
    const a = ok(input(am([alert({ instance_id: 'i-a, i-b i-a' })])));
    expect(a.requests.map(strip)).toEqual([{ regionId: 'cn-qingdao', instanceIds: ['i-a', 'i-b'] }]);
    const err = refusal(() => adapt(input(am([alert({ instance_id: 'i-a,BAD' })])), opts));
    expect(err.details).toEqual([{ path: '/alerts/0/labels/instance_id', message: expect.stringContaining("('BAD')") }]);
  });

  it('?dryRun=true applies to every request', () => {
    const a = ok(http(sample('alertmanager-firing.json'), 'application/json', { dryRun: 'true' }));
    expect(everyOf(a.requests, (r) => r.dryRun === true)).toBe(true);
  });

  it('long dedupe keys are hashed (sha256, 32 hex)', () => {
    const a = ok(input(am([alert({ instance_id: 'i-a' })], { groupKey: 'x'.repeat(300) })));
    expect(a.dedupeKey).toMatch(/^alertmanager:sha256:[0-9a-f]{32}$/);
  });

  it('the dedupe key does not depend on alert order', () => {
    const one = alert({ instance_id: 'i-a' }, { fingerprint: 'aa' });
    const two = alert({ instance_id: 'i-b' }, { fingerprint: 'bb' });
    expect(ok(input(am([one, two]))).dedupeKey).toBe(ok(input(am([two, one]))).dedupeKey);
  });

  it('a status other than firing/resolved, or a missing alerts entry shape, is a 400 with the path', () => {
    const err = refusal(() => adapt(input(am([alert({ instance_id: 'i-a' }, { status: 'pending' })])), opts));
    expect(err.details[0].path).toBe('/alerts/0/status');
    const err2 = refusal(() => adapt(input(am(['nope'])), opts));
    expect(err2.details[0].path).toBe('/alerts/0');
  });

  it('more than 1000 alerts is a 413 before anything else is read', () => {
    const many = Array.from({ length: 1001 }, () => ({}));
    const err = refusal(() => adapt(input({ alerts: many }), opts));
    expect(err.status).toBe(413);
    expect(err.details[0].path).toBe('/alerts');
  });

  it('many bad alerts give a bounded list of details', () => {
    const bad = Array.from({ length: 500 }, () => alert({ instance_id: 'BAD' }));
    const err = refusal(() => adapt(input(am(bad)), opts));
    expect(err.status).toBe(400);
    expect(err.details.length).toBeLessThanOrEqual(51);
    expect(err.details.at(-1)?.message).toContain('more');
  });

  it('__proto__ and constructor labels are just labels', () => {
    const body = `{"alerts":[{"status":"firing","labels":{"__proto__":{"instance_id":"i-evil"},"constructor":"x","instance_id":"i-a"}}]}`;
    const a = ok(input(body));
    expect(a.requests.map(strip)).toEqual([{ regionId: 'cn-qingdao', instanceIds: ['i-a'] }]);
    expect(({} as Record<string, unknown>).instance_id).toBeUndefined();
  });
});

// ---------------------------------------------------------------------------------------
describe('CloudMonitor', () => {
  const form = (fields: Record<string, string>, query: Record<string, string> = {}) =>
    http(new URLSearchParams(fields).toString(), 'application/x-www-form-urlencoded', query);
  const base = {
    alertName: 'cpu',
    alertState: 'ALERT',
    transId: 'tid-1',
    regionId: 'cn-hangzhou',
    dimensions: '{userId=1, instanceId=i-form1}',
    metricName: 'cpu_total',
    curValue: '99',
  };

  it('OK and INSUFFICIENT_DATA are skipped (2xx, nothing stopped) with the instance they name', () => {
    for (const state of ['OK', 'INSUFFICIENT_DATA']) {
      const a = ok(form({ ...base, alertState: state }));
      expect(a.requests).toEqual([]);
      expect(a.skipped).toEqual([{ regionId: 'cn-hangzhou', instanceId: 'i-form1', reason: `alert state ${state}` }]);
      expect(a.dedupeKey).toBe(`cloudmonitor:tid-1:${state}`);
    }
  });

  it('ALARM acts like ALERT; an unknown state is a 400 at /alertState', () => {
    expect(ok(form({ ...base, alertState: 'ALARM' })).requests).toHaveLength(1);
    const err = refusal(() => adapt(form({ ...base, alertState: 'MAYBE' }), opts));
    expect(err.details).toEqual([{ path: '/alertState', message: expect.stringContaining('ALERT') }]);
  });

  it('?invokeId= and command filters come from the callback URL', () => {
    const a = ok(form(base, { invokeId: 't-cm1' }));
    expect(a.requests.map(strip)).toEqual([{ regionId: 'cn-hangzhou', invokeId: 't-cm1', instanceIds: ['i-form1'] }]);
    const b = ok(form(base, { commandName: 'deploy.sh', commandId: 'c-abc' }));
    expect(b.requests.map(strip)).toEqual([{ regionId: 'cn-hangzhou', instanceIds: ['i-form1'], commandId: 'c-abc', commandName: 'deploy.sh' }]);
  });

  it('dimensions as an array of objects (legacy JSON), several instances, bad one pointed at', () => {
    const legacy = { userId: '1', alertName: 'a', timestamp: '1508136760', alertState: 'ALARM' };
    const a = ok(http({ ...legacy, dimensions: [{ instanceId: 'i-a' }, { instanceId: 'i-b' }, { instanceId: 'i-a' }] }, 'application/json', { regionId: 'cn-hangzhou' }));
    expect(a.requests.map(strip)).toEqual([{ regionId: 'cn-hangzhou', instanceIds: ['i-a', 'i-b'] }]);
    const err = refusal(() => adapt(http({ ...legacy, dimensions: [{ instanceId: 'i-a' }, { instanceId: 'rm-notecs' }] }), opts));
    expect(err.details).toEqual([{ path: '/dimensions/1/instanceId', message: expect.stringContaining('pattern') }]);
  });

  it('dimensions as a JSON string, and as text with several groups', () => {
    const asString = ok(http({ alertState: 'ALERT', dimensions: '[{"userId":"1","instanceId":"i-s1"}]', regionId: 'cn-beijing' }));
    expect(asString.requests.map(strip)).toEqual([{ regionId: 'cn-beijing', instanceIds: ['i-s1'] }]);
    const groups = ok(form({ ...base, dimensions: '[{userId=1, instanceId=i-g1}, {userId=1, instanceId=i-g2, device=/dev/vda1}]' }));
    expect(groups.requests.map(strip)).toEqual([{ regionId: 'cn-hangzhou', instanceIds: ['i-g1', 'i-g2'] }]);
  });

  it('"null" values mean absent: region falls back to the query, then the function region', () => {
    const a = ok(form({ ...base, regionId: 'null' }, { regionId: 'cn-shenzhen' }));
    expect(a.requests[0].regionId).toBe('cn-shenzhen');
    const b = ok(form({ ...base, regionId: 'null' }));
    expect(b.requests[0].regionId).toBe('cn-qingdao');
  });

  it('"null" dimensions: with ?invokeId= the invocation is stopped everywhere; without it a 400 says what is missing', () => {
    const a = ok(form({ ...base, dimensions: 'null' }, { invokeId: 't-all' }));
    expect(a.requests.map(strip)).toEqual([{ regionId: 'cn-hangzhou', invokeId: 't-all' }]);
    const err = refusal(() => adapt(form({ ...base, dimensions: 'null' }), opts));
    expect(err.details).toEqual([{ path: '/dimensions', message: expect.stringContaining('invokeId') }]);
  });

  it('legacy callback without transId: dedupe key is a hash of userId, alertName, timestamp, state', () => {
    const i = () => http(sample('cloudmonitor-legacy.json'), 'application/json', { regionId: 'cn-hangzhou' });
    expect(ok(i()).dedupeKey).toBe(ok(i()).dedupeKey);
    const other = JSON.parse(sample('cloudmonitor-legacy.json').toString()) as Record<string, unknown>;
    other.timestamp = '1508136999000';
    expect(ok(http(other, 'application/json', { regionId: 'cn-hangzhou' })).dedupeKey).not.toBe(ok(i()).dedupeKey);
  });

  it('form fields named __proto__ are plain fields', () => {
    const a = ok(http(`__proto__=x&constructor=y&${new URLSearchParams(base).toString()}`, 'application/x-www-form-urlencoded'));
    expect(a.requests).toHaveLength(1);
  });

  it('a form without alertState is a 400 at /alertState', () => {
    const err = refusal(() => adapt(form({ foo: 'bar' }), opts));
    expect(err.details).toEqual([{ path: '/alertState', message: 'is required' }]);
  });
});

// ---------------------------------------------------------------------------------------
describe('EventBridge', () => {
  const custom = () => JSON.parse(sample('eventbridge-custom.json').toString()) as Record<string, unknown>;
  const assistant = () => JSON.parse(sample('eventbridge-cloud-assistant.json').toString()) as Record<string, unknown>;

  it('a batch (array) adapts every event; dedupe key joins source|id', () => {
    const a = ok(input([custom(), assistant()]));
    expect(a.source).toBe('eventbridge');
    expect(a.requests.map(strip)).toEqual([{ regionId: 'cn-shanghai', invokeId: 't-hz0jdfwd9f2a1b', instanceIds: ['i-bp1g6zv0ce8oghu7k4zr'] }]);
    expect(a.guards?.map((g) => [g.request.regionId, g.request.invokeId])).toEqual([['cn-hangzhou', 't-hz0jdfwd9f2a1b']]);
    expect(a.dedupeKey).toBe('eventbridge:ops.rollout|45ef4dew-7c35-447a-bd93-fab0c1d2e3f4,acs.ecs|45ef4dew-1111-447a-bd93-fab0c1d2e3f4');
  });

  it('data stringified by the producer is parsed', () => {
    const e = custom();
    e.data = JSON.stringify(e.data);
    expect(ok(input(e)).requests.map(strip)).toEqual([{ regionId: 'cn-shanghai', invokeId: 't-hz0jdfwd9f2a1b', instanceIds: ['i-bp1g6zv0ce8oghu7k4zr'] }]);
    const b = custom();
    delete b.data;
    b.data_base64 = Buffer.from(JSON.stringify(custom().data)).toString('base64');
    expect(ok(input(b)).requests).toHaveLength(1);
  });

  it('data that is a non-JSON string, missing, or not an object is a 400 at /data', () => {
    for (const data of ['not json', undefined, 42, ['x']]) {
      const e = custom();
      if (data === undefined) delete e.data;
      else e.data = data;
      const err = refusal(() => adapt(input(e), opts));
      expect(err.details.map((d) => d.path)).toEqual(['/data']);
    }
  });

  it('canonical data is strict like the direct source, with paths into the batch', () => {
    const bad = custom();
    bad.data = { regionId: 'cn-shanghai', invokeId: 't-1', instanceIds: ['BAD'], extra: true };
    // In a batch beside a good event: the good one is acted on, the bad one reported.
    const a = ok(input([custom(), bad]));
    expect(a.requests).toHaveLength(1);
    expect(a.unusable).toEqual(
      expect.arrayContaining([
        { path: '/1/data/extra', message: 'is not a known field' },
        { path: '/1/data/instanceIds/0', message: expect.stringContaining('pattern') },
      ]),
    );
    // Nothing usable: refused.
    const err = refusal(() => adapt(input([bad]), opts));
    expect(err.details).toEqual(expect.arrayContaining([{ path: '/0/data/extra', message: 'is not a known field' }]));
  });

  it('canonical data without regionId takes aliyunregionid', () => {
    const e = custom();
    e.data = { invokeId: 't-x' };
    expect(ok(input(e)).requests).toEqual([{ regionId: 'cn-shanghai', invokeId: 't-x' }]);
  });

  it('Cloud Assistant task event: data.regionId beats aliyunregionid; invokeId and invocationStatus are required', () => {
    const e = assistant();
    (e.data as Record<string, unknown>).regionId = 'cn-beijing';
    expect(ok(input(e)).guards?.[0].request.regionId).toBe('cn-beijing');
    const none = assistant();
    none.data = { invocationStatus: 'Failed' };
    expect(refusal(() => adapt(input(none), opts)).details).toEqual([{ path: '/data/invokeId', message: 'is required in a Cloud Assistant task event' }]);
    const noStatus = assistant();
    noStatus.data = { invokeId: 't-abc', instanceId: 'i-only' };
    expect(refusal(() => adapt(input(noStatus), opts)).details).toEqual([{ path: '/data/invocationStatus', message: 'is required in a Cloud Assistant task event' }]);
  });

  it('task events that did not fail are skipped (Success, Cancelled, Terminated): nothing to guard, nothing to stop', () => {
    for (const status of ['Success', 'Cancelled', 'Terminated']) {
      const e = assistant();
      (e.data as Record<string, unknown>).invocationStatus = status;
      const a = ok(input(e));
      expect(a.requests).toEqual([]);
      expect(a.guards).toBeUndefined();
      expect(a.skipped).toEqual([{ regionId: 'cn-hangzhou', invokeId: 't-hz0jdfwd9f2a1b', instanceId: 'i-bp114aaaabbbbccccdddd', reason: expect.stringContaining(`ended ${status}`) }]);
    }
  });

  it('another ECS-shaped event naming only an instance still resolves the live invocations on it', () => {
    const onlyInstance = assistant();
    onlyInstance.type = 'ecs:Instance:Maintenance';
    onlyInstance.data = { instanceId: 'i-only', commandName: 'deploy.sh' };
    expect(ok(input(onlyInstance)).requests.map(strip)).toEqual([{ regionId: 'cn-hangzhou', instanceIds: ['i-only'], commandName: 'deploy.sh' }]);
    const none = assistant();
    none.type = 'ecs:Instance:Maintenance';
    none.data = { note: 'x' };
    expect(refusal(() => adapt(input(none), opts)).details).toEqual([{ path: '/data', message: 'carries neither invokeId nor instanceId' }]);
  });

  it('the envelope is checked: specversion 1.0, id, source, type; aliyunpublishtime is not a date-time', () => {
    const e = custom();
    e.specversion = '0.3';
    delete e.id;
    const err = refusal(() => adapt(input(e), opts));
    expect(err.details.map((d) => d.path).sort()).toEqual(['/id', '/specversion']);
    expect(custom().aliyunpublishtime).toMatch(/PRC$/);
  });

  it('an empty batch is a 400; more than 100 events is a 413', () => {
    expect(refusal(() => adapt(input([]), opts)).status).toBe(400);
    const err = refusal(() => adapt(input(Array.from({ length: 101 }, () => custom())), opts));
    expect(err.status).toBe(413);
  });

  it('two task events of one invocation both reach the guard stage (which evaluates the invocation once)', () => {
    const a = assistant();
    const b = assistant();
    b.id = 'other';
    const r = ok(input([a, b]));
    expect(r.requests).toEqual([]);
    expect(r.guards?.map((g) => [g.request.invokeId, g.events[0].id])).toEqual([
      ['t-hz0jdfwd9f2a1b', '45ef4dew-1111-447a-bd93-fab0c1d2e3f4'],
      ['t-hz0jdfwd9f2a1b', 'other'],
    ]);
  });
});

// ---------------------------------------------------------------------------------------
describe('timer trigger', () => {
  const timer = (payload: string) => input(payload, { trigger: 'timer' });

  it('an empty payload is a 400 that says what the payload must be', () => {
    const err = refusal(() => adapt(timer(''), opts));
    expect(err.status).toBe(400);
    expect(err.details[0].path).toBe('/payload');
    expect(err.details[0].message).toContain('"action":"sweep"');
    expect(refusal(() => adapt(timer('awesome-fc'), opts)).details[0].message).toContain('maxRunningSeconds');
  });

  it('a canonical request as the payload is a scheduled stop (direct)', () => {
    const a = ok(timer(JSON.stringify({ invokeId: 't-nightly' })));
    expect(a.source).toBe('direct');
    expect(a.requests).toEqual([{ regionId: 'cn-qingdao', invokeId: 't-nightly' }]);
  });

  it('a sweep without regionIds sweeps the function region; bad values point into /payload', () => {
    expect(ok(timer('{"action":"sweep","maxRunningSeconds":7200}')).sweep).toEqual({ action: 'sweep', regionIds: ['cn-qingdao'], maxRunningSeconds: 7200 });
    const err = refusal(() => adapt(timer('{"action":"sweep","regionIds":["cn-hangzhou"],"maxRunningSeconds":5}'), opts));
    expect(err.details).toEqual([{ path: '/payload/maxRunningSeconds', message: 'must be >= 60' }]);
  });

  it('a payload that is neither a sweep nor a stop request gets the recipe', () => {
    const err = refusal(() => adapt(timer('{"hello":"world"}'), opts));
    expect(err.details.at(-1)).toEqual({ path: '/payload', message: expect.stringContaining('"action":"sweep"') });
  });

  it('a timer run is keyed by trigger name and time (FC retrying the same run repeats both)', () => {
    const a = ok(fromFcEvent(sample('timer-sweep.json')));
    expect(a.sweep?.maxRunningSeconds).toBe(3600);
    expect(a.dedupeKey).toBe('timer:watchdog@2026-11-24T07:49:00Z');
  });

  it('?source=sweep over HTTP, with ?dryRun', () => {
    const a = ok(http({ action: 'sweep', regionIds: ['cn-hangzhou'], maxRunningSeconds: 600 }, 'application/json', { source: 'sweep', dryRun: 'true' }));
    expect(a.sweep?.dryRun).toBe(true);
  });
});

// ---------------------------------------------------------------------------------------
describe('hostile input never throws anything but a RequestError', () => {
  const triggers: TriggerKind[] = ['http', 'event', 'timer'];
  const keys = fc.constantFrom(
    'alerts', 'labels', 'annotations', 'status', 'fingerprint', 'startsAt', 'groupKey', 'orgId', 'state', 'title', 'values',
    'specversion', 'id', 'source', 'type', 'data', 'data_base64', 'aliyunregionid', 'alertState', 'dimensions', 'transId',
    'regionId', 'invokeId', 'instanceIds', 'instanceId', 'invoke_id', 'instance_id', 'region_id', 'instance', 'action',
    'regionIds', 'maxRunningSeconds', 'commandName', '__proto__', 'constructor', 'toString',
  );
  const leaf = fc.oneof(
    fc.constantFrom('i-abc', 'i-abc:9100', 't-abc', 'c-abc', 'cn-hangzhou', 'firing', 'resolved', 'ALERT', 'OK', '1.0', 'null', '', 'sweep', '{userId=1, instanceId=i-x}', '[{"instanceId":"i-y"}]'),
    fc.string(),
    fc.integer(),
    fc.boolean(),
    fc.constant(null),
  );
  const value: fc.Arbitrary<unknown> = fc.letrec((tie) => ({
    node: fc.oneof({ depthSize: 'small' }, leaf, fc.array(tie('node'), { maxLength: 4 }), fc.dictionary(fc.oneof(keys, fc.string()), tie('node'), { maxKeys: 6 })),
  })).node;
  const body = fc.oneof(
    value.map((v) => Buffer.from(JSON.stringify(v) ?? 'null')),
    fc.uint8Array({ maxLength: 256 }).map((b) => Buffer.from(b)),
    fc.string().map((s) => Buffer.from(s)),
    fc.dictionary(fc.oneof(keys, fc.string()), fc.oneof(leaf.map(String), fc.string())).map((d) => Buffer.from(new URLSearchParams(d as Record<string, string>).toString())),
  );
  const query = fc.dictionary(fc.constantFrom('source', 'regionId', 'invokeId', 'instanceId', 'dryRun', 'commandId', '__proto__'), fc.oneof(leaf.map(String), fc.constantFrom('alertmanager', 'grafana', 'cloudmonitor', 'eventbridge', 'direct', 'sweep', 'arms')), { maxKeys: 3 });
  const contentType = fc.constantFrom('application/json', 'application/cloudevents+json', 'application/x-www-form-urlencoded', 'text/plain', 'text/html', '');

  it('random payloads: a valid Adapted or a RequestError (400/413/415)', () => {
    fc.assert(
      fc.property(fc.constantFrom(...triggers), body, contentType, query, fc.constantFrom<string | undefined>('cn-hangzhou', undefined), (trigger, b, ct, q, region) => {
        const i: SourceInput = { trigger, body: b, contentType: trigger === 'http' ? ct : '', query: trigger === 'http' ? (q as Record<string, string>) : {}, headers: {} };
        try {
          invariants(adapt(i, { defaultRegion: region }));
        } catch (err) {
          if (!(err instanceof RequestError)) throw err;
          // node:assert in the properties, for the reason invariants() gives.
          assert.ok([400, 413, 415].includes(err.status), `status ${err.status}`);
          assert.ok(err.details.every((d) => typeof d.path === 'string' && typeof d.message === 'string'), JSON.stringify(err.details)); // a refusal may have no details
          if (err.message.startsWith('payload could not be read')) throw new Error(`safety net hit: ${JSON.stringify(err.details)}`);
        }
      }),
      { numRuns: ADAPTER_RUNS },
    );
    expect(({} as Record<string, unknown>).polluted).toBeUndefined();
  });

  it('random alert groups: every firing target is covered exactly once, resolved ones never collide', () => {
    const id = (prefix: string) => fc.constantFrom(`${prefix}-a`, `${prefix}-b`, `${prefix}-c`, 'null', '');
    const labels = fc.record(
      { instance_id: id('i'), invoke_id: id('t'), region_id: fc.constantFrom('cn-hangzhou', 'cn-beijing', 'null'), command_name: fc.constantFrom('deploy.sh', 'null') },
      { requiredKeys: [] },
    );
    const alertArb = fc.record({ status: fc.constantFrom('firing', 'resolved'), labels, fingerprint: fc.constantFrom('', 'aa', 'bb'), startsAt: fc.constant('2026-01-01T00:00:00Z') });
    fc.assert(
      fc.property(fc.array(alertArb, { maxLength: 12 }), (alerts) => {
        let a: Adapted;
        try {
          a = adapt(input({ alerts }), { defaultRegion: 'cn-shanghai' });
        } catch (err) {
          assert.ok(err instanceof RequestError, String(err));
          return;
        }
        invariants(a);
        const present = (v?: string) => (v && v !== 'null' ? v : undefined);
        for (const [i, al] of alerts.entries()) {
          if (al.status !== 'firing' || a.unusable?.some((d) => d.path.startsWith(`/alerts/${i}/`) || d.path === `/alerts/${i}`)) continue;
          const region = present(al.labels.region_id) ?? 'cn-shanghai';
          const inst = present(al.labels.instance_id);
          const inv = present(al.labels.invoke_id);
          const covered = a.requests.some(
            (r) => r.regionId === region && ((inst && r.instanceIds?.includes(inst)) || (!r.instanceIds && r.invokeId === inv)),
          );
          assert.ok(covered, JSON.stringify({ al, requests: a.requests }));
        }
      }),
      { numRuns: 2000 },
    );
  });

  it('huge arrays and deep nesting are refused (no hang: the suite timeout bounds it)', () => {
    expect(refusal(() => adapt(input({ alerts: Array.from({ length: 100000 }, () => 0) }), opts)).status).toBe(413);
    expect(refusal(() => adapt(input(Array.from({ length: 50000 }, () => ({ specversion: '1.0' }))), opts)).status).toBe(413);
    expect(refusal(() => adapt(input('['.repeat(5000) + ']'.repeat(5000)), opts)).status).toBe(400);
    expect(refusal(() => adapt(input({ alertState: 'ALERT', dimensions: '{a=b}'.repeat(20000) }), opts)).status).toBe(400);
  });
});

describe('schemas', () => {
  it('every source schema compiles in strict mode and stays open to unknown fields', () => {
    for (const schema of sourceSchemas) {
      const v = validatorFor(schema);
      expect(typeof v).toBe('function');
      expect('additionalProperties' in schema).toBe(false);
    }
  });
});
