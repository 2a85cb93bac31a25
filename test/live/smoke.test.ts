import ecsModule from '@alicloud/ecs20140526';
import { DescribeInstancesRequest } from '@alicloud/ecs20140526/dist/models/DescribeInstancesRequest.js';
import { DescribeInvocationsRequest } from '@alicloud/ecs20140526/dist/models/DescribeInvocationsRequest.js';
import { RunCommandRequest } from '@alicloud/ecs20140526/dist/models/RunCommandRequest.js';
import { StopInvocationRequest } from '@alicloud/ecs20140526/dist/models/StopInvocationRequest.js';
import { $OpenApiUtil } from '@alicloud/openapi-core';
import { afterAll, describe, expect, it } from 'vitest';
import { invoke } from '../../scripts/invoke.js';
import { cjsDefault } from '../../shared/interop.js';
import type { ResultEvent } from '../../shared/types.js';

// Live smoke test (`npm run test:live`): runs a harmless `sleep 600` on a tagged test
// instance with the real ECS API, asks the DEPLOYED function to stop it, and checks
// with DescribeInvocations that ECS reports it stopped.
//
//   LIVE_REGION                      region of the instance, e.g. cn-hangzhou
//   ALIBABA_CLOUD_ACCESS_KEY_ID/_SECRET   a key allowed to RunCommand/DescribeInvocations/
//                                    DescribeInstances there (+ fc:InvokeFunction for fc2)
//   LIVE_INSTANCE_ID                 the test instance (Cloud Assistant agent running)
//   LIVE_INSTANCE_TAG                key=value the instance must carry (default
//                                    fc-stop-invocation-smoke=true): a guard against
//                                    running commands on the wrong machine
//   then either
//   LIVE_FUNCTION_URL + LIVE_WEBHOOK_TOKEN   the HTTP trigger URL and one WEBHOOK_TOKENS value
//   or
//   FC_ACCOUNT_ID [+ FC_SERVICE_NAME, FC_FUNCTION_NAME, FC_REGION]   invoke through fc2

const env = process.env;
const missing = ['LIVE_REGION', 'ALIBABA_CLOUD_ACCESS_KEY_ID', 'ALIBABA_CLOUD_ACCESS_KEY_SECRET', 'LIVE_INSTANCE_ID'].filter((n) => !env[n]);
if (!env.LIVE_FUNCTION_URL && !env.FC_ACCOUNT_ID) missing.push('LIVE_FUNCTION_URL (with LIVE_WEBHOOK_TOKEN) or FC_ACCOUNT_ID');
if (env.LIVE_FUNCTION_URL && !env.LIVE_WEBHOOK_TOKEN) missing.push('LIVE_WEBHOOK_TOKEN');
if (missing.length > 0) console.log(`live smoke test skipped: set ${missing.join(', ')}`);

const POLL_MS = 3000;
const TERMINAL = new Set(['Stopped', 'Success', 'Failed', 'Finished', 'Error', 'Timeout', 'Cancelled', 'Terminated', 'Invalid', 'Aborted', 'PartialFailed']);

