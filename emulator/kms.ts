import { randomUUID } from 'node:crypto';
import type { EmulatorContext } from './context.js';
import { ApiError } from './errors.js';
import { required } from './ecs/params.js';
import { ACCOUNT_ID } from './identity.js';
import { createRpcHandler, type RpcAction, type RpcServiceSpec } from './rpc-server.js';
import { isoSeconds } from './util/time.js';

// KMS 2016-01-20 GetSecretValue (Secrets Manager), RPC over https, signed like ECS (the
// shared RPC pipeline checks the signature, timestamp, nonce and STS token). Secrets are
// put by the test (`putSecret`); putting a secret again is a rotation: the new version
// becomes ACSCurrent, the one before ACSPrevious.
// https://www.alibabacloud.com/help/en/kms/key-management-service/developer-reference/api-getsecretvalue

export interface SecretVersion {
  versionId: string;
  data: string;
  dataType: 'text' | 'binary';
  stages: string[];
  createTime: string;
}

export class SecretStore {
  private readonly secrets = new Map<string, SecretVersion[]>();

  /** Adds a version and makes it ACSCurrent; returns its VersionId. */
  put(name: string, data: string, dataType: 'text' | 'binary' = 'text'): string {
    const versions = this.secrets.get(name) ?? [];
    for (const v of versions) v.stages = v.stages.includes('ACSCurrent') ? ['ACSPrevious'] : [];
    const version: SecretVersion = { versionId: randomUUID().replace(/-/g, ''), data, dataType, stages: ['ACSCurrent'], createTime: isoSeconds() };
    versions.push(version);
    this.secrets.set(name, versions);
    return version.versionId;
  }

  get(name: string): SecretVersion[] | undefined {
    return this.secrets.get(name);
  }

  clear(): void {
    this.secrets.clear();
  }
}

const notFound = () => new ApiError(404, 'Forbidden.ResourceNotFound', 'The resource cannot be found.');

const getSecretValue: RpcAction = ({ params, ctx }) => {
  const given = required(params, 'SecretName');
  // Another account's secret must be named by ARN; this emulator holds one account.
  const arn = /^acs:kms:([a-z0-9-]+):(\d+):secret\/(.+)$/.exec(given);
  if (arn && arn[2] !== ACCOUNT_ID) throw notFound();
  const name = arn ? arn[3]! : given;
  const versions = ctx.secrets.get(name);
  if (!versions) throw notFound();
  const stage = params['VersionStage'] || 'ACSCurrent';
  const id = params['VersionId'];
  // VersionId picks a version; a VersionStage given with it must also be on that version.
  const version = id
    ? versions.find((v) => v.versionId === id && (!params['VersionStage'] || v.stages.includes(stage)))
    : versions.find((v) => v.stages.includes(stage));
  if (!version) throw new ApiError(400, 'Rejected.ResourceNotFound', `The secret has no version ${id ?? ''}${id ? ' ' : ''}with stage ${stage}.`);
  return {
    SecretName: name,
    SecretType: 'Generic',
    VersionId: version.versionId,
    CreateTime: version.createTime,
    SecretData: version.data,
    SecretDataType: version.dataType,
    VersionStages: { VersionStage: [...version.stages] },
  };
};

export const KMS_SPEC: RpcServiceSpec = {
  service: 'kms',
  version: '2016-01-20',
  hostId: 'kms.aliyuncs.com',
  product: 'Kms',
  actions: { GetSecretValue: getSecretValue },
};

export function createKmsHandler(ctx: EmulatorContext) {
  return createRpcHandler(ctx, KMS_SPEC);
}
