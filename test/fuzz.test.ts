import assert from 'node:assert/strict';
import { createHmac } from 'node:crypto';
import fc from 'fast-check';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startStack, TOKEN, type Stack } from './helpers/stack.js';
import { FUZZ_RUNS } from './helpers/volume.js';
import { anyCodePoint } from './helpers/arbitraries.js';

// Hostile input through the real handler: whatever arrives, the answer is a 4xx (or a 2xx
// for a payload that really is harmless) with the error shape, never a 5xx, never a crash,
// never an ECS call, and no secret in any log line.

let stack: Stack;

beforeAll(async () => {
  stack = await startStack();
  stack.emu.reset();
});
afterAll(async () => {
  await stack.close();
});

interface HttpResult {
  statusCode: number;
  headers: Record<string, string>;
  body: string;
}

const contentTypes = fc.constantFrom(
  'application/json',
  'application/json; charset=utf-8',
  'application/cloudevents+json',
  'application/x-www-form-urlencoded',
  'text/plain',
  'text/html',
  'application/octet-stream',
  'multipart/form-data; boundary=x',
  '',
  'application/json; charset=latin1',
);

/** JSON with the keys our adapters read, so the fuzz gets past the first check. */
const knownKeys = fc.constantFrom(
  'regionId', 'invokeId', 'instanceIds', 'commandId', 'commandName', 'dryRun', 'reason', 'alerts', 'labels', 'annotations',
  'status', 'fingerprint', 'startsAt', 'groupKey', 'version', 'orgId', 'state', 'specversion', 'id', 'source', 'type', 'data',
  'aliyunregionid', 'alertState', 'dimensions', 'instanceId', 'invoke_id', 'instance_id', 'region_id', '__proto__', 'constructor',
  'prototype', 'toString', 'hasOwnProperty',
);
const value: fc.Arbitrary<unknown> = fc.letrec((tie) => ({
  node: fc.oneof(
    { depthSize: 'small', withCrossShrink: true },
    fc.oneof(fc.string(), fc.constantFrom('i-abc', 't-abc', 'cn-hangzhou', 'firing', 'resolved', 'ALERT', '1.0', 'null', '')),
    fc.integer(),
    fc.double(),
    fc.boolean(),
    fc.constant(null),
    fc.array(tie('node'), { maxLength: 5 }),
    fc.dictionary(fc.oneof(knownKeys, fc.string()), tie('node'), { maxKeys: 6 }),
  ),
})).node;

// The two large constants are drawn a few dozen times per run, not one time in ten: their
// cost is parsing, and it was most of this file's CPU without finding anything more.
const body = fc.oneof(
  { arbitrary: value.map((v) => JSON.stringify(v) ?? 'null'), weight: 8 },
  { arbitrary: fc.json(), weight: 8 },
  { arbitrary: fc.string({ unit: anyCodePoint }), weight: 8 },
  { arbitrary: fc.uint8Array({ maxLength: 512 }).map((b) => Buffer.from(b).toString('latin1')), weight: 8 },
  { arbitrary: fc.integer({ min: 1, max: 3000 }).map((n) => '['.repeat(n) + ']'.repeat(n)), weight: 8 },
  { arbitrary: fc.integer({ min: 1, max: 3000 }).map((n) => '{"a":'.repeat(n) + '1' + '}'.repeat(n)), weight: 8 },
  { arbitrary: fc.constant(JSON.stringify({ regionId: 'cn-hangzhou', instanceIds: Array.from({ length: 20000 }, (_, i) => `i-${i}`) })), weight: 1 },
  { arbitrary: fc.constant('{"__proto__":{"polluted":true},"constructor":{"prototype":{"polluted":true}}}'), weight: 8 },
  { arbitrary: fc.constant('x'.repeat(300 * 1024)), weight: 1 },
  { arbitrary: fc.constant('\uD800\uDFFF\uFFFE'), weight: 8 },
);

/** Real parameter names, their near misses, and junk; values that are valid, typos, lists and junk. */
const queryNames = fc.oneof(
  fc.constantFrom('source', 'regionId', 'region_id', 'dryRun', 'dryrun', 'dry_run', 'DryRun', 'token', 'invokeId', 'instanceId', 'instance_id', 'commandName', 'commandId', 'x', '__proto__'),
  fc.string({ maxLength: 12 }),
);
const queryValues = fc.oneof(
  fc.constantFrom('true', 'false', '1', 'on', '', 'true,false', 'cn-hangzhou', 'cn-shanghai', 't-abc', 'i-abc', 'i-abc,i-def', 'direct', 'alertmanager', 'sweep', TOKEN),
  fc.string({ maxLength: 40 }),
);

