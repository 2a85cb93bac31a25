import { ApiError } from '../errors.js';
import type { RpcAction } from '../rpc-server.js';
import { repeatList, required } from './params.js';
import { checkRegion } from './regions.js';

// StopInvocation(RegionId, InvokeId, InstanceId.N ≤ 50): no InstanceId means every instance
// of the invocation. Semantics live in InvocationStore.stop.

export const MAX_STOP_INSTANCES = 50;

export const stopInvocation: RpcAction = ({ params, ctx, now }) => {
  const regionId = checkRegion(params, ctx.config);
  const invokeId = required(params, 'InvokeId');
  const instanceIds = repeatList(params, 'InstanceId');
  if (instanceIds.length > MAX_STOP_INSTANCES) {
    throw new ApiError(403, 'InstanceIds.ExceedLimit', `The number of specified instances exceeds the upper limit of ${MAX_STOP_INSTANCES}.`);
  }
  const tag = ctx.config.stopRequiresTag;
  if (tag) {
    // RAM authorizes StopInvocation on each instance resource; one outside the policy's tag
    // condition refuses the whole call (ram/target-role-policy-tagged.json).
    const named = instanceIds.length > 0 ? instanceIds : (ctx.store.get(invokeId, now)?.instances.map((i) => i.instanceId) ?? []);
    if (named.some((id) => ctx.store.tagsOf(id)[tag.key] !== tag.value)) {
      throw new ApiError(403, 'Forbidden.RAM', "User not authorized to operate on the specified resource, or this API doesn't support RAM.");
    }
  }
  ctx.store.stop(regionId, invokeId, instanceIds, ctx.config.stopLatencyMs, now);
  return {};
};
