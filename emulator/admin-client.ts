import type {
  ConfigUpdate,
  EmulatorConfig,
  EmulatorInfo,
  Fault,
  FinishInstance,
  InvocationState,
  LoggedRequest,
  RequestFilter,
  SeedInvocation,
  StsCredentials,
  TaskEvent,
} from './types.js';

// A tiny typed client for the admin HTTP API (see admin.ts), for processes that did not
// start the emulator themselves. Same method names as the in-process `Emulator`, async.

export interface AdminClient {
  info(): Promise<EmulatorInfo>;
  seedInvocation(spec: SeedInvocation): Promise<InvocationState>;
  getInvocation(invokeId: string): Promise<InvocationState | undefined>;
  listInvocations(): Promise<InvocationState[]>;
  finishInstance(invokeId: string, instanceId: string, end: FinishInstance): Promise<{ invocation: InvocationState; event?: TaskEvent }>;
  requests(filter?: RequestFilter): Promise<LoggedRequest[]>;
  clearRequests(): Promise<void>;
  injectFault(fault: Fault): Promise<void>;
  clearFaults(): Promise<void>;
  events(): Promise<unknown[]>;
  configure(opts: ConfigUpdate): Promise<EmulatorConfig>;
  issueStsCredentials(durationSeconds?: number): Promise<StsCredentials>;
  reset(): Promise<void>;
}

export class AdminError extends Error {
  constructor(
    readonly status: number,
    message: string,
  ) {
    super(message);
    this.name = 'AdminError';
  }
}

export function adminClient(adminUrl: string): AdminClient {
  const base = adminUrl.replace(/\/+$/, '');

  async function call<T>(method: string, path: string, body?: unknown): Promise<T> {
    const res = await fetch(base + path, {
      method,
      headers: body === undefined ? {} : { 'content-type': 'application/json' },
      body: body === undefined ? undefined : JSON.stringify(body),
    });
    const text = await res.text();
    const parsed: unknown = text ? JSON.parse(text) : undefined;
    if (!res.ok) {
      const message = (parsed as { error?: string } | undefined)?.error ?? text;
      throw new AdminError(res.status, `emulator admin ${method} ${path}: ${res.status} ${message}`);
    }
    return parsed as T;
  }

  return {
    info: () => call('GET', ''),
    seedInvocation: (spec) => call('POST', '/invocations', spec),
    getInvocation: async (invokeId) => {
      try {
        return await call<InvocationState>('GET', `/invocations/${encodeURIComponent(invokeId)}`);
      } catch (err) {
        if (err instanceof AdminError && err.status === 404) return undefined;
        throw err;
      }
    },
    listInvocations: () => call('GET', '/invocations'),
    finishInstance: (invokeId, instanceId, end) =>
      call('POST', `/invocations/${encodeURIComponent(invokeId)}/instances/${encodeURIComponent(instanceId)}/finish`, end),
    requests: (filter = {}) => {
      const q = new URLSearchParams();
      if (filter.service) q.set('service', filter.service);
      if (filter.action) q.set('action', filter.action);
      const qs = q.toString();
      return call('GET', `/requests${qs ? `?${qs}` : ''}`);
    },
    clearRequests: async () => void (await call('DELETE', '/requests')),
    injectFault: async (fault) => void (await call('POST', '/faults', fault)),
    clearFaults: async () => void (await call('DELETE', '/faults')),
    events: () => call('GET', '/events'),
    configure: (opts) => call('POST', '/config', opts),
    issueStsCredentials: (durationSeconds) => call('POST', '/sts-credentials', { durationSeconds }),
    reset: async () => void (await call('POST', '/reset')),
  };
}
