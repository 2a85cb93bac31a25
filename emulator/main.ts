import { relative } from 'node:path';
import { startEmulator } from './index.js';

// `npm run emulator`: the emulator on fixed ports, one Running demo invocation seeded,
// and everything a user needs to point the function (or curl) at it.

function port(name: string, fallback: number): number {
  const text = process.env[name];
  if (text === undefined || text === '') return fallback;
  const n = Number(text);
  if (!Number.isInteger(n) || n < 0 || n > 65535) {
    console.error(`${name}=${text} is not a port number`);
    process.exit(2);
  }
  return n;
}

const emu = await startEmulator({
  host: process.env['EMULATOR_HOST'] || '127.0.0.1',
  ecsPort: port('ECS_PORT', 9101),
  stsPort: port('STS_PORT', 9102),
  eventBridgePort: port('EVENTBRIDGE_PORT', 9103),
  kmsPort: port('KMS_PORT', 9104),
});

const demo = emu.seedInvocation({
  regionId: 'cn-hangzhou',
  commandName: 'deploy.sh',
  instances: [{ instanceId: 'i-bp1demo0000000000001' }, { instanceId: 'i-bp1demo0000000000002' }],
});

const ca = relative(process.cwd(), emu.caCertPath) || emu.caCertPath;
console.log(`Alibaba Cloud emulator (ECS + STS + EventBridge + KMS) — local testing only

  ECS          http://${emu.ecsEndpoint}      (API 2014-05-26, signature V3 or V1)
  STS          https://${emu.stsEndpoint}     (AssumeRole; certificate from ${ca})
  EventBridge  http://${emu.eventBridgeEndpoint}      (POST /openapi/putEvents)
  KMS          https://${emu.kmsEndpoint}     (GetSecretValue; same certificate as STS)
  Admin        ${emu.adminUrl}

  Account      ${emu.accountId}
  Access key   ${emu.keys.accessKeyId} / ${emu.keys.accessKeySecret}
  Role ARN     ${emu.roleArn}

Seeded a Running invocation: ${demo.invokeId} in ${demo.regionId} on ${demo.instances.map((i) => i.instanceId).join(', ')}

Point the function at it:
  export ECS_ENDPOINT=http://${emu.ecsEndpoint}
  export STS_ENDPOINT=${emu.stsEndpoint}
  export EVENTBRIDGE_ENDPOINT=${emu.eventBridgeEndpoint}
  export KMS_ENDPOINT=https://${emu.kmsEndpoint}
  export ALIBABA_CLOUD_ACCESS_KEY_ID=${emu.keys.accessKeyId}
  export ALIBABA_CLOUD_ACCESS_KEY_SECRET=${emu.keys.accessKeySecret}
  export TARGET_ROLE_ARN=${emu.roleArn}
  export NODE_EXTRA_CA_CERTS=${ca}
  export ALIBABA_CLOUD_ECS_METADATA_DISABLED=true ALIBABA_CLOUD_CLI_PROFILE_DISABLED=true

Seed and inspect with curl:
  curl -s -X POST ${emu.adminUrl}/invocations -H 'content-type: application/json' \\
    -d '{"regionId":"cn-hangzhou","instances":[{"instanceId":"i-bp1abc"},{"instanceId":"i-bp1def","status":"Pending"}]}'
  curl -s ${emu.adminUrl}/invocations/${demo.invokeId}
  curl -s '${emu.adminUrl}/requests?service=ecs'
  curl -s -X POST ${emu.adminUrl}/faults -H 'content-type: application/json' \\
    -d '{"service":"ecs","action":"StopInvocation","times":1,"status":503,"code":"ServiceUnavailable"}'

Ctrl-C stops it.`);

let stopping = false;
for (const signal of ['SIGINT', 'SIGTERM'] as const) {
  process.on(signal, () => {
    if (stopping) return;
    stopping = true;
    void emu.close().then(() => process.exit(0));
  });
}
