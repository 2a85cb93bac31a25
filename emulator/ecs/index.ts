import type { EmulatorContext } from '../context.js';
import { createRpcHandler, type RpcServiceSpec } from '../rpc-server.js';
import { describeInvocationResults } from './describe-invocation-results.js';
import { describeInvocations } from './describe-invocations.js';
import { invokeCommand, runCommand } from './run-command.js';
import { stopInvocation } from './stop-invocation.js';

// The emulated ECS API (2014-05-26): the Cloud Assistant actions this project uses.

export const ECS_SPEC: RpcServiceSpec = {
  service: 'ecs',
  version: '2014-05-26',
  hostId: 'ecs.aliyuncs.com',
  product: 'Ecs',
  actions: {
    StopInvocation: stopInvocation,
    DescribeInvocations: describeInvocations,
    DescribeInvocationResults: describeInvocationResults,
    RunCommand: runCommand,
    InvokeCommand: invokeCommand,
  },
};

export function createEcsHandler(ctx: EmulatorContext) {
  return createRpcHandler(ctx, ECS_SPEC);
}
