import { spawn, spawnSync, type ChildProcess } from 'node:child_process';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { createServer } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';

// A real Redis-compatible server on loopback for the store's tests (Debian `redis-server`;
// `.ci/run` installs it). Where it is absent the suites skip with one line, except in CI,
// where its absence is a failure.

export const REDIS_SERVER = (() => {
  const found = spawnSync('sh', ['-c', 'command -v redis-server'], { encoding: 'utf8' });
  return found.status === 0 ? found.stdout.trim() : undefined;
})();

/** Call at the top of a suite: true when the suite must skip (after saying so once). */
export function skipWithoutRedis(suite: string): boolean {
  if (REDIS_SERVER) return false;
  if (process.env.CI === 'true') throw new Error(`${suite}: redis-server is not installed, and CI=true requires it (apt-get install -y redis-server)`);
  process.stderr.write(`${suite}: skipped, redis-server is not installed (apt-get install -y redis-server)\n`);
  return true;
}

export interface RedisServer {
  port: number;
  url: string;
  /** Kill the server (SIGKILL, its own pid) and wait until it is gone. */
  kill(): Promise<void>;
  /** Start it again on the same port (empty: no persistence). */
  restart(): Promise<void>;
  /** Freeze / thaw the server (SIGSTOP / SIGCONT to its own pid): a store that does not answer. */
  pause(): void;
  resume(): void;
  stop(): Promise<void>;
}

export async function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const s = createServer();
    s.once('error', reject);
    s.listen(0, '127.0.0.1', () => {
      const { port } = s.address() as { port: number };
      s.close(() => resolve(port));
    });
  });
}

/** `configLines`: redis.conf lines, e.g. ACL `user …` rules (they contain spaces). */
export async function startRedis(configLines: string[] = [], options: { tls?: { cert: string; key: string } } = {}): Promise<RedisServer> {
  if (!REDIS_SERVER) throw new Error('redis-server is not installed');
  const port = await freePort();
  const dir = mkdtempSync(join(tmpdir(), 'fcsi-redis-'));
  const conf = join(dir, 'redis.conf');
  writeFileSync(conf, configLines.join('\n') + '\n');
  let proc: ChildProcess | undefined;
  const launch = () =>
    new Promise<void>((resolve, reject) => {
      const child = spawn(REDIS_SERVER!, [conf, ...(options.tls ? ['--port', '0', '--tls-port', String(port), '--tls-cert-file', options.tls.cert, '--tls-key-file', options.tls.key, '--tls-auth-clients', 'no'] : ['--port', String(port)]), '--bind', '127.0.0.1', '--save', '', '--appendonly', 'no', '--dir', dir], {
        stdio: ['ignore', 'pipe', 'pipe'],
      });
      proc = child;
      let out = '';
      const timer = setTimeout(() => reject(new Error(`redis-server did not start:\n${out}`)), 10_000);
      child.stdout!.on('data', (c: Buffer) => {
        out += c.toString();
        if (out.includes('Ready to accept connections')) {
          clearTimeout(timer);
          resolve();
        }
      });
      child.once('exit', (code) => {
        clearTimeout(timer);
        reject(new Error(`redis-server exited with ${code}:\n${out}`));
      });
    });
  const kill = async () => {
    const child = proc;
    if (!child || child.exitCode !== null || (child.signalCode !== null && child.signalCode !== 'SIGSTOP')) return;
    const gone = new Promise<void>((resolve) => child.once('exit', () => resolve()));
    child.kill('SIGKILL');
    await gone;
  };
  await launch();
  return {
    port,
    url: `${options.tls ? 'rediss' : 'redis'}://127.0.0.1:${port}`,
    kill,
    restart: launch,
    pause: () => proc?.kill('SIGSTOP'),
    resume: () => proc?.kill('SIGCONT'),
    async stop() {
      await kill();
      rmSync(dir, { recursive: true, force: true });
    },
  };
}