const event = fc.record({
  method: fc.constantFrom('POST', 'POST', 'POST', 'GET', 'PUT', 'DELETE', 'OPTIONS'),
  contentType: contentTypes,
  body,
  base64: fc.constantFrom(false, false, true, 'yes' as unknown as boolean),
  encodeAsBase64: fc.boolean(),
  auth: fc.constantFrom(`Bearer ${TOKEN}`, `Bearer ${TOKEN}`, 'Bearer nope-nope-nope', `Basic ${Buffer.from('u:p').toString('base64')}`, ''),
  query: fc.dictionary(queryNames, queryValues, { maxKeys: 3 }),
  extraHeaders: fc.dictionary(fc.constantFrom('webhook-id', 'webhook-timestamp', 'webhook-signature', 'x-grafana-alerting-signature', 'idempotency-key'), fc.string(), { maxKeys: 3 }),
});

type FuzzEvent = typeof event extends fc.Arbitrary<infer T> ? T : never;

function toFcEvent(e: FuzzEvent): Buffer {
  const raw = Buffer.from(e.body, 'utf8');
  return Buffer.from(
    JSON.stringify({
      version: 'v1',
      rawPath: '/stop',
      headers: { 'Content-Type': e.contentType, Authorization: e.auth, ...e.extraHeaders },
      queryParameters: e.query,
      body: e.encodeAsBase64 ? raw.toString('base64') : e.body,
      isBase64Encoded: e.base64,
      requestContext: { accountId: '1', domainName: 'x', requestId: 'r', http: { method: e.method, path: '/stop', sourceIp: '127.0.0.1' } },
    }),
  );
}

/** StopInvocation/DescribeInvocations calls the emulator received while `run` ran. */
async function ecsCallsDuring<T>(run: () => Promise<T>): Promise<{ value: T; calls: number }> {
  const before = stack.emu.requests({ service: 'ecs' }).length;
  const value = await run();
  return { value, calls: stack.emu.requests({ service: 'ecs' }).length - before };
}

// A random payload is occasionally a valid request by chance ({"invokeId":"t-abc"} with the
// region defaulted): that one may reach ECS. What must hold is that nothing refused did.
const OUTCOMES = ['stopped', 'partial', 'failed', 'rejected', 'dry-run', 'ignored', 'duplicate'];

describe('hostile input', () => {
  it(`HTTP trigger: ${FUZZ_RUNS} random requests → never 5xx, always the error shape, a refused one never reaches ECS`, async () => {
    let refused = 0;
    await fc.assert(
      fc.asyncProperty(event, async (e) => {
        const { value: res, calls } = await ecsCallsDuring(async () => (await stack.fn.handler(toFcEvent(e), { requestId: 'fuzz' })) as HttpResult);
        // node:assert inside the properties: an `expect` costs ~13 µs of CPU (vitest counts
        // each one), and these run thousands of times; the checks themselves cost nothing.
        assert.ok(res.statusCode < 500, `status ${res.statusCode}: ${res.body.slice(0, 300)}`);
        const parsed = JSON.parse(res.body) as { data?: { outcome?: string; error?: { code: unknown; message: unknown } } };
        if (res.statusCode >= 400) {
          assert.equal(typeof parsed.data?.error?.code, 'string');
          assert.equal(typeof parsed.data?.error?.message, 'string');
        }
        if (parsed.data?.outcome === 'rejected') {
          refused++;
          assert.equal(calls, 0, 'ECS calls for a refused request');
        }
      }),
      { numRuns: FUZZ_RUNS },
    );
    expect(refused).toBeGreaterThan(FUZZ_RUNS * 0.9);
    expect(({} as Record<string, unknown>).polluted).toBeUndefined();
  });

  it(`event invocation: ${FUZZ_RUNS} random payloads → never thrown, a refused one never reaches ECS`, async () => {
    let refused = 0;
    await fc.assert(
      fc.asyncProperty(fc.oneof(body, value.map((v) => JSON.stringify(v) ?? '')), async (payload) => {
        const { value: result, calls } = await ecsCallsDuring(
          async () => (await stack.fn.handler(Buffer.from(payload, 'utf8'), { requestId: 'fuzz' })) as { data: { outcome: string } },
        );
        assert.ok(OUTCOMES.includes(result.data.outcome), `outcome ${result.data.outcome}`);
        if (result.data.outcome === 'rejected') {
          refused++;
          assert.equal(calls, 0, 'ECS calls for a refused request');
        }
      }),
      { numRuns: FUZZ_RUNS },
    );
    expect(refused).toBeGreaterThan(FUZZ_RUNS * 0.9);
  });

  it(`timer invocation: ${Math.floor(FUZZ_RUNS / 2)} random payload strings → never thrown, a refused one never reaches ECS`, async () => {
    let refused = 0;
    await fc.assert(
      fc.asyncProperty(fc.oneof(fc.string(), value.map((v) => JSON.stringify(v) ?? '')), async (payload) => {
        const { value: result, calls } = await ecsCallsDuring(
          async () =>
            (await stack.fn.handler(Buffer.from(JSON.stringify({ triggerTime: 'x', triggerName: 'w', payload })), { requestId: 'fuzz' })) as {
              data: { outcome: string };
            },
        );
        assert.ok(OUTCOMES.includes(result.data.outcome), `outcome ${result.data.outcome}`);
        if (result.data.outcome === 'rejected') {
          refused++;
          assert.equal(calls, 0, 'ECS calls for a refused request');
        }
      }),
      { numRuns: Math.floor(FUZZ_RUNS / 2) },
    );
    expect(refused).toBeGreaterThan((FUZZ_RUNS / 2) * 0.9);
  });

  it('no secret reached any log line during the fuzz', () => {
    const text = stack.lines.join('');
    expect(stack.lines.length).toBeGreaterThan(FUZZ_RUNS);
    expect(text).not.toContain(TOKEN);
    expect(text).not.toContain(stack.emu.keys.accessKeySecret);
  });
});

