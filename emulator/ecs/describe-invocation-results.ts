import type { InstanceState, InvocationState } from '../types.js';
import type { RpcAction } from '../rpc-server.js';
import { fingerprint, paginate } from './paging.js';
import { checkRegion } from './regions.js';
import { contentEncoding, renderResult } from './render.js';
import { legacyInstanceStatus } from './status.js';

// DescribeInvocationResults: one record per (invocation, instance), filtered by InvokeId,
// InstanceId, CommandId and InvokeRecordStatus (per-instance status, current or legacy).

const FILTERS = ['InvokeId', 'InstanceId', 'CommandId', 'InvokeRecordStatus'];

interface Row {
  inv: InvocationState;
  instance: InstanceState;
  index: number;
}

export const describeInvocationResults: RpcAction = ({ params, ctx, now }) => {
  const regionId = checkRegion(params, ctx.config);
  const f = (name: string) => (params[name] === '' ? undefined : params[name]);
  const rows: Row[] = [];
  const picked = ctx.store.list(
    now,
    (inv) =>
      inv.regionId === regionId &&
      (!f('InvokeId') || inv.invokeId === f('InvokeId')) &&
      (!f('CommandId') || inv.commandId === f('CommandId')) &&
      (!f('InstanceId') || inv.instances.some((i) => i.instanceId === f('InstanceId'))),
  );
  for (const inv of picked) {
    inv.instances.forEach((instance, index) => {
      if (f('InstanceId') && instance.instanceId !== f('InstanceId')) return;
      const status = f('InvokeRecordStatus');
      if (status && status !== instance.status && status !== legacyInstanceStatus(instance.status)) return;
      rows.push({ inv, instance, index });
    });
  }
  const fp = fingerprint(Object.fromEntries([['RegionId', regionId], ...FILTERS.map((n) => [n, f(n)])]));
  const page = paginate(rows, (r) => [...ctx.store.orderKey(r.inv.invokeId), r.index], params, fp);
  const encoding = contentEncoding(params);
  return {
    Invocation: {
      TotalCount: page.totalCount,
      PageSize: page.pageSize,
      PageNumber: page.pageNumber,
      NextToken: page.nextToken,
      InvocationResults: { InvocationResult: page.items.map((r) => renderResult(r.inv, r.instance, encoding)) },
    },
  };
};
