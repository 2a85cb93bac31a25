import type { IncomingMessage, ServerResponse } from 'node:http';
import { readBody, sendJson } from './util/http.js';
import type { ConfigUpdate, Emulator, Fault, FinishInstance, RequestFilter, SeedInvocation, Service } from './types.js';

// The admin HTTP API on the ECS port, under /__admin: the object API as JSON, so another
// process (npm start, benchmarks) can seed state, inject faults and read the logs.
//   GET    /__admin                      info (endpoints, demo keys, role ARN)
//   POST   /__admin/invocations          SeedInvocation → InvocationState
//   GET    /__admin/invocations[/{id}]
//   POST   /__admin/invocations/{id}/instances/{instanceId}/finish   FinishInstance → {invocation, event?}
//   GET    /__admin/requests?service=&action=     DELETE /__admin/requests
//   POST   /__admin/faults               Fault        DELETE /__admin/faults
//   POST   /__admin/config               ConfigUpdate → current config
//   POST   /__admin/reset
//   GET    /__admin/events
//   POST   /__admin/sts-credentials      {durationSeconds?} → StsCredentials

export const ADMIN_PREFIX = '/__admin';

class AdminError extends Error {
  constructor(
    readonly status: number,
    message: string,
  ) {
    super(message);
  }
}

async function json<T>(req: IncomingMessage): Promise<T> {
  const body = await readBody(req);
  if (body.length === 0) return {} as T;
  try {
    return JSON.parse(body.toString('utf8')) as T;
  } catch {
    throw new AdminError(400, 'the body is not JSON');
  }
}

function info(emu: Emulator) {
  const { ecsEndpoint, stsEndpoint, eventBridgeEndpoint, kmsEndpoint, adminUrl, keys, roleArn, accountId, caCertPath } = emu;
  return { ecsEndpoint, stsEndpoint, eventBridgeEndpoint, kmsEndpoint, adminUrl, keys, roleArn, accountId, caCertPath };
}

async function route(emu: Emulator, getConfig: () => unknown, req: IncomingMessage): Promise<[number, unknown]> {
  const url = new URL(req.url ?? '/', 'http://admin');
  const path = url.pathname.slice(ADMIN_PREFIX.length).replace(/\/+$/, '');
  const method = req.method ?? 'GET';
  const key = `${method} ${path}`;
  if (key === 'GET ') return [200, info(emu)];
  if (key === 'POST /invocations') return [200, emu.seedInvocation(await json<SeedInvocation>(req))];
  if (key === 'GET /invocations') return [200, emu.listInvocations()];
  const finish = /^\/invocations\/([^/]+)\/instances\/([^/]+)\/finish$/.exec(path);
  if (method === 'POST' && finish) {
    return [200, emu.finishInstance(decodeURIComponent(finish[1]), decodeURIComponent(finish[2]), await json<FinishInstance>(req))];
  }
  if (method === 'GET' && path.startsWith('/invocations/')) {
    const state = emu.getInvocation(decodeURIComponent(path.slice('/invocations/'.length)));
    if (!state) throw new AdminError(404, 'no such invocation');
    return [200, state];
  }
  if (key === 'GET /requests') {
    const filter: RequestFilter = {};
    const service = url.searchParams.get('service');
    const action = url.searchParams.get('action');
    if (service) filter.service = service as Service;
    if (action) filter.action = action;
    return [200, emu.requests(filter)];
  }
  if (key === 'DELETE /requests') return [200, (emu.clearRequests(), {})];
  if (key === 'POST /faults') return [200, (emu.injectFault(await json<Fault>(req)), {})];
  if (key === 'DELETE /faults') return [200, (emu.clearFaults(), {})];
  if (key === 'GET /config') return [200, getConfig()];
  if (key === 'POST /config') return [200, (emu.configure(await json<ConfigUpdate>(req)), getConfig())];
  if (key === 'POST /reset') return [200, (emu.reset(), {})];
  if (key === 'GET /events') return [200, emu.events()];
  if (key === 'POST /sts-credentials') {
    const body = await json<{ durationSeconds?: number }>(req);
    return [200, emu.issueStsCredentials(body.durationSeconds)];
  }
  throw new AdminError(404, `no admin route ${method} ${url.pathname}`);
}

export function createAdminHandler(emu: () => Emulator, getConfig: () => unknown) {
  return async function handle(req: IncomingMessage, res: ServerResponse): Promise<void> {
    try {
      const [status, body] = await route(emu(), getConfig, req);
      sendJson(res, status, body);
    } catch (err) {
      const status = err instanceof AdminError ? err.status : 400;
      sendJson(res, status, { error: err instanceof Error ? err.message : String(err) });
    }
  };
}
