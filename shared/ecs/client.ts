import * as $dara from '@darabonba/typescript';
// Only the models this function uses: the full ECS client loads 3,453 of them (~400 ms).
import { StopInvocationRequest } from '@alicloud/ecs20140526/dist/models/StopInvocationRequest.js';
import { StopInvocationResponse } from '@alicloud/ecs20140526/dist/models/StopInvocationResponse.js';
import { DescribeInvocationsRequest } from '@alicloud/ecs20140526/dist/models/DescribeInvocationsRequest.js';
import { DescribeInvocationsResponse } from '@alicloud/ecs20140526/dist/models/DescribeInvocationsResponse.js';
import type { Config } from '../config.js';
import type { CredentialBroker } from '../credentials.js';
import { EcsError, toEcsError } from './errors.js';
import { clearStaleReadTimers } from './read-timers.js';
import { RpcClient } from './rpc.js';

// The two ECS calls the function makes, through the SDK's own request/response models
// and `@alicloud/openapi-core`'s signer (ACS3-HMAC-SHA256, ecs/rpc.ts), one client per region.

const API_VERSION = '2014-05-26';

export interface Invocation {
  invokeId: string;
  commandId?: string;
  commandName?: string;
  invocationStatus?: string;
  repeatMode?: string;
  creationTime?: string;
  /** The invocation's own tags (RunCommand/InvokeCommand `Tag.N`), as DescribeInvocations returns them. */
  tags?: Record<string, string>;
  instances: Array<{ instanceId: string; invocationStatus?: string; startTime?: string }>;
}

export interface DescribeParams {
  regionId: string;
  invokeId?: string;
  instanceId?: string;
  invokeStatus?: string;
  commandId?: string;
  commandName?: string;
  nextToken?: string;
  maxResults?: number;
}

export interface EcsApi {
  /** Resolves only on a well-formed success (a RequestId, no Code); anything else throws. */
  stopInvocation(regionId: string, invokeId: string, instanceIds?: string[]): Promise<{ requestId: string }>;
  describeInvocations(params: DescribeParams): Promise<{ invocations: Invocation[]; nextToken?: string; requestId?: string }>;
  /**
   * Gets what every call needs first (credentials) within the per-invocation deadline, so
   * an attempt is only started when it can finish. Optional: an API without set-up has none.
   */
  prepare?(deadline: number | undefined): Promise<void>;
}

function tagMap(tags: Array<{ tagKey?: string; tagValue?: string }> | undefined): Record<string, string> | undefined {
  if (!tags || tags.length === 0) return undefined;
  const out: Record<string, string> = {};
  for (const t of tags) if (t.tagKey) out[t.tagKey] = t.tagValue ?? '';
  return out;
}

export class EcsClient implements EcsApi {
  private readonly rpc: RpcClient;

  constructor(config: Config, private readonly credentials: CredentialBroker) {
    clearStaleReadTimers();
    this.rpc = new RpcClient({
      product: 'ecs',
      version: API_VERSION,
      endpoint: config.ecsEndpoint,
      network: config.ecsNetwork,
      timeoutMs: config.ecsTimeoutMs,
      credential: () => credentials.forOpenApi(),
    });
  }

  async stopInvocation(regionId: string, invokeId: string, instanceIds?: string[]) {
    const request = new StopInvocationRequest({ regionId, invokeId, instanceId: instanceIds });
    request.validate();
    const body = wellFormed(await this.call(regionId, 'StopInvocation', request.toMap()), 'StopInvocation');
    const response = $dara.cast<StopInvocationResponse>(body, new StopInvocationResponse({}));
    return { requestId: response.body?.requestId ?? '' };
  }

  async prepare(deadline: number | undefined): Promise<void> {
    await this.credentials.ensure(deadline);
  }

  async describeInvocations(params: DescribeParams) {
    const request = new DescribeInvocationsRequest({ ...params, maxResults: params.maxResults ?? 50 });
    request.validate();
    const body = wellFormed(await this.call(params.regionId, 'DescribeInvocations', request.toMap()), 'DescribeInvocations', (b) => {
      const list = b.Invocations;
      if (!isObject(list)) return 'no Invocations';
      const items = list.Invocation;
      if (items !== undefined && !Array.isArray(items)) return 'Invocations.Invocation is not a list';
      for (const inv of (items ?? []) as unknown[]) {
        if (!isObject(inv) || typeof inv.InvokeId !== 'string' || inv.InvokeId === '') return 'an invocation without InvokeId';
        const instances = isObject(inv.InvokeInstances) ? inv.InvokeInstances.InvokeInstance : undefined;
        if (instances !== undefined && !Array.isArray(instances)) return 'InvokeInstances is not a list';
        for (const i of (instances ?? []) as unknown[]) if (!isObject(i) || typeof i.InstanceId !== 'string' || i.InstanceId === '') return 'an instance without InstanceId';
      }
      return undefined;
    });
    const response = $dara.cast<DescribeInvocationsResponse>(body, new DescribeInvocationsResponse({}));
    const invocations: Invocation[] = (response.body?.invocations?.invocation ?? []).map((inv) => ({
      invokeId: inv.invokeId ?? '',
      commandId: inv.commandId,
      commandName: inv.commandName,
      invocationStatus: inv.invocationStatus,
      repeatMode: inv.repeatMode,
      creationTime: inv.creationTime,
      tags: tagMap(inv.tags?.tag),
      instances: (inv.invokeInstances?.invokeInstance ?? []).map((i) => ({
        instanceId: i.instanceId ?? '',
        invocationStatus: i.invocationStatus,
        startTime: i.startTime,
      })),
    }));
    return { invocations, nextToken: response.body?.nextToken || undefined, requestId: response.body?.requestId };
  }

  private async call(regionId: string, action: string, query: Record<string, unknown>): Promise<Record<string, unknown>> {
    try {
      return await this.rpc.call(regionId, action, query);
    } catch (err) {
      const e = toEcsError(err);
      // A session that expired early (clock skew, a short STS answer) must not stick.
      if (/^InvalidSecurityToken/.test(e.code)) this.credentials.invalidate();
      throw e;
    }
  }
}

function isObject(v: unknown): v is Record<string, unknown> {
  return typeof v === 'object' && v !== null && !Array.isArray(v);
}

/**
 * A 200 is a success only when it looks like one: a JSON object with a RequestId and no
 * Code (ECS's error shape). `{}`, `null` or `{"Code":"InternalError",…}` with HTTP 200
 * is BadResponse, retryable: nothing says the call took effect.
 */
function wellFormed(raw: Record<string, unknown>, action: string, shape?: (body: Record<string, unknown>) => string | undefined): Record<string, unknown> {
  const body = raw.body;
  const problem = !isObject(body)
    ? `the body is ${body === null ? 'null' : Array.isArray(body) ? 'a list' : typeof body}`
    : typeof body.Code === 'string' && body.Code !== ''
      ? `an error code (${body.Code.slice(0, 80)})`
      : typeof body.RequestId !== 'string' || body.RequestId === ''
        ? 'no RequestId'
        : shape?.(body);
  if (problem === undefined) return raw;
  const status = typeof raw.statusCode === 'number' ? raw.statusCode : 200;
  const requestId = isObject(body) && typeof body.RequestId === 'string' ? body.RequestId : undefined;
  throw new EcsError('BadResponse', `${action} answered HTTP ${status} with ${problem}: not a well-formed success`, true, 502, requestId);
}