// HMAC signatures cover the body, never the URL (README "Security model"): whatever the query
// says, a signature-admitted request either does exactly what its signed body says (no
// query) or is refused before any ECS call.
describe('query string under every authentication method', () => {
  const SW_SECRET = 'whsec_' + Buffer.from('fuzz-query-key-0123456789abcdef').toString('base64');
  const GRAFANA_SECRET = 'fuzz-grafana-secret-0001';
  let signed: Stack;

  beforeAll(async () => {
    signed = await startStack({ WEBHOOK_SECRETS: `${SW_SECRET},${GRAFANA_SECRET}` });
  });
  afterAll(async () => {
    await signed.close();
  });

  const bodies = fc.constantFrom(
    JSON.stringify({ regionId: 'cn-hangzhou', invokeId: 't-fuzzquery0001', dryRun: true }),
    JSON.stringify({ alerts: [{ status: 'firing', labels: { alertname: 'x' }, startsAt: '2026-12-01T00:00:00Z' }] }),
    JSON.stringify({ alerts: [{ status: 'resolved', labels: { invoke_id: 't-fuzzquery0002' } }] }),
  );
  const methods = fc.constantFrom('standard-webhooks', 'grafana-hmac', 'bearer', 'url-token', 'none');

  function headersFor(method: string, body: string): Record<string, string> {
    const ts = String(Math.floor(Date.now() / 1000));
    switch (method) {
      case 'standard-webhooks': {
        const sig = createHmac('sha256', Buffer.from(SW_SECRET.slice(6), 'base64')).update(`m1.${ts}.${body}`).digest('base64');
        return { 'webhook-id': 'm1', 'webhook-timestamp': ts, 'webhook-signature': `v1,${sig}` };
      }
      case 'grafana-hmac':
        return { 'x-grafana-alerting-signature': createHmac('sha256', GRAFANA_SECRET).update(body).digest('hex') };
      case 'bearer':
        return { authorization: `Bearer ${TOKEN}` };
      default:
        return {};
    }
  }

  it(`${Math.floor(FUZZ_RUNS / 4)} random query strings: a refused request never reaches ECS, an HMAC-admitted one never takes targets from the URL`, async () => {
    let hmacWithQuery = 0;
    await fc.assert(
      fc.asyncProperty(bodies, methods, fc.dictionary(queryNames, queryValues, { maxKeys: 3 }), async (body, method, query) => {
        const q = { ...query };
        if (method === 'url-token') q.token = TOKEN;
        // A valid ?token= beside a signature admits the URL too: that is the token case, not this one.
        if (method === 'standard-webhooks' || method === 'grafana-hmac') delete q.token;
        const raw = Buffer.from(
          JSON.stringify({
            version: 'v1',
            rawPath: '/stop',
            headers: { 'Content-Type': 'application/json', ...headersFor(method, body) },
            queryParameters: q,
            body,
            isBase64Encoded: false,
            requestContext: { accountId: '1', domainName: 'x', requestId: 'r', http: { method: 'POST', path: '/stop', sourceIp: '127.0.0.1' } },
          }),
        );
        const before = signed.emu.requests({ service: 'ecs' }).length;
        const res = (await signed.fn.handler(raw, { requestId: 'fuzz-q' })) as HttpResult;
        const calls = signed.emu.requests({ service: 'ecs' }).length - before;
        const parsed = JSON.parse(res.body) as { data: { outcome: string; error?: { code: string } } };
        assert.ok(res.statusCode < 500, `status ${res.statusCode}: ${res.body.slice(0, 300)}`);
        if (parsed.data.outcome === 'rejected') assert.equal(calls, 0, 'ECS calls for a refused request');
        const steering = Object.keys(query).filter((k) => k !== 'token');
        if ((method === 'standard-webhooks' || method === 'grafana-hmac') && steering.length > 0) {
          hmacWithQuery++;
          assert.equal(parsed.data.outcome, 'rejected');
          assert.ok(['QueryNotSigned', 'InvalidQuery'].includes(parsed.data.error?.code ?? ''), `error code ${parsed.data.error?.code}`);
          assert.equal(calls, 0, 'ECS calls for a signed request with a query');
        }
      }),
      { numRuns: Math.floor(FUZZ_RUNS / 4) },
    );
    expect(hmacWithQuery).toBeGreaterThan(FUZZ_RUNS / 20);
  });
});
