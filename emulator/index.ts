import { readFileSync } from 'node:fs';
import http, { type IncomingMessage, type ServerResponse } from 'node:http';
import https from 'node:https';
import type { AddressInfo } from 'node:net';
import { fileURLToPath } from 'node:url';
import { ADMIN_PREFIX, createAdminHandler } from './admin.js';
import { applyConfig, createContext, resetContext } from './context.js';
import { createEcsHandler } from './ecs/index.js';
import { taskEvent } from './ecs/task-event.js';
import { createEventBridgeHandler } from './eventbridge.js';
import { createKmsHandler } from './kms.js';
import { ACCOUNT_ID, DEMO_KEYS, DEMO_USER_ARN, ROLE_ARN, ROLE_MAX_SESSION_SECONDS } from './identity.js';
import { createStsHandler } from './sts.js';
import type { Emulator, EmulatorOptions } from './types.js';

// Starts the local Alibaba Cloud: ECS (http, plus the admin API under /__admin), STS
// (https, test-only certificate), the EventBridge data plane (http) and KMS Secrets
// Manager (https), sharing one state.

export type {
  ConfigUpdate,
  Emulator,
  EmulatorConfig,
  FinishInstance,
  TaskEvent,
  EmulatorInfo,
  EmulatorOptions,
  Fault,
  InstanceState,
  InstanceStatus,
  InvocationState,
  InvocationStatus,
  LoggedRequest,
  RequestFilter,
  SeedInvocation,
  Service,
  StsCredentials,
} from './types.js';

export const CA_CERT_PATH = fileURLToPath(new URL('./certs/ca.pem', import.meta.url));
const SERVER_CERT_PATH = fileURLToPath(new URL('./certs/server.pem', import.meta.url));
const SERVER_KEY_PATH = fileURLToPath(new URL('./certs/server-key.pem', import.meta.url));

type Handler = (req: IncomingMessage, res: ServerResponse) => Promise<void>;

/** A handler that never leaves a request hanging on an unexpected exception. */
function guarded(handler: Handler) {
  return (req: IncomingMessage, res: ServerResponse) => {
    handler(req, res).catch((err: unknown) => {
      if (!res.headersSent) {
        res.writeHead(500, { 'content-type': 'application/json;charset=utf-8' });
        res.end(JSON.stringify({ Code: 'InternalError', Message: String(err) }));
      } else {
        res.destroy();
      }
    });
  };
}

async function listen(server: http.Server, port: number, host: string): Promise<number> {
  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen(port, host, () => {
      server.off('error', reject);
      resolve();
    });
  });
  return (server.address() as AddressInfo).port;
}

async function shut(server: http.Server): Promise<void> {
  if (!server.listening) return;
  const closed = new Promise<void>((resolve) => server.close(() => resolve()));
  // SDK clients keep connections alive; drop them so close() does not wait for their timeout.
  server.closeAllConnections();
  await closed;
}

export async function startEmulator(options: EmulatorOptions = {}): Promise<Emulator> {
  const host = options.host ?? '127.0.0.1';
  const ctx = createContext();
  let emulator: Emulator | undefined;
  const admin = createAdminHandler(() => emulator!, () => ({ ...ctx.config }));
  const ecs = createEcsHandler(ctx);
  const ecsServer = http.createServer(
    guarded((req, res) => ((req.url ?? '').startsWith(ADMIN_PREFIX) ? admin(req, res) : ecs(req, res))),
  );
  const stsServer = https.createServer(
    { cert: readFileSync(SERVER_CERT_PATH), key: readFileSync(SERVER_KEY_PATH) },
    guarded(createStsHandler(ctx)),
  );
  const ebServer = http.createServer(guarded(createEventBridgeHandler(ctx)));
  const kmsServer = https.createServer(
    { cert: readFileSync(SERVER_CERT_PATH), key: readFileSync(SERVER_KEY_PATH) },
    guarded(createKmsHandler(ctx)),
  );
  const servers = [ecsServer, stsServer, ebServer, kmsServer];

  let ports: number[];
  try {
    ports = [
      await listen(ecsServer, options.ecsPort ?? 0, host),
      await listen(stsServer, options.stsPort ?? 0, host),
      await listen(ebServer, options.eventBridgePort ?? 0, host),
      await listen(kmsServer, options.kmsPort ?? 0, host),
    ];
  } catch (err) {
    await Promise.all(servers.map(shut));
    throw err;
  }
  const [ecsPort, stsPort, ebPort, kmsPort] = ports as [number, number, number, number];
  // Clients must dial a concrete address; a wildcard bind is reached through loopback.
  const dial = host === '0.0.0.0' ? '127.0.0.1' : host === '::' ? '::1' : host;
  const hostPort = (port: number) => (dial.includes(':') ? `[${dial}]:${port}` : `${dial}:${port}`);

  emulator = {
    ecsEndpoint: hostPort(ecsPort),
    stsEndpoint: hostPort(stsPort),
    eventBridgeEndpoint: hostPort(ebPort),
    kmsEndpoint: hostPort(kmsPort),
    adminUrl: `http://${hostPort(ecsPort)}${ADMIN_PREFIX}`,
    keys: { accessKeyId: DEMO_KEYS.accessKeyId, accessKeySecret: DEMO_KEYS.accessKeySecret },
    roleArn: ROLE_ARN,
    accountId: ACCOUNT_ID,
    caCertPath: CA_CERT_PATH,
    seedInvocation: (spec) => ctx.store.seed(spec),
    getInvocation: (invokeId) => ctx.store.get(invokeId),
    listInvocations: () => ctx.store.list(),
    finishInstance: (invokeId, instanceId, end) => {
      const invocation = ctx.store.finish(invokeId, instanceId, end);
      return { invocation, event: taskEvent(invocation, instanceId, ACCOUNT_ID) };
    },
    requests: (filter) => ctx.log.list(filter),
    inFlight: () => ctx.log.inFlight,
    clearRequests: () => ctx.log.clear(),
    injectFault: (fault) => ctx.faults.add(fault),
    clearFaults: () => ctx.faults.clear(),
    events: () => structuredClone(ctx.events),
    putSecret: (name, data, dataType) => ctx.secrets.put(name, data, dataType),
    configure: (opts) => applyConfig(ctx.config, opts),
    issueStsCredentials: (durationSeconds = ROLE_MAX_SESSION_SECONDS) => {
      if (!(Number.isFinite(durationSeconds) && durationSeconds >= 0)) throw new Error('durationSeconds must be >= 0');
      return ctx.keys.issueSts(DEMO_USER_ARN, Math.min(durationSeconds, ctx.config.stsTokenTtlSeconds ?? Infinity));
    },
    reset: () => resetContext(ctx),
    close: async () => {
      await Promise.all(servers.map(shut));
    },
  };
  return emulator;
}
