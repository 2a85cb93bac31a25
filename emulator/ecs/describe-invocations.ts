import type { RpcAction } from '../rpc-server.js';
import { fingerprint, paginate } from './paging.js';
import { checkRegion } from './regions.js';
import { contentEncoding, renderInvocation } from './render.js';
import { statusMatches } from './status.js';

// DescribeInvocations: invocations of one region, newest first, filtered by InvokeId,
// InstanceId (invocations that include it), InvokeStatus (invocation-level, current or
// legacy name), CommandId, CommandName, CommandType, RepeatMode and Timed.

const FILTERS = ['InvokeId', 'InstanceId', 'InvokeStatus', 'CommandId', 'CommandName', 'CommandType', 'RepeatMode', 'Timed'];

export const describeInvocations: RpcAction = ({ params, ctx, now }) => {
  const regionId = checkRegion(params, ctx.config);
  const f = (name: string) => (params[name] === '' ? undefined : params[name]);
  const commandType = f('CommandType') ?? f('Type');
  const all = ctx.store
    .list(
      now,
      (inv) =>
        inv.regionId === regionId &&
        (!f('InvokeId') || inv.invokeId === f('InvokeId')) &&
        (!f('InstanceId') || inv.instances.some((i) => i.instanceId === f('InstanceId'))) &&
        (!f('CommandId') || inv.commandId === f('CommandId')) &&
        (!f('CommandName') || inv.commandName === f('CommandName')) &&
        (!commandType || inv.commandType === commandType) &&
        (!f('RepeatMode') || inv.repeatMode === f('RepeatMode')) &&
        (!f('Timed') || String(inv.timed) === f('Timed')!.toLowerCase()),
    )
    // The status only once the invocation is settled (state.ts `list`).
    .filter((inv) => !f('InvokeStatus') || statusMatches(f('InvokeStatus')!, inv.invocationStatus));
  const fp = fingerprint(Object.fromEntries([['RegionId', regionId], ...FILTERS.map((n) => [n, f(n)])]));
  const page = paginate(all, (inv) => ctx.store.orderKey(inv.invokeId), params, fp);
  const encoding = contentEncoding(params);
  const includeOutput = params['IncludeOutput']?.toLowerCase() === 'true';
  return {
    TotalCount: page.totalCount,
    PageSize: page.pageSize,
    PageNumber: page.pageNumber,
    NextToken: page.nextToken,
    Invocations: { Invocation: page.items.map((inv) => renderInvocation(inv, encoding, includeOutput)) },
  };
};
