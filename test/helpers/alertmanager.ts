import { spawn, spawnSync, type ChildProcess } from 'node:child_process';
import { accessSync, constants, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { createServer } from 'node:net';
import { tmpdir } from 'node:os';
import { delimiter, join } from 'node:path';
import { waitFor } from './expect.js';

// The real Prometheus Alertmanager (Debian package `prometheus-alertmanager`) on loopback,
// for end-to-end tests: its own storage directory, clustering off, a free port.

export const ALERTMANAGER_PACKAGE = 'prometheus-alertmanager';
const BINARIES = ['prometheus-alertmanager', 'alertmanager'];

function executable(file: string): boolean {
  try {
    accessSync(file, constants.X_OK);
    return true;
  } catch {
    return false;
  }
}

function onPath(name: string): string | undefined {
  return (process.env.PATH ?? '').split(delimiter).map((dir) => join(dir, name)).find(executable);
}

/** The Alertmanager binary (ALERTMANAGER_BIN, else the Debian name, else upstream's), if installed. */
export function findAlertmanager(): string | undefined {
  const chosen = process.env.ALERTMANAGER_BIN;
  if (chosen !== undefined) return executable(chosen) ? chosen : undefined;
  for (const name of BINARIES) {
    const found = onPath(name);
    if (found) return found;
  }
  return undefined;
}

/** `amtool`, shipped in the same package: its `check-config` is the tool's own config check. */
export function findAmtool(): string | undefined {
  return onPath('amtool');
}

export async function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const server = createServer();
    server.once('error', reject);
    server.listen(0, '127.0.0.1', () => {
      const address = server.address();
      const port = typeof address === 'object' && address ? address.port : 0;
      server.close(() => resolve(port));
    });
  });
}

export interface PostableAlert {
  labels: Record<string, string>;
  annotations?: Record<string, string>;
  startsAt?: string;
  endsAt?: string;
  generatorURL?: string;
}

export interface RunningAlertmanager {
  url: string;
  dir: string;
  /** stdout+stderr so far (for failure messages). */
  output(): string;
  /** POST /api/v2/alerts (https://github.com/prometheus/alertmanager/blob/v0.25.0/api/v2/openapi.yaml). */
  postAlerts(alerts: PostableAlert[]): Promise<void>;
  /** The value of one counter from /metrics, summed over the series whose labels include `labels`. */
  counter(name: string, labels?: Record<string, string>): Promise<number>;
  stop(): Promise<void>;
}

/** Writes `files` into a fresh directory, checks the config with amtool, starts Alertmanager and waits until it is ready. */
export async function startAlertmanager(bin: string, config: (dir: string) => string, files: Record<string, string> = {}): Promise<RunningAlertmanager> {
  const dir = mkdtempSync(join(tmpdir(), 'alertmanager-'));
  for (const [name, content] of Object.entries(files)) writeFileSync(join(dir, name), content, { mode: 0o600 });
  const configFile = join(dir, 'alertmanager.yml');
  writeFileSync(configFile, config(dir));

  const amtool = findAmtool();
  if (amtool) {
    const check = spawnSync(amtool, ['check-config', configFile], { encoding: 'utf8' });
    if (check.status !== 0) throw new Error(`amtool check-config refused the configuration:\n${check.stdout}${check.stderr}`);
  }

  const port = await freePort();
  const url = `http://127.0.0.1:${port}`;
  let log = '';
  const child: ChildProcess = spawn(
    bin,
    [`--config.file=${configFile}`, `--storage.path=${join(dir, 'data')}`, `--web.listen-address=127.0.0.1:${port}`, '--cluster.listen-address=', '--log.level=debug'],
    { stdio: ['ignore', 'pipe', 'pipe'] },
  );
  child.stdout?.on('data', (chunk: Buffer) => (log += chunk.toString('utf8')));
  child.stderr?.on('data', (chunk: Buffer) => (log += chunk.toString('utf8')));
  const exited = new Promise<void>((resolve) => child.once('exit', () => resolve()));

  const stop = async () => {
    if (child.exitCode === null && child.signalCode === null) {
      child.kill('SIGTERM');
      await exited;
    }
    rmSync(dir, { recursive: true, force: true });
  };

  try {
    await waitFor('Alertmanager to be ready', async () => {
      if (child.exitCode !== null) throw new Error(`exited with ${child.exitCode}:\n${log}`);
      const res = await fetch(`${url}/-/ready`);
      return res.ok ? true : undefined;
    });
  } catch (err) {
    await stop();
    throw err;
  }

  return {
    url,
    dir,
    output: () => log,
    async postAlerts(alerts) {
      const res = await fetch(`${url}/api/v2/alerts`, { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify(alerts) });
      if (!res.ok) throw new Error(`POST /api/v2/alerts answered ${res.status}: ${await res.text()}`);
    },
    async counter(name, labels = {}) {
      const text = await (await fetch(`${url}/metrics`)).text();
      let sum = 0;
      for (const line of text.split('\n')) {
        const m = /^([a-zA-Z_:][a-zA-Z0-9_:]*)(\{[^}]*\})? (\S+)$/.exec(line);
        if (!m || m[1] !== name) continue;
        const have = Object.fromEntries([...(m[2] ?? '').matchAll(/([a-zA-Z_]+)="([^"]*)"/g)].map((x) => [x[1], x[2]]));
        if (Object.entries(labels).every(([k, v]) => have[k] === v)) sum += Number(m[3]);
      }
      return sum;
    },
    stop,
  };
}
