import { randomBytes } from 'node:crypto';

// `npm start` (through local/start.mjs, which first gives Node the emulator's CA): the
// function on http://127.0.0.1:9000 as FC would run it. With no ECS_ENDPOINT it brings its
// own ECS/STS emulator, seeds a running invocation, makes a webhook token and prints the
// curl that stops it.

async function main(): Promise<void> {
  const useEmulator = !process.env.ECS_ENDPOINT;
  const port = Number(process.env.PORT ?? 9000);
  let demo: { invokeId: string; instanceIds: string[]; regionId: string } | undefined;
  let emulatorNote = '';
  if (useEmulator) {
    const { startEmulator } = await import('../emulator/index.js');
    const emu = await startEmulator({
      ecsPort: Number(process.env.ECS_PORT ?? 0),
      stsPort: Number(process.env.STS_PORT ?? 0),
      eventBridgePort: Number(process.env.EVENTBRIDGE_PORT ?? 0),
      kmsPort: Number(process.env.KMS_PORT ?? 0),
    });
    Object.assign(process.env, {
      ECS_ENDPOINT: `http://${emu.ecsEndpoint}`,
      STS_ENDPOINT: emu.stsEndpoint,
      ALIBABA_CLOUD_ACCESS_KEY_ID: emu.keys.accessKeyId,
      ALIBABA_CLOUD_ACCESS_KEY_SECRET: emu.keys.accessKeySecret,
      TARGET_ROLE_ARN: process.env.TARGET_ROLE_ARN ?? emu.roleArn,
      // WEBHOOK_SECRET_NAME then reads from the emulator's KMS (empty until a secret is put).
      KMS_ENDPOINT: process.env.KMS_ENDPOINT ?? `https://${emu.kmsEndpoint}`,
      ALIBABA_CLOUD_ECS_METADATA_DISABLED: 'true',
      ALIBABA_CLOUD_CLI_PROFILE_DISABLED: 'true',
    });
    const seeded = emu.seedInvocation({
      regionId: 'cn-hangzhou',
      commandName: 'runaway.sh',
      instances: [{ instanceId: 'i-bp1demo0000000000001', status: 'Running' }, { instanceId: 'i-bp1demo0000000000002', status: 'Running' }],
    });
    demo = { invokeId: seeded.invokeId, instanceIds: seeded.instances.map((i) => i.instanceId), regionId: 'cn-hangzhou' };
    emulatorNote = [
      `ECS/STS emulator: ECS http://${emu.ecsEndpoint}  STS https://${emu.stsEndpoint}  EventBridge http://${emu.eventBridgeEndpoint}`,
      `  state and request log: curl -s ${emu.adminUrl}/invocations/${seeded.invokeId}   |   curl -s ${emu.adminUrl}/requests`,
    ].join('\n');
  }
  let token = process.env.WEBHOOK_TOKENS?.split(',')[0];
  if (!token && !process.env.WEBHOOK_SECRETS && !process.env.WEBHOOK_BASIC_AUTH && process.env.ALLOW_UNAUTHENTICATED !== 'true') {
    token = randomBytes(24).toString('hex');
    process.env.WEBHOOK_TOKENS = token;
  }

  const fn = await import('../functions/stop-invocation/index.js');
  const { startLocalRuntime } = await import('./server.js');
  const { fcInvokeRoute } = await import('./invoke-api.js');
  const rt = await startLocalRuntime(fn, {
    port,
    region: process.env.FC_REGION ?? 'cn-hangzhou',
    routes: [fcInvokeRoute({ accessKeySecretFor: (ak) => (ak === process.env.ALIBABA_CLOUD_ACCESS_KEY_ID ? process.env.ALIBABA_CLOUD_ACCESS_KEY_SECRET : undefined) })],
  });

  const lines = [`fc-stop-invocation listening on ${rt.url} (FC 3.0 HTTP trigger emulation)`];
  if (emulatorNote) lines.push(emulatorNote);
  if (demo) {
    const body = JSON.stringify({ regionId: demo.regionId, invokeId: demo.invokeId, instanceIds: demo.instanceIds, reason: 'demo: stop the runaway command' });
    const auth = token ? ` \\\n  -H 'Authorization: Bearer ${token}'` : '';
    lines.push('', 'A demo invocation is running. Stop it with:', '', `curl -sS -X POST ${rt.url}/stop${auth} \\\n  -H 'Content-Type: application/json' \\\n  -d '${body}'`, '');
  } else if (token) {
    lines.push(`webhook token: send 'Authorization: Bearer <one of WEBHOOK_TOKENS>'`);
  }
  process.stderr.write(lines.join('\n') + '\n');

  const stop = () => {
    void rt.close().then(() => process.exit(0));
    setTimeout(() => process.exit(0), 1000).unref();
  };
  process.on('SIGINT', stop);
  process.on('SIGTERM', stop);
}

main().catch((err: unknown) => {
  const message = err instanceof Error ? err.message : String(err);
  const hint = /EADDRINUSE/.test(message) ? ' (set PORT to use another port)' : '';
  process.stderr.write(`fc-stop-invocation failed to start: ${message}${hint}\n`);
  process.exit(1);
});
