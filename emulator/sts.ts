import type { EmulatorContext } from './context.js';
import { ApiError, invalidParameter } from './errors.js';
import { ACCOUNT_ID, ROLE_ARN, ROLE_ID, ROLE_MAX_SESSION_SECONDS, ROLE_NAME } from './identity.js';
import { required } from './ecs/params.js';
import { createRpcHandler, type RpcAction, type RpcServiceSpec } from './rpc-server.js';

// STS 2015-04-01 AssumeRole: any known key of the account (a permanent key, or STS keys
// such as those FC injects) may assume the demo role. Issued keys work on ECS and
// EventBridge until they expire.

const NO_PERMISSION = 'You are not authorized to do this action. You should be authorized by RAM.';

const assumeRole: RpcAction = ({ params, ctx, now }) => {
  const roleArn = required(params, 'RoleArn');
  const sessionName = required(params, 'RoleSessionName');
  if (!/^[\w.@-]{2,64}$/.test(sessionName)) {
    throw invalidParameter('RoleSessionName', 'RoleSessionName must be 2-64 characters of letters, digits and . @ - _');
  }
  const durationText = params['DurationSeconds'];
  const duration = durationText === undefined || durationText === '' ? ROLE_MAX_SESSION_SECONDS : Number(durationText);
  if (!Number.isInteger(duration) || duration < 900 || duration > ROLE_MAX_SESSION_SECONDS) {
    throw invalidParameter(
      'DurationSeconds',
      `The Min/Max value of DurationSeconds is 15min/${ROLE_MAX_SESSION_SECONDS / 3600}hr.`,
    );
  }
  if (!/^acs:ram::\d+:role\/[^/]+$/i.test(roleArn)) throw invalidParameter('RoleArn');
  if (roleArn.toLowerCase() !== ROLE_ARN.toLowerCase()) throw new ApiError(403, 'NoPermission', NO_PERMISSION);
  const expected = ctx.config.roleExternalId;
  if (expected !== undefined && params['ExternalId'] !== expected) {
    throw new ApiError(403, 'NoPermission', `${NO_PERMISSION} The ExternalId does not match the role's trust policy.`);
  }
  const policy = params['Policy'];
  if (policy) {
    try {
      JSON.parse(policy);
    } catch {
      throw new ApiError(400, 'InvalidParameter.PolicyGrammar', 'The parameter Policy has not passed grammar check.');
    }
  }
  const ttl = Math.min(duration, ctx.config.stsTokenTtlSeconds ?? Infinity);
  const sessionArn = `acs:ram::${ACCOUNT_ID}:role/${ROLE_NAME}/${sessionName}`;
  const credentials = ctx.keys.issueSts(sessionArn, ttl, now);
  return {
    AssumedRoleUser: { Arn: sessionArn, AssumedRoleId: `${ROLE_ID}:${sessionName}` },
    Credentials: {
      AccessKeyId: credentials.accessKeyId,
      AccessKeySecret: credentials.accessKeySecret,
      SecurityToken: credentials.securityToken,
      Expiration: credentials.expiration,
    },
  };
};

export const STS_SPEC: RpcServiceSpec = {
  service: 'sts',
  version: '2015-04-01',
  hostId: 'sts.aliyuncs.com',
  product: 'Sts',
  actions: { AssumeRole: assumeRole },
};

export function createStsHandler(ctx: EmulatorContext) {
  return createRpcHandler(ctx, STS_SPEC);
}
