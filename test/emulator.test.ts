import http from 'node:http';
import { createHash } from 'node:crypto';
import { afterAll, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import EcsModule, {
  DescribeInvocationResultsRequest,
  DescribeInvocationsRequest,
  InvokeCommandRequest,
  RunCommandRequest,
  RunCommandRequestTag,
  StopInvocationRequest,
} from '@alicloud/ecs20140526';
import OpenApiModule, { $OpenApiUtil, OpenApiUtil } from '@alicloud/openapi-core';
import CredentialModule, {
  RAMRoleARNCredentialsProvider,
  StaticAKCredentialsProvider,
  StaticSTSCredentialsProvider,
} from '@alicloud/credentials';
import EventBridgeModule, { CloudEvent, Config as EventBridgeConfig } from '@alicloud/eventbridge';
import { startEmulator, type Emulator, type InvocationState } from '../emulator/index.js';
import { adminClient, AdminError } from '../emulator/admin-client.js';
import { startStack } from './helpers/stack.js';

// The emulator, driven by the real Alibaba Cloud SDKs over real HTTP(S): signatures are
// computed by the SDKs and verified by the emulator, never stubbed.

/**
 * The SDKs are CommonJS with `exports.default = Client`. Node's ESM loader (tsx, npm start)
 * makes the default import `module.exports`; vitest unwraps `.default` itself. Accept both.
 */
function cjsDefault<T>(mod: { default: T }): T {
  const inner = (mod as unknown as { default?: unknown }).default;
  return (typeof inner === 'function' ? inner : mod) as T;
}

const EcsClient = cjsDefault(EcsModule);
const OpenApiClient = cjsDefault(OpenApiModule);
const Credential = cjsDefault(CredentialModule);
const EventBridgeClient = cjsDefault(EventBridgeModule);

type EcsClientT = InstanceType<typeof EcsClient>;

interface SdkError {
  code?: string;
  statusCode?: number;
  message?: string;
  retryAfter?: number;
  data?: Record<string, unknown>;
}

let emu: Emulator;

beforeAll(async () => {
  emu = await startEmulator();
});

afterAll(async () => {
  await emu?.close();
});

beforeEach(() => {
  emu.reset();
});

function ecs(keys: { accessKeyId: string; accessKeySecret: string; securityToken?: string } = emu.keys): EcsClientT {
  return new EcsClient(
    new $OpenApiUtil.Config({ ...keys, endpoint: emu.ecsEndpoint, protocol: 'http', regionId: 'cn-hangzhou' }),
  );
}

async function sdkError(promise: Promise<unknown>): Promise<SdkError> {
  try {
    await promise;
  } catch (err) {
    return err as SdkError;
  }
  throw new Error('expected the call to fail');
}

function stop(invokeId: string, instanceId?: string[], regionId = 'cn-hangzhou') {
  return new StopInvocationRequest({ regionId, invokeId, instanceId });
}

function statuses(state: InvocationState | undefined): string[] {
  return state!.instances.map((i) => i.status);
}

// ---------------------------------------------------------------------------------------
// Raw requests, signed by the SDK's own signer, so they can be altered after signing.

interface RawResponse {
  status: number;
  headers: http.IncomingHttpHeaders;
  body: Record<string, unknown>;
}

function send(endpoint: string, method: string, path: string, headers: Record<string, string>, body = ''): Promise<RawResponse> {
  const [hostname, port] = endpoint.split(':') as [string, string];
  return new Promise((resolve, reject) => {
    const req = http.request({ hostname, port: Number(port), method, path, headers }, (res) => {
      const chunks: Buffer[] = [];
      res.on('data', (c: Buffer) => chunks.push(c));
      res.on('end', () => {
        const text = Buffer.concat(chunks).toString('utf8');
        resolve({ status: res.statusCode ?? 0, headers: res.headers, body: text ? (JSON.parse(text) as Record<string, unknown>) : {} });
      });
    });
    req.on('error', reject);
    req.end(body);
  });
}

function querystring(query: Record<string, string>): string {
  return new URLSearchParams(query).toString().replace(/\+/g, '%20');
}

interface Signed {
  path: string;
  headers: Record<string, string>;
}

/** A V3 (ACS3-HMAC-SHA256) RPC request signed with openapi-core's getAuthorization. */
function signAcs3(action: string, query: Record<string, string>, opts: { secret?: string; date?: string; body?: string } = {}): Signed {
  const body = opts.body ?? '';
  const headers: Record<string, string> = {
    host: emu.ecsEndpoint,
    'x-acs-version': '2014-05-26',
    'x-acs-action': action,
    'x-acs-date': opts.date ?? OpenApiUtil.getTimestamp(),
    'x-acs-signature-nonce': OpenApiUtil.getNonce(),
    'x-acs-content-sha256': createHash('sha256').update(body).digest('hex'),
  };
  if (body) headers['content-type'] = 'application/x-www-form-urlencoded';
  const request = { method: 'POST', pathname: '/', query, headers };
  headers['Authorization'] = OpenApiUtil.getAuthorization(
    request as unknown as Parameters<typeof OpenApiUtil.getAuthorization>[0],
    'ACS3-HMAC-SHA256',
    headers['x-acs-content-sha256']!,
    emu.keys.accessKeyId,
    opts.secret ?? emu.keys.accessKeySecret,
  );
  return { path: `/?${querystring(query)}`, headers };
}

/** A V1 (HMAC-SHA1) RPC request signed with openapi-core's getRPCSignature. */
function signV1(method: string, params: Record<string, string>): Record<string, string> {
  const all: Record<string, string> = {
    Format: 'JSON',
    Version: '2014-05-26',
    AccessKeyId: emu.keys.accessKeyId,
    SignatureMethod: 'HMAC-SHA1',
    SignatureVersion: '1.0',
    SignatureNonce: OpenApiUtil.getNonce(),
    Timestamp: OpenApiUtil.getTimestamp(),
    ...params,
  };
  return { ...all, Signature: OpenApiUtil.getRPCSignature(all, method, emu.keys.accessKeySecret) };
}

// ---------------------------------------------------------------------------------------

describe('StopInvocation through the ECS SDK', () => {
  it('stops Running instances and cancels Pending ones; the log records the signed call', async () => {
    const inv = emu.seedInvocation({
      instances: [{ instanceId: 'i-run1' }, { instanceId: 'i-run2' }, { instanceId: 'i-pend', status: 'Pending' }],
    });
    const res = await ecs().stopInvocation(stop(inv.invokeId));
    expect(res.statusCode).toBe(200);
    expect(res.body?.requestId).toMatch(/^[0-9A-F-]{36}$/);
    expect(res.headers?.['x-acs-request-id']).toBe(res.body?.requestId);
    const after = emu.getInvocation(inv.invokeId);
    expect(statuses(after)).toEqual(['Stopped', 'Stopped', 'Cancelled']);
    expect(after!.invocationStatus).toBe('Stopped');
    expect(after!.instances[0]!.stopTime).toMatch(/^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\dZ$/);
    const [logged] = emu.requests({ service: 'ecs', action: 'StopInvocation' });
    expect(logged).toMatchObject({
      accessKeyId: emu.keys.accessKeyId,
      securityToken: false,
      signatureValid: true,
      status: 200,
      params: { RegionId: 'cn-hangzhou', InvokeId: inv.invokeId },
    });
  });

  it('stops only the named instances, is idempotent, and leaves finished ones alone', async () => {
    const inv = emu.seedInvocation({
      instances: [{ instanceId: 'i-a' }, { instanceId: 'i-b' }, { instanceId: 'i-c', status: 'Success' }],
    });
    await ecs().stopInvocation(stop(inv.invokeId, ['i-a', 'i-c']));
    expect(statuses(emu.getInvocation(inv.invokeId))).toEqual(['Stopped', 'Running', 'Success']);
    expect(emu.getInvocation(inv.invokeId)!.invocationStatus).toBe('Running');
    await ecs().stopInvocation(stop(inv.invokeId, ['i-a']));
    expect(statuses(emu.getInvocation(inv.invokeId))).toEqual(['Stopped', 'Running', 'Success']);
    expect(emu.requests({ action: 'StopInvocation' })[1]!.params).toMatchObject({ 'InstanceId.1': 'i-a' });
  });

  it('keeps an instance that ignores the stop Running, so verification can tell', async () => {
    const inv = emu.seedInvocation({ instances: [{ instanceId: 'i-stubborn', ignoresStop: true }, { instanceId: 'i-ok' }] });
    await ecs().stopInvocation(stop(inv.invokeId));
    const after = emu.getInvocation(inv.invokeId)!;
    expect(statuses(after)).toEqual(['Running', 'Stopped']);
    expect(after.invocationStatus).toBe('Running');
  });

  it('shows Stopping for stopLatencyMs, then Stopped', async () => {
    emu.configure({ stopLatencyMs: 150 });
    const inv = emu.seedInvocation({ instances: [{ instanceId: 'i-slow' }] });
    await ecs().stopInvocation(stop(inv.invokeId));
    expect(emu.getInvocation(inv.invokeId)!.invocationStatus).toBe('Stopping');
    await expect.poll(() => emu.getInvocation(inv.invokeId)!.invocationStatus).toBe('Stopped');
    const after = emu.getInvocation(inv.invokeId)!;
    expect(after.invocationStatus).toBe('Stopped');
    expect(after.instances[0]!.status).toBe('Stopped');
  });

  it('stops a periodic invocation for good', async () => {
    const inv = emu.seedInvocation({
      repeatMode: 'Period',
      instances: [{ instanceId: 'i-p1', status: 'Success' }, { instanceId: 'i-p2', status: 'Scheduled' }],
    });
    // A schedule that has not ended stays Running overall, whatever its instances show between
    // runs (https://www.alibabacloud.com/help/en/ecs/developer-reference/api-ecs-2014-05-26-describeinvocations).
    expect(inv.invocationStatus).toBe('Running');
    await ecs().stopInvocation(stop(inv.invokeId));
    const after = emu.getInvocation(inv.invokeId)!;
    expect(after.invocationStatus).toBe('Stopped');
    expect(statuses(after)).toEqual(['Success', 'Cancelled']);
  });
});

describe('signature verification', () => {
  it('refuses a wrong secret with SignatureDoesNotMatch and changes nothing', async () => {
    const inv = emu.seedInvocation({ instances: [{ instanceId: 'i-x' }] });
    const err = await sdkError(ecs({ accessKeyId: emu.keys.accessKeyId, accessKeySecret: 'wrong' }).stopInvocation(stop(inv.invokeId)));
    expect(err).toMatchObject({ code: 'SignatureDoesNotMatch', statusCode: 400 });
    expect(err.data?.['RequestId']).toBeTruthy();
    expect(err.data?.['HostId']).toBe('ecs.aliyuncs.com');
    expect(statuses(emu.getInvocation(inv.invokeId))).toEqual(['Running']);
    expect(emu.requests({ action: 'StopInvocation' })[0]).toMatchObject({ signatureValid: false, status: 400, code: 'SignatureDoesNotMatch' });
  });

  it('refuses an unknown access key', async () => {
    const err = await sdkError(ecs({ accessKeyId: 'LTAI5tNobodyHasThisKey00', accessKeySecret: 'x' }).stopInvocation(stop('t-1')));
    expect(err).toMatchObject({ code: 'InvalidAccessKeyId.NotFound', statusCode: 404 });
  });

  it('accepts a request signed by the SDK signer and refuses it once altered', async () => {
    const inv = emu.seedInvocation({ instances: [{ instanceId: 'i-1' }] });
    const other = emu.seedInvocation({ instances: [{ instanceId: 'i-2' }] });
    const query = { RegionId: 'cn-hangzhou', InvokeId: inv.invokeId };

    // A signed parameter changed after signing: the request would stop another invocation.
    const a = signAcs3('StopInvocation', query);
    const tamperedQuery = await send(emu.ecsEndpoint, 'POST', a.path.replace(inv.invokeId, other.invokeId), a.headers);
    expect(tamperedQuery.status).toBe(400);
    expect(tamperedQuery.body['Code']).toBe('SignatureDoesNotMatch');

    // A parameter added after signing.
    const b = signAcs3('StopInvocation', query);
    const added = await send(emu.ecsEndpoint, 'POST', `${b.path}&InstanceId.1=i-1`, b.headers);
    expect(added.body['Code']).toBe('SignatureDoesNotMatch');

    // A signed header changed after signing.
    const c = signAcs3('StopInvocation', query);
    const tamperedHeader = await send(emu.ecsEndpoint, 'POST', c.path, { ...c.headers, 'x-acs-action': 'DescribeInvocations' });
    expect(tamperedHeader.body['Code']).toBe('SignatureDoesNotMatch');

    // An x-acs header slipped in unsigned.
    const d = signAcs3('StopInvocation', query);
    const unsigned = await send(emu.ecsEndpoint, 'POST', d.path, { ...d.headers, 'x-acs-extra': '1' });
    expect(unsigned.body['Code']).toBe('IncompleteSignature');

    // A body other than the one whose hash was signed.
    const e = signAcs3('StopInvocation', { RegionId: 'cn-hangzhou' }, { body: `InvokeId=${inv.invokeId}` });
    const swapped = await send(emu.ecsEndpoint, 'POST', e.path, e.headers, `InvokeId=${other.invokeId}`);
    expect(swapped.body['Code']).toBe('SignatureDoesNotMatch');

    expect(emu.getInvocation(inv.invokeId)!.invocationStatus).toBe('Running');
    expect(emu.getInvocation(other.invokeId)!.invocationStatus).toBe('Running');

    // The untouched request goes through (form-body parameters count), and a replay is refused.
    const f = signAcs3('StopInvocation', { RegionId: 'cn-hangzhou' }, { body: `InvokeId=${inv.invokeId}` });
    const good = await send(emu.ecsEndpoint, 'POST', f.path, f.headers, `InvokeId=${inv.invokeId}`);
    expect(good.status).toBe(200);
    expect(good.headers['x-acs-request-id']).toBe(good.body['RequestId']);
    expect(emu.getInvocation(inv.invokeId)!.invocationStatus).toBe('Stopped');
    const replay = await send(emu.ecsEndpoint, 'POST', f.path, f.headers, `InvokeId=${inv.invokeId}`);
    expect(replay.body['Code']).toBe('SignatureNonceUsed');
    expect(emu.getInvocation(other.invokeId)!.invocationStatus).toBe('Running');
  });

  it('refuses a timestamp more than 15 minutes off', async () => {
    const old = new Date(Date.now() - 16 * 60 * 1000).toISOString().replace(/\.\d{3}Z$/, 'Z');
    const s = signAcs3('DescribeInvocations', { RegionId: 'cn-hangzhou' }, { date: old });
    const res = await send(emu.ecsEndpoint, 'POST', s.path, s.headers);
    expect(res).toMatchObject({ status: 400, body: { Code: 'InvalidTimeStamp.Expired' } });
  });

  it('verifies V1 (HMAC-SHA1) signatures too', async () => {
    const inv = emu.seedInvocation({ instances: [{ instanceId: 'i-v1' }] });
    const params = signV1('GET', { Action: 'DescribeInvocations', RegionId: 'cn-hangzhou', InvokeId: inv.invokeId });
    const ok = await send(emu.ecsEndpoint, 'GET', `/?${querystring(params)}`, {});
    expect(ok.status).toBe(200);
    expect(ok.body['TotalCount']).toBe(1);
    const tampered = signV1('GET', { Action: 'StopInvocation', RegionId: 'cn-hangzhou', InvokeId: inv.invokeId });
    const bad = await send(emu.ecsEndpoint, 'GET', `/?${querystring({ ...tampered, InvokeId: 't-other' })}`, {});
    expect(bad).toMatchObject({ status: 400, body: { Code: 'SignatureDoesNotMatch' } });
    expect(emu.getInvocation(inv.invokeId)!.invocationStatus).toBe('Running');
  });
});

describe('ECS error codes', () => {
  it('answers each documented StopInvocation error', async () => {
    const inv = emu.seedInvocation({ instances: [{ instanceId: 'i-known' }] });
    emu.configure({ unsupportedRegions: ['cn-qingdao'] });
    const ids = Array.from({ length: 51 }, (_, i) => `i-many${i}`);
    const cases: Array<[Promise<unknown>, string, number]> = [
      [ecs().stopInvocation(stop(inv.invokeId, ids)), 'InstanceIds.ExceedLimit', 403],
      [ecs().stopInvocation(stop('t-doesnotexist')), 'InvalidInvokeId.NotFound', 404],
      [ecs().stopInvocation(stop(inv.invokeId, ['i-known', 'i-stranger'])), 'InvalidInstanceId.NotFound', 404],
      [ecs().stopInvocation(stop(inv.invokeId, undefined, 'cn-shanghai')), 'InvalidInvokeId.NotFound', 404],
      [ecs().stopInvocation(stop(inv.invokeId, undefined, 'xx-nowhere-1')), 'InvalidRegionId.NotFound', 404],
      [ecs().stopInvocation(stop(inv.invokeId, undefined, 'cn-qingdao')), 'RegionId.ApiNotSupported', 400],
    ];
    for (const [call, code, statusCode] of cases) {
      expect(await sdkError(call)).toMatchObject({ code, statusCode });
    }
    expect(statuses(emu.getInvocation(inv.invokeId))).toEqual(['Running']);
  });

  it('names a missing mandatory parameter', async () => {
    const err = await sdkError(ecs().stopInvocation(new StopInvocationRequest({ regionId: 'cn-hangzhou' })));
    expect(err.code).toBe('MissingParameter');
    expect(err.data?.['Message']).toBe('The input parameter "InvokeId" that is mandatory for processing this request is not supplied.');
  });

  it('answers an unknown action with InvalidAction.NotFound', async () => {
    const client = new OpenApiClient(
      new $OpenApiUtil.Config({ ...emu.keys, endpoint: emu.ecsEndpoint, protocol: 'http', regionId: 'cn-hangzhou' }),
    );
    const params = new $OpenApiUtil.Params({
      action: 'RebootTheWorld',
      version: '2014-05-26',
      protocol: 'HTTP',
      pathname: '/',
      method: 'POST',
      authType: 'AK',
      style: 'RPC',
      reqBodyType: 'formData',
      bodyType: 'json',
    });
    const err = await sdkError(client.callApi(params, new $OpenApiUtil.OpenApiRequest({ query: { RegionId: 'cn-hangzhou' } }), {} as never));
    expect(err).toMatchObject({ code: 'InvalidAction.NotFound', statusCode: 404 });
  });
});

describe('DescribeInvocations and friends', () => {
  function seedMany(): InvocationState[] {
    const base = Date.parse('2026-01-01T00:00:00Z');
    return Array.from({ length: 7 }, (_, i) =>
      emu.seedInvocation({
        regionId: 'cn-shanghai',
        commandName: i % 2 ? 'odd.sh' : 'even.sh',
        creationTime: new Date(base + i * 1000).toISOString().replace(/\.\d{3}Z$/, 'Z'),
        instances: [
          { instanceId: `i-n${i}`, status: i === 6 ? 'Pending' : 'Running' },
          { instanceId: 'i-shared', status: i === 6 ? 'Pending' : 'Running' },
        ],
      }),
    );
  }

  it('pages with MaxResults and NextToken, newest first', async () => {
    const seeded = seedMany();
    emu.seedInvocation({ regionId: 'cn-hangzhou', instances: [{ instanceId: 'i-elsewhere' }] });
    const seen: string[] = [];
    let nextToken: string | undefined;
    let pages = 0;
    do {
      const res = await ecs().describeInvocations(new DescribeInvocationsRequest({ regionId: 'cn-shanghai', maxResults: 3, nextToken }));
      const body = res.body!;
      expect(body.totalCount).toBe(7);
      expect(body.pageSize).toBe(3);
      seen.push(...body.invocations!.invocation!.map((i) => i.invokeId!));
      nextToken = body.nextToken || undefined;
      pages++;
    } while (nextToken && pages < 10);
    expect(pages).toBe(3);
    expect(seen).toEqual(seeded.map((s) => s.invokeId).reverse());
  });

  it('does not skip items when the caller stops what it lists between pages', async () => {
    // `Running` is also the legacy aggregate of Pending/Scheduled/Stopping, so the Pending
    // invocation is listed (and cancelled) too.
    seedMany();
    const seen: string[] = [];
    let nextToken: string | undefined;
    do {
      const res = await ecs().describeInvocations(
        new DescribeInvocationsRequest({ regionId: 'cn-shanghai', invokeStatus: 'Running', maxResults: 2, nextToken }),
      );
      for (const inv of res.body!.invocations!.invocation!) {
        seen.push(inv.invokeId!);
        await ecs().stopInvocation(stop(inv.invokeId!, undefined, 'cn-shanghai'));
      }
      nextToken = res.body!.nextToken || undefined;
    } while (nextToken);
    expect(new Set(seen).size).toBe(7);
    expect(emu.listInvocations().map((i) => i.invocationStatus)).toEqual(Array(7).fill('Stopped'));
  });

  it('filters by InstanceId, InvokeStatus and CommandName and renders the SDK model', async () => {
    const seeded = seedMany();
    const find = async (req: Partial<DescribeInvocationsRequest>) => {
      const res = await ecs().describeInvocations(new DescribeInvocationsRequest({ regionId: 'cn-shanghai', maxResults: 50, ...req }));
      return res.body!.invocations!.invocation!;
    };
    expect((await find({ instanceId: 'i-n3' })).map((i) => i.invokeId)).toEqual([seeded[3]!.invokeId]);
    expect(await find({ instanceId: 'i-shared' })).toHaveLength(7);
    expect((await find({ invokeStatus: 'Pending' })).map((i) => i.invokeId)).toEqual([seeded[6]!.invokeId]);
    expect(await find({ commandName: 'odd.sh' })).toHaveLength(3);
    await ecs().stopInvocation(stop(seeded[0]!.invokeId, undefined, 'cn-shanghai'));
    const [stopped] = await find({ invokeStatus: 'Stopped' });
    expect(stopped).toMatchObject({
      invokeId: seeded[0]!.invokeId,
      commandName: 'even.sh',
      invocationStatus: 'Stopped',
      invokeStatus: 'Stopped',
      repeatMode: 'Once',
      timed: false,
      creationTime: '2026-01-01T00:00:00Z',
    });
    expect(stopped!.invokeInstances!.invokeInstance!.map((i) => [i.instanceId, i.invocationStatus])).toEqual([
      ['i-n0', 'Stopped'],
      ['i-shared', 'Stopped'],
    ]);
    expect(stopped!.invokeInstances!.invokeInstance![0]!.repeats).toBe(1);
  });

  it('supports legacy PageNumber/PageSize and refuses a foreign NextToken', async () => {
    seedMany();
    const res = await ecs().describeInvocations(new DescribeInvocationsRequest({ regionId: 'cn-shanghai', pageNumber: 3, pageSize: 3 }));
    expect(res.body).toMatchObject({ totalCount: 7, pageNumber: 3, pageSize: 3 });
    expect(res.body!.invocations!.invocation).toHaveLength(1);
    const first = await ecs().describeInvocations(new DescribeInvocationsRequest({ regionId: 'cn-shanghai', maxResults: 1 }));
    const err = await sdkError(
      ecs().describeInvocations(new DescribeInvocationsRequest({ regionId: 'cn-shanghai', commandName: 'odd.sh', nextToken: first.body!.nextToken })),
    );
    expect(err).toMatchObject({ code: 'InvalidParam.NextToken', statusCode: 400 });
  });

  it('describes per-instance results', async () => {
    const inv = emu.seedInvocation({ instances: [{ instanceId: 'i-r1', status: 'Success' }, { instanceId: 'i-r2' }] });
    const res = await ecs().describeInvocationResults(new DescribeInvocationResultsRequest({ regionId: 'cn-hangzhou', invokeId: inv.invokeId }));
    const results = res.body!.invocation!.invocationResults!.invocationResult!;
    expect(res.body!.invocation!.totalCount).toBe(2);
    expect(results.map((r) => [r.instanceId, r.invocationStatus, r.invokeRecordStatus, r.exitCode])).toEqual([
      ['i-r1', 'Success', 'Finished', 0],
      ['i-r2', 'Running', 'Running', undefined],
    ]);
  });

  it('creates Running invocations with RunCommand and InvokeCommand', async () => {
    const run = await ecs().runCommand(
      new RunCommandRequest({ regionId: 'cn-hangzhou', type: 'RunShellScript', commandContent: 'sleep 600', name: 'long.sh', instanceId: ['i-c1', 'i-c2'] }),
    );
    const { invokeId, commandId } = run.body!;
    expect(invokeId).toMatch(/^t-[a-z0-9]+$/);
    expect(emu.getInvocation(invokeId!)).toMatchObject({ commandName: 'long.sh', invocationStatus: 'Running' });
    const again = await ecs().invokeCommand(new InvokeCommandRequest({ regionId: 'cn-hangzhou', commandId, instanceId: ['i-c3'] }));
    expect(emu.getInvocation(again.body!.invokeId!)).toMatchObject({ commandId, instances: [{ instanceId: 'i-c3', status: 'Running' }] });
    const err = await sdkError(ecs().invokeCommand(new InvokeCommandRequest({ regionId: 'cn-hangzhou', commandId: 'c-nope', instanceId: ['i-c3'] })));
    expect(err).toMatchObject({ code: 'InvalidCommandId.NotFound', statusCode: 404 });
  });

  it('RunCommand Tag.N becomes the invocation tags DescribeInvocations returns', async () => {
    // Here, not in guard.test.ts (whose ROLLOUT_MAX_ERRORS tag this is): the ECS SDK's client
    // loads all 3,452 of its model files (~0.8 s of CPU), so only this file imports it.
    const run = await ecs().runCommand(
      new RunCommandRequest({ regionId: 'cn-hangzhou', type: 'RunShellScript', commandContent: 'true', name: 'tagged.sh', instanceId: ['i-tag1'], tag: [new RunCommandRequestTag({ key: 'rollout-max-errors', value: '10%' })] }),
    );
    expect(emu.getInvocation(run.body!.invokeId!)?.tags).toEqual({ 'rollout-max-errors': '10%' });
    const stack = await startStack({ ROLLOUT_MAX_ERRORS: 'off' }, { emu });
    try {
      const listed = await stack.instance.ecs.describeInvocations({ regionId: 'cn-hangzhou', invokeId: run.body!.invokeId! });
      expect(listed.invocations[0].tags).toEqual({ 'rollout-max-errors': '10%' });
    } finally {
      await stack.close();
    }
  });
});

describe('STS AssumeRole through @alicloud/credentials', () => {
  function roleProvider(opts: { secret?: string; roleArn?: string; duration?: number; externalId?: string } = {}) {
    let builder = RAMRoleARNCredentialsProvider.builder()
      .withCredentialsProvider(
        StaticAKCredentialsProvider.builder()
          .withAccessKeyId(emu.keys.accessKeyId)
          .withAccessKeySecret(opts.secret ?? emu.keys.accessKeySecret)
          .build(),
      )
      .withRoleArn(opts.roleArn ?? emu.roleArn)
      .withStsEndpoint(emu.stsEndpoint)
      .withRoleSessionName('test')
      .withDurationSeconds(opts.duration ?? 900);
    if (opts.externalId) builder = builder.withExternalId(opts.externalId);
    return builder.build();
  }

  it('issues STS keys that ECS accepts, and logs them', async () => {
    // 3600 s: a 900 s session is within the library's 15-minute refresh margin at once, so
    // it would assume the role again on every call.
    const provider = roleProvider({ duration: 3600 });
    const creds = await provider.getCredentials();
    expect(creds.accessKeyId).toMatch(/^STS\./);
    expect(creds.securityToken).toBeTruthy();
    const client = new EcsClient(
      new $OpenApiUtil.Config({ credential: new Credential(null, provider), endpoint: emu.ecsEndpoint, protocol: 'http', regionId: 'cn-hangzhou' }),
    );
    const inv = emu.seedInvocation({ instances: [{ instanceId: 'i-sts' }] });
    await client.stopInvocation(stop(inv.invokeId));
    expect(emu.getInvocation(inv.invokeId)!.invocationStatus).toBe('Stopped');
    const [assume] = emu.requests({ service: 'sts', action: 'AssumeRole' });
    expect(assume).toMatchObject({ accessKeyId: emu.keys.accessKeyId, signatureValid: true, status: 200 });
    expect(assume!.params).toMatchObject({ RoleArn: emu.roleArn, RoleSessionName: 'test', DurationSeconds: '3600' });
    expect(emu.requests({ service: 'sts' })).toHaveLength(1);
    expect(emu.requests({ service: 'ecs' })[0]).toMatchObject({ accessKeyId: creds.accessKeyId, securityToken: true, signatureValid: true });
  });

  it('caps the expiration at stsTokenTtlSeconds', async () => {
    emu.configure({ stsTokenTtlSeconds: 60 });
    const before = Date.now();
    const provider = roleProvider({ duration: 3600 });
    await provider.getCredentials();
    const session = (provider as unknown as { session: { expiration: string } }).session;
    const ttl = (Date.parse(session.expiration) - before) / 1000;
    expect(ttl).toBeGreaterThan(55);
    expect(ttl).toBeLessThanOrEqual(61);
  });

  it('lets STS keys assume the role again (FC hands functions STS keys)', async () => {
    const source = emu.issueStsCredentials();
    const provider = RAMRoleARNCredentialsProvider.builder()
      .withCredentialsProvider(
        StaticSTSCredentialsProvider.builder()
          .withAccessKeyId(source.accessKeyId)
          .withAccessKeySecret(source.accessKeySecret)
          .withSecurityToken(source.securityToken)
          .build(),
      )
      .withRoleArn(emu.roleArn)
      .withStsEndpoint(emu.stsEndpoint)
      .withRoleSessionName('chained')
      .build();
    const creds = await provider.getCredentials();
    expect(creds.accessKeyId).toMatch(/^STS\./);
    expect(emu.requests({ service: 'sts' })[0]).toMatchObject({ accessKeyId: source.accessKeyId, securityToken: true, status: 200 });
  });

  it('refuses a wrong secret, an unknown role, a bad duration and a missing ExternalId', async () => {
    await expect(roleProvider({ secret: 'wrong' }).getCredentials()).rejects.toThrow('the access key secret is invalid');
    await expect(roleProvider({ roleArn: 'acs:ram::1234567890123456:role/nope' }).getCredentials()).rejects.toThrow(/NoPermission/);
    await expect(roleProvider({ duration: 3601 }).getCredentials()).rejects.toThrow(/InvalidParameter.DurationSeconds/);
    emu.configure({ roleExternalId: 'abc-123' });
    await expect(roleProvider().getCredentials()).rejects.toThrow(/NoPermission/);
    await expect(roleProvider({ externalId: 'abc-123' }).getCredentials()).resolves.toMatchObject({ accessKeyId: expect.stringMatching(/^STS\./) });
  });

  it('refuses expired, token-less and mismatched STS keys', async () => {
    emu.configure({ stsTokenTtlSeconds: 0 });
    const expired = await roleProvider().getCredentials();
    const err = await sdkError(ecs(expired).describeInvocations(new DescribeInvocationsRequest({ regionId: 'cn-hangzhou' })));
    expect(err).toMatchObject({ code: 'InvalidSecurityToken.Expired', statusCode: 400 });

    emu.configure({ stsTokenTtlSeconds: null });
    const a = emu.issueStsCredentials();
    const b = emu.issueStsCredentials();
    const describe = (keys: Parameters<typeof ecs>[0]) =>
      sdkError(ecs(keys).describeInvocations(new DescribeInvocationsRequest({ regionId: 'cn-hangzhou' })));
    expect(await describe({ accessKeyId: a.accessKeyId, accessKeySecret: a.accessKeySecret })).toMatchObject({
      code: 'InvalidSecurityToken.Malformed',
    });
    expect(await describe({ ...a, securityToken: b.securityToken })).toMatchObject({ code: 'InvalidSecurityToken.MismatchWithAccessKey' });
    const ok = await ecs(a).describeInvocations(new DescribeInvocationsRequest({ regionId: 'cn-hangzhou' }));
    expect(ok.statusCode).toBe(200);
  });
});

describe('fault injection', () => {
  it('answers with the injected status and code, `times` times, and logs it', async () => {
    const inv = emu.seedInvocation({ instances: [{ instanceId: 'i-f' }] });
    emu.injectFault({ service: 'ecs', action: 'StopInvocation', times: 1, status: 503, code: 'ServiceUnavailable', message: 'busy' });
    const err = await sdkError(ecs().stopInvocation(stop(inv.invokeId)));
    expect(err).toMatchObject({ code: 'ServiceUnavailable', statusCode: 503 });
    expect(emu.getInvocation(inv.invokeId)!.invocationStatus).toBe('Running');
    await ecs().stopInvocation(stop(inv.invokeId));
    expect(emu.getInvocation(inv.invokeId)!.invocationStatus).toBe('Stopped');
    expect(emu.requests({ action: 'StopInvocation' }).map((r) => [r.status, r.code, r.signatureValid])).toEqual([
      [503, 'ServiceUnavailable', true],
      [200, undefined, true],
    ]);
  });

  it('sends x-acs-retry-after in milliseconds, as openapi-core reads it', async () => {
    emu.injectFault({ service: 'ecs', status: 400, code: 'Throttling.User', retryAfterMs: 1500 });
    const err = await sdkError(ecs().describeInvocations(new DescribeInvocationsRequest({ regionId: 'cn-hangzhou' })));
    expect(err).toMatchObject({ code: 'Throttling.User', statusCode: 400, retryAfter: 1500 });
  });

  it('delays, resets and returns raw bodies', async () => {
    emu.injectFault({ service: 'ecs', action: 'DescribeInvocations', times: 1, latencyMs: 300 });
    const started = Date.now();
    const res = await ecs().describeInvocations(new DescribeInvocationsRequest({ regionId: 'cn-hangzhou' }));
    expect(res.statusCode).toBe(200);
    expect(Date.now() - started).toBeGreaterThanOrEqual(290);

    emu.injectFault({ service: 'ecs', times: 1, reset: true });
    const reset = await sdkError(ecs().describeInvocations(new DescribeInvocationsRequest({ regionId: 'cn-hangzhou' })));
    expect(String(reset.message ?? reset)).toMatch(/socket hang up|ECONNRESET/i);

    emu.injectFault({ service: 'ecs', times: 1, status: 502, rawBody: '<html>Bad Gateway</html>', contentType: 'text/html' });
    const s = signAcs3('DescribeInvocations', { RegionId: 'cn-hangzhou' });
    const raw = await new Promise<{ status: number; text: string }>((resolve, reject) => {
      const [hostname, port] = emu.ecsEndpoint.split(':') as [string, string];
      http
        .request({ hostname, port: Number(port), method: 'POST', path: s.path, headers: s.headers }, (r) => {
          let text = '';
          r.on('data', (c: Buffer) => (text += c.toString()));
          r.on('end', () => resolve({ status: r.statusCode ?? 0, text }));
        })
        .on('error', reject)
        .end();
    });
    expect(raw).toEqual({ status: 502, text: '<html>Bad Gateway</html>' });
    expect(emu.requests().map((r) => r.status)).toEqual([200, 0, 502]);
  });

  it('still acts on a request whose caller gave up waiting, as the cloud would', async () => {
    const inv = emu.seedInvocation({ instances: [{ instanceId: 'i-late' }] });
    emu.injectFault({ service: 'ecs', action: 'StopInvocation', times: 1, latencyMs: 300 });
    const impatient = new EcsClient(
      new $OpenApiUtil.Config({ ...emu.keys, endpoint: emu.ecsEndpoint, protocol: 'http', regionId: 'cn-hangzhou', readTimeout: 100 }),
    );
    const err = await sdkError(impatient.stopInvocation(stop(inv.invokeId)));
    expect(String(err.message)).toMatch(/timeout/i);
    expect(emu.getInvocation(inv.invokeId)!.invocationStatus).toBe('Running');
    // Still being handled, so not yet in the request log.
    expect(emu.inFlight()).toBe(1);
    expect(emu.requests({ service: 'ecs', action: 'StopInvocation' })).toHaveLength(0);
    await expect.poll(() => emu.inFlight()).toBe(0);
    expect(emu.requests({ service: 'ecs', action: 'StopInvocation' })).toHaveLength(1);
    expect(emu.getInvocation(inv.invokeId)!.invocationStatus).toBe('Stopped');
  });

  it('faults STS too', async () => {
    emu.injectFault({ service: 'sts', action: 'AssumeRole', times: 1, status: 500, code: 'InternalError' });
    const provider = RAMRoleARNCredentialsProvider.builder()
      .withCredentialsProvider(StaticAKCredentialsProvider.builder().withAccessKeyId(emu.keys.accessKeyId).withAccessKeySecret(emu.keys.accessKeySecret).build())
      .withRoleArn(emu.roleArn)
      .withStsEndpoint(emu.stsEndpoint)
      .withRoleSessionName('test')
      .build();
    await expect(provider.getCredentials()).rejects.toThrow(/InternalError/);
    await expect(provider.getCredentials()).resolves.toMatchObject({ accessKeyId: expect.stringMatching(/^STS\./) });
  });
});

describe('admin HTTP API', () => {
  it('mirrors the object API', async () => {
    const admin = adminClient(emu.adminUrl);
    expect(await admin.info()).toMatchObject({ ecsEndpoint: emu.ecsEndpoint, roleArn: emu.roleArn, keys: emu.keys });
    const seeded = await admin.seedInvocation({ invokeId: 't-admin1', instances: [{ instanceId: 'i-adm' }] });
    expect(seeded).toMatchObject({ invokeId: 't-admin1', regionId: 'cn-hangzhou', invocationStatus: 'Running' });
    expect(await admin.getInvocation('t-admin1')).toEqual(emu.getInvocation('t-admin1'));
    expect(await admin.getInvocation('t-missing')).toBeUndefined();
    expect((await admin.listInvocations()).map((i) => i.invokeId)).toEqual(['t-admin1']);
    await expect(admin.seedInvocation({ instances: [] })).rejects.toBeInstanceOf(AdminError);

    expect(await admin.configure({ unsupportedRegions: ['cn-beijing'] })).toMatchObject({ unsupportedRegions: ['cn-beijing'] });
    await admin.injectFault({ service: 'ecs', action: 'StopInvocation', status: 500, code: 'InternalError.Dispatch' });
    expect(await sdkError(ecs().stopInvocation(stop('t-admin1')))).toMatchObject({ code: 'InternalError.Dispatch' });
    await admin.clearFaults();
    await ecs().stopInvocation(stop('t-admin1'));
    expect((await admin.getInvocation('t-admin1'))!.invocationStatus).toBe('Stopped');
    expect(await sdkError(ecs().describeInvocations(new DescribeInvocationsRequest({ regionId: 'cn-beijing' })))).toMatchObject({
      code: 'RegionId.ApiNotSupported',
    });

    const logged = await admin.requests({ service: 'ecs', action: 'StopInvocation' });
    expect(logged.map((r) => r.status)).toEqual([500, 200]);
    await admin.clearRequests();
    expect(await admin.requests()).toEqual([]);

    const sts = await admin.issueStsCredentials(900);
    expect(sts.accessKeyId).toMatch(/^STS\./);
    expect(await admin.events()).toEqual([]);
    await admin.reset();
    expect(await admin.listInvocations()).toEqual([]);
  });
});

describe('EventBridge PutEvents through @alicloud/eventbridge', () => {
  function client(secret = emu.keys.accessKeySecret, securityToken?: string, accessKeyId = emu.keys.accessKeyId) {
    return new EventBridgeClient(
      new EventBridgeConfig({ accessKeyId, accessKeySecret: secret, securityToken, endpoint: emu.eventBridgeEndpoint, protocol: 'http' }),
    );
  }

  function event(id: string, bus: string | null = 'fc-stop-invocation') {
    return new CloudEvent({
      id,
      source: 'acs:fc:cn-hangzhou:1234567890123456:functions/stop',
      type: 'fc-stop-invocation.result',
      subject: 't-1',
      datacontenttype: 'application/json',
      data: Buffer.from(JSON.stringify({ outcome: 'stopped' })),
      extensions: bus ? { aliyuneventbusname: bus } : {},
    });
  }

  it('stores signed events and reports per-entry failures', async () => {
    const res = await client().putEvents([event('e-1'), event('e-2', null)]);
    expect(res.failedEntryCount).toBe(1);
    expect(res.entryList!.map((e) => [e.eventId, e.errorCode])).toEqual([
      ['e-1', undefined],
      ['e-2', 'InvalidArgument'],
    ]);
    expect(emu.events()).toEqual([
      expect.objectContaining({ id: 'e-1', specversion: '1.0', aliyuneventbusname: 'fc-stop-invocation', data: { outcome: 'stopped' } }),
    ]);
    expect(emu.requests({ service: 'eventbridge' })[0]).toMatchObject({ action: 'PutEvents', signatureValid: true, status: 200 });
  });

  it('refuses a bad secret and accepts STS keys', async () => {
    await expect(client('wrong').putEvents([event('e-3')])).rejects.toMatchObject({ code: 'SignatureDoesNotMatch' });
    expect(emu.events()).toEqual([]);
    const sts = emu.issueStsCredentials();
    const res = await client(sts.accessKeySecret, sts.securityToken, sts.accessKeyId).putEvents([event('e-4')]);
    expect(res.failedEntryCount).toBe(0);
    expect(emu.requests({ service: 'eventbridge' }).map((r) => [r.status, r.securityToken])).toEqual([
      [400, false],
      [200, true],
    ]);
  });

  it('applies faults', async () => {
    emu.injectFault({ service: 'eventbridge', action: 'PutEvents', times: 1, status: 503, code: 'ServiceUnavailable' });
    await expect(client().putEvents([event('e-5')])).rejects.toMatchObject({ code: 'ServiceUnavailable' });
  });
});