describe.skipIf(missing.length > 0)('live: the deployed function stops a real Cloud Assistant invocation', () => {
  const region = env.LIVE_REGION!;
  const instanceId = env.LIVE_INSTANCE_ID!;
  // Built on first use: describe bodies run even when the suite is skipped.
  type EcsClass = typeof ecsModule.default;
  let client: InstanceType<EcsClass> | undefined;
  const ecs = () =>
    (client ??= new (cjsDefault<EcsClass>(ecsModule))(
      new $OpenApiUtil.Config({
        accessKeyId: env.ALIBABA_CLOUD_ACCESS_KEY_ID,
        accessKeySecret: env.ALIBABA_CLOUD_ACCESS_KEY_SECRET,
        securityToken: env.ALIBABA_CLOUD_SECURITY_TOKEN,
        regionId: region,
        endpoint: env.LIVE_ECS_ENDPOINT,
      }),
    ));
  let invokeId: string | undefined;

  const instanceStatus = async (): Promise<string | undefined> => {
    const res = await ecs().describeInvocations(new DescribeInvocationsRequest({ regionId: region, invokeId, includeOutput: false }));
    const inv = res.body?.invocations?.invocation?.[0];
    return inv?.invokeInstances?.invokeInstance?.find((i) => i.instanceId === instanceId)?.invocationStatus ?? inv?.invocationStatus;
  };
  const waitFor = async (accept: (s: string | undefined) => boolean, ms: number): Promise<string | undefined> => {
    const deadline = Date.now() + ms;
    let status = await instanceStatus();
    while (!accept(status) && Date.now() < deadline) {
      await new Promise((r) => setTimeout(r, POLL_MS));
      status = await instanceStatus();
    }
    return status;
  };

  afterAll(async () => {
    // Never leave the sleep behind, whatever failed above.
    if (!invokeId) return;
    const status = await instanceStatus().catch(() => undefined);
    if (status && !TERMINAL.has(status)) {
      console.log(`cleanup: ${invokeId} is ${status}; stopping it directly`);
      await ecs().stopInvocation(new StopInvocationRequest({ regionId: region, invokeId, instanceId: [instanceId] })).catch((e: unknown) => console.log(`cleanup failed: ${String(e)}`));
    }
  });

  /** Refuse to run anything on an instance that is not marked as a test instance. */
  const assertTagged = async () => {
    const [key, value] = (env.LIVE_INSTANCE_TAG ?? 'fc-stop-invocation-smoke=true').split('=');
    const res = await ecs().describeInstances(new DescribeInstancesRequest({ regionId: region, instanceIds: JSON.stringify([instanceId]) }));
    const instance = res.body?.instances?.instance?.[0];
    expect(instance, `${instanceId} not found in ${region}`).toBeDefined();
    const tags = instance?.tags?.tag ?? [];
    expect(tags.some((t) => t.tagKey === key && t.tagValue === value), `${instanceId} must carry the tag ${key}=${value} (LIVE_INSTANCE_TAG)`).toBe(true);
  };

  it('RunCommand sleep 600 on the tagged instance, invoke the function, DescribeInvocations says Stopped', async () => {
    await assertTagged();
    const run = await ecs().runCommand(
      new RunCommandRequest({
        regionId: region,
        type: 'RunShellScript',
        name: 'fc-stop-invocation-smoke',
        commandContent: 'sleep 600',
        contentEncoding: 'PlainText',
        instanceId: [instanceId],
        timeout: 900,
        keepCommand: false,
      }),
    );
    invokeId = run.body?.invokeId;
    expect(invokeId, 'RunCommand returned no InvokeId').toMatch(/^t-/);
    const running = await waitFor((s) => s === 'Running' || (s !== undefined && TERMINAL.has(s)), 90_000);
    expect(running, 'the command never started: is the Cloud Assistant agent running on the instance?').toBe('Running');

    const request = { regionId: region, invokeId, instanceIds: [instanceId], reason: 'fc-stop-invocation live smoke test' };
    let event: ResultEvent;
    if (env.LIVE_FUNCTION_URL) {
      const res = await fetch(env.LIVE_FUNCTION_URL, {
        method: 'POST',
        headers: { 'content-type': 'application/json', authorization: `Bearer ${env.LIVE_WEBHOOK_TOKEN}` },
        body: JSON.stringify(request),
      });
      const text = await res.text();
      expect(res.status, text).toBe(200);
      event = JSON.parse(text) as ResultEvent;
    } else {
      const result = await invoke({
        payload: JSON.stringify(request),
        service: env.FC_SERVICE_NAME ?? 'default',
        functionName: env.FC_FUNCTION_NAME ?? 'stop-invocation',
        region: env.FC_REGION ?? region,
        accountId: env.FC_ACCOUNT_ID!,
        endpoint: env.FC_ENDPOINT,
      });
      expect(result.functionError, JSON.stringify(result.functionError)).toBeUndefined();
      event = result.result as ResultEvent;
    }
    expect(event.data.outcome, JSON.stringify(event.data)).toBe('stopped');
    expect(event.data.targets.find((t) => t.instanceId === instanceId)?.status).toBe('stopped');

    // What ECS itself reports, independent of the function's own verification.
    const final = await waitFor((s) => s !== undefined && s !== 'Running' && s !== 'Stopping', 60_000);
    expect(final).toBe('Stopped');
  });
});
