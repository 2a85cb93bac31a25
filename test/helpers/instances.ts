import { spawn, type ChildProcess } from 'node:child_process';
import { afterAll, beforeAll } from 'vitest';
import { startEmulator, type Emulator } from '../../emulator/index.js';
import { bundled } from './bundle.js';
import { httpRequest } from './http.js';
import { startRedis, type RedisServer } from './redis.js';
import { repoRoot } from './samples.js';

// Function instances as FC 3.0 runs them: each its own process with its own local
// runtime (local/main.ts, as `npm start`), all against one emulator, so nothing but the
// configured store is shared between them. Stopped by their own pid.

export const INSTANCE_TOKEN = 'instances-token-0123456789abcdef';

export interface Instance {
  url: string;
  proc: ChildProcess;
  /** The instance's JSON log lines so far. */
  lines: string[];
}

/** What a file's function instances share: one emulator and one redis-server. */
export interface SharedWorld {
  emu: Emulator;
  redis: RedisServer;
}

/**
 * The file's shared world, started before its tests and ended after them (not at all with
 * `skip`, i.e. without redis-server). Its fields are set once the file's beforeAll has run.
 */
export function sharedWorld(skip: boolean): SharedWorld {
  const world: Partial<SharedWorld> = {};
  beforeAll(async () => {
    if (skip) return;
    world.emu = await startEmulator();
    world.redis = await startRedis();
  }, 60_000);
  afterAll(async () => {
    await world.redis?.stop();
    await world.emu?.close();
  });
  return world as SharedWorld;
}

export async function startInstances(n: number, emu: Emulator, env: Record<string, string>): Promise<Instance[]> {
  const entry = await bundled('local/main.ts');
  return Promise.all(Array.from({ length: n }, (_, i) => startInstance(entry, emu, env, i)));
}

function startInstance(entry: string, emu: Emulator, env: Record<string, string>, index: number): Promise<Instance> {
  const fullEnv: NodeJS.ProcessEnv = {
    PATH: process.env.PATH,
    HOME: process.env.HOME,
    NODE_EXTRA_CA_CERTS: emu.caCertPath,
    PORT: '0',
    ECS_ENDPOINT: `http://${emu.ecsEndpoint}`,
    STS_ENDPOINT: emu.stsEndpoint,
    ALIBABA_CLOUD_ACCESS_KEY_ID: emu.keys.accessKeyId,
    ALIBABA_CLOUD_ACCESS_KEY_SECRET: emu.keys.accessKeySecret,
    ALIBABA_CLOUD_ECS_METADATA_DISABLED: 'true',
    ALIBABA_CLOUD_CLI_PROFILE_DISABLED: 'true',
    TARGET_ROLE_ARN: emu.roleArn,
    WEBHOOK_TOKENS: INSTANCE_TOKEN,
    VERIFY_GRACE_MS: '300',
    LOG_LEVEL: 'debug',
    FC_INSTANCE_INDEX: String(index),
    ...env,
  };
  const proc = spawn(process.execPath, [entry], { cwd: repoRoot, env: fullEnv, stdio: ['ignore', 'pipe', 'pipe'] });
  const lines: string[] = [];
  let partial = '';
  proc.stdout!.on('data', (c: Buffer) => {
    const text = partial + c.toString('utf8');
    const parts = text.split('\n');
    partial = parts.pop() ?? '';
    lines.push(...parts.filter(Boolean));
  });
  return new Promise((resolve, reject) => {
    let err = '';
    const timer = setTimeout(() => {
      proc.kill('SIGKILL');
      reject(new Error(`instance ${index} did not start:\n${err}`));
    }, 60_000);
    proc.stderr!.on('data', (c: Buffer) => {
      err += c.toString();
      const url = /listening on (http:\/\/\S+)/.exec(err)?.[1];
      if (url) {
        clearTimeout(timer);
        resolve({ url, proc, lines });
      }
    });
    proc.once('exit', (code) => {
      clearTimeout(timer);
      reject(new Error(`instance ${index} exited with ${code}:\n${err}`));
    });
  });
}

export async function stopInstances(instances: Instance[]): Promise<void> {
  await Promise.all(
    instances.map(
      (i) =>
        new Promise<void>((resolve) => {
          if (i.proc.exitCode !== null || i.proc.signalCode !== null) return resolve();
          i.proc.once('exit', () => resolve());
          i.proc.kill('SIGKILL');
        }),
    ),
  );
}

export interface Answer {
  status: number;
  outcome?: string;
  code?: string;
  dedupe?: string;
  /** `data.budget.freesAt`, with STOP_BUDGET. */
  freesAt?: string;
  /** 503s answered before this one (each retried after its Retry-After). */
  retries: number;
}

/** POST until the answer is not a 503 "in progress elsewhere" (honouring Retry-After), as a sender retries a 5xx. */
export async function deliver(url: string, body: string, headers: Record<string, string>, maxRetries = 30): Promise<Answer> {
  for (let retries = 0; ; retries++) {
    const res = await httpRequest(`${url}/stop`, { method: 'POST', headers: { 'content-type': 'application/json', authorization: `Bearer ${INSTANCE_TOKEN}`, ...headers }, body });
    const json = JSON.parse(res.text) as { data?: { outcome?: string; dedupe?: string; error?: { code?: string }; budget?: { freesAt?: string } } };
    const code = json.data?.error?.code;
    if (res.status === 503 && retries < maxRetries) {
      const wait = Number(res.headers.get('retry-after') ?? '1') * 1000;
      await new Promise((r) => setTimeout(r, wait));
      continue;
    }
    return { status: res.status, outcome: json.data?.outcome, code, dedupe: json.data?.dedupe, freesAt: json.data?.budget?.freesAt, retries };
  }
}

/** How many items fall under each key. */
export function count<T>(items: T[], key: (t: T) => string): Record<string, number> {
  const out: Record<string, number> = {};
  for (const item of items) out[key(item)] = (out[key(item)] ?? 0) + 1;
  return out;
}
