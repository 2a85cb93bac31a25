import { startEmulator, type Emulator } from '../../emulator/index.js';
import { startLocalRuntime, type LocalOptions, type LocalRuntime } from '../../local/server.js';
import { createEntryPoints, type FcFunction } from '../../shared/handler.js';
import { FunctionInstance, type InstanceOptions } from '../../shared/instance.js';
import type { ResultEvent } from '../../shared/types.js';
import { atFileEnd } from './file-end.js';
import { httpRequest } from './http.js';

// The whole thing, for real: the ECS/STS emulator, a FunctionInstance configured against it, the
// FC entry points over that FunctionInstance, and the local FC HTTP runtime in front of them.
// Log lines are captured so tests can assert on them.

export { repoRoot, sample, samplesDir } from './samples.js';

export const TOKEN = 'test-token-0123456789abcdef0123456789';

export interface Stack {
  emu: Emulator;
  instance: FunctionInstance;
  fn: FcFunction;
  local: LocalRuntime;
  lines: string[];
  /** POST to the local HTTP trigger. */
  post(body: string | Buffer | object, init?: { headers?: Record<string, string>; path?: string; method?: string }): Promise<{ status: number; headers: Headers; json: HttpBody }>;
  /** An event invocation straight through the handler (as FC's invoke API would). */
  invoke(event: object | string | Buffer): Promise<ResultEvent>;
  close(): Promise<void>;
}

/** An HTTP answer's body: the result event (errors live in `data.error`). */
export type HttpBody = ResultEvent;

let shared: Emulator | undefined;

/**
 * One emulator per test file (started lazily), reset between stacks. Test files share a
 * worker (vitest.config.ts `isolate: false`), so closing it lets the next file start anew.
 */
export async function emulator(): Promise<Emulator> {
  if (shared) return shared;
  const emu = await startEmulator();
  const close = emu.close;
  emu.close = async () => {
    if (shared === emu) shared = undefined;
    await close();
  };
  shared = emu;
  atFileEnd(async () => {
    if (shared === emu) await emu.close();
  });
  return emu;
}

export interface StackOptions {
  emu?: Emulator;
  /** false: no FC initializer (a cold instance). */
  warm?: boolean;
  /** Extra local-runtime routes, e.g. the FC invoke API. */
  routes?: LocalOptions['routes'];
  /** Timing overrides (shared/config.ts TUNING), e.g. a short retry backoff. */
  tuning?: InstanceOptions['tuning'];
  /** The FC function timeout the local runtime puts on the context (default 60 s). */
  timeoutSeconds?: number;
}

export async function startStack(env: Record<string, string> = {}, options: StackOptions = {}): Promise<Stack> {
  const emu = options.emu ?? (await emulator());
  // The credentials library's env provider reads process.env itself.
  process.env.ALIBABA_CLOUD_ACCESS_KEY_ID = emu.keys.accessKeyId;
  process.env.ALIBABA_CLOUD_ACCESS_KEY_SECRET = emu.keys.accessKeySecret;
  process.env.ALIBABA_CLOUD_ECS_METADATA_DISABLED = 'true';
  process.env.ALIBABA_CLOUD_CLI_PROFILE_DISABLED = 'true';
  delete process.env.ALIBABA_CLOUD_SECURITY_TOKEN;
  const lines: string[] = [];
  const instance = new FunctionInstance({
    tuning: options.tuning,
    env: {
      ...process.env,
      ECS_ENDPOINT: `http://${emu.ecsEndpoint}`,
      STS_ENDPOINT: emu.stsEndpoint,
      TARGET_ROLE_ARN: emu.roleArn,
      WEBHOOK_TOKENS: TOKEN,
      VERIFY_GRACE_MS: '300',
      ECS_TIMEOUT_MS: '2000',
      LOG_LEVEL: 'debug',
      ...env,
    },
    write: (line) => {
      lines.push(line);
    },
  });
  const fn = createEntryPoints(() => instance);
  const local = await startLocalRuntime(options.warm === false ? { handler: fn.handler } : fn, { port: 0, accountId: emu.accountId, routes: options.routes, timeoutSeconds: options.timeoutSeconds });
  const context = { requestId: 'req-test', region: 'cn-hangzhou', accountId: emu.accountId, function: { name: 'stop-invocation', timeout: 30 } };

  return {
    emu,
    instance,
    fn,
    local,
    lines,
    async post(body, init = {}) {
      const payload = typeof body === 'string' ? body : Buffer.isBuffer(body) ? new Uint8Array(body) : JSON.stringify(body);
      const res = await httpRequest(`${local.url}${init.path ?? '/stop'}`, {
        method: init.method ?? 'POST',
        headers: { 'content-type': 'application/json', authorization: `Bearer ${TOKEN}`, ...init.headers },
        body: init.method === 'GET' ? undefined : payload,
      });
      return { status: res.status, headers: res.headers, json: JSON.parse(res.text) as HttpBody };
    },
    async invoke(event) {
      const bytes = Buffer.isBuffer(event) ? event : Buffer.from(typeof event === 'string' ? event : JSON.stringify(event));
      return (await fn.handler(bytes, context)) as ResultEvent;
    },
    async close() {
      await local.close();
      await instance.close();
      assertNoSecrets(lines, [TOKEN, emu.keys.accessKeySecret, ...instance.config.secrets, instance.credentials.peek()?.accessKeySecret, instance.credentials.peek()?.securityToken]);
    },
  };
}

/**
 * Every stack checks its own log lines on close, so each test that runs the function also
 * proves no secret reached a log line.
 */
export function assertNoSecrets(lines: string[], secrets: Array<string | undefined>): void {
  const text = lines.join('');
  for (const secret of secrets) {
    if (secret && secret.length >= 6 && text.includes(secret)) {
      throw new Error(`a secret (${secret.slice(0, 3)}…) reached a log line`);
    }
  }
  if (/Bearer [A-Za-z0-9]{8,}|ACS3-HMAC-SHA256 Credential/.test(text)) throw new Error('an Authorization value reached a log line');
}

/** Runs a case on an emulator and a stack of its own (faults are per emulator), both, closed after it whatever happens. */
export async function withOwnStack(env: Record<string, string>, options: StackOptions, body: (emu: Emulator, stack: Stack) => Promise<void>): Promise<void> {
  const emu = await startEmulator();
  const stack = await startStack(env, { ...options, emu });
  try {
    await body(emu, stack);
  } finally {
    await stack.close();
    await emu.close();
  }
}

/** How many StopInvocation calls the emulator received for one invocation. */
export function stopCount(emu: Emulator, invokeId: string): number {
  return emu.requests({ service: 'ecs', action: 'StopInvocation' }).filter((r) => r.params.InvokeId === invokeId).length;
}

/** Instance ids that look real: i- + 20 lowercase alphanumerics. */
export function instanceIds(n: number, prefix = 'i-bp1'): string[] {
  return Array.from({ length: n }, (_, i) => `${prefix}${String(i).padStart(17, '0')}`);
}

/** The last summary line's `answerBy`: the deadline the function computed for its answer. */
export function answerBy(s: Pick<Stack, 'lines'>): number {
  const line = s.lines.map((l) => JSON.parse(l) as { msg: string; answerBy?: string }).filter((l) => l.msg === 'stop-invocation result').at(-1);
  if (!line?.answerBy) throw new Error('no summary line with answerBy was logged');
  return Date.parse(line.answerBy);
}
