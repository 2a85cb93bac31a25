import { spawn, type ChildProcess } from 'node:child_process';
import { readFileSync } from 'node:fs';
import type { AddressInfo } from 'node:net';
import { resolve } from 'node:path';
import tls from 'node:tls';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { CA_CERT_PATH, type Emulator } from '../emulator/index.js';
import { loadConfig } from '../shared/config.js';
import { eventBridgeHost } from '../shared/events/sink.js';
import { repoRoot } from './helpers/samples.js';
import { emulator, instanceIds, startStack, type Stack } from './helpers/stack.js';

// Where the function's traffic goes: `npm start` keeps a user's NODE_EXTRA_CA_CERTS (a
// TLS-inspecting proxy or a private STS), and the EventBridge sink uses the VPC endpoint
// with ECS_NETWORK=vpc (EVENTBRIDGE_ENDPOINT still overrides).

const PRIVATE_CA = resolve(repoRoot, 'test', 'fixtures', 'private-ca', 'ca.pem');
const TOKEN = 'network-test-token-0123456789abcdef';

let emu: Emulator;
let stack: Stack | undefined;
const children: ChildProcess[] = [];

beforeAll(async () => {
  emu = await emulator();
});

afterEach(async () => {
  await stack?.close();
  stack = undefined;
  // Each `npm start` runs in its own process group (npm → sh → node): end that group only.
  for (const child of children.splice(0)) {
    if (child.pid && child.exitCode === null) {
      try {
        process.kill(-child.pid, 'SIGTERM');
      } catch {
        // already gone
      }
    }
  }
});

afterAll(async () => {
  await emu.close();
});

/**
 * A TLS endpoint whose certificate only the private CA vouches for, passing the bytes on
 * to the emulator's STS: what a private STS endpoint or an inspecting proxy looks like.
 */
async function privateSts(): Promise<{ endpoint: string; close(): Promise<void> }> {
  const [host, port] = emu.stsEndpoint.split(':');
  const open = new Set<tls.TLSSocket>();
  const server = tls.createServer(
    { cert: readFileSync(resolve(repoRoot, 'test/fixtures/private-ca/server.pem')), key: readFileSync(resolve(repoRoot, 'test/fixtures/private-ca/server-key.pem')) },
    (socket) => {
      const upstream = tls.connect({ host, port: Number(port), ca: readFileSync(CA_CERT_PATH), servername: 'localhost' });
      open.add(socket).add(upstream);
      socket.pipe(upstream).pipe(socket);
      const end = () => {
        socket.destroy();
        upstream.destroy();
        open.delete(socket);
        open.delete(upstream);
      };
      socket.on('error', end);
      upstream.on('error', end);
    },
  );
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
  return {
    endpoint: `127.0.0.1:${(server.address() as AddressInfo).port}`,
    // The function keeps its connection alive; closing waits for it unless it is ended here.
    close: () =>
      new Promise((r) => {
        server.close(() => r());
        for (const s of open) s.destroy();
      }),
  };
}

/** `npm start` with exactly `env` (plus PATH/HOME); resolves with its printout once it listens. */
function npmStart(env: Record<string, string>, until: RegExp): Promise<string> {
  return new Promise((done, reject) => {
    const child = spawn('npm', ['run', '--silent', 'start'], {
      cwd: repoRoot,
      env: { PATH: process.env.PATH ?? '/usr/bin:/bin', HOME: process.env.HOME ?? '/tmp', PORT: '0', ALIBABA_CLOUD_ECS_METADATA_DISABLED: 'true', ALIBABA_CLOUD_CLI_PROFILE_DISABLED: 'true', ...env },
      stdio: ['ignore', 'pipe', 'pipe'],
      detached: true,
    });
    children.push(child);
    let out = '';
    const timer = setTimeout(() => reject(new Error(`npm start did not get ready:\n${out}`)), 30_000);
    const take = (c: Buffer) => {
      out += c.toString();
      if (until.test(out)) {
        clearTimeout(timer);
        done(out);
      }
    };
    child.stdout?.on('data', take);
    child.stderr?.on('data', take);
    child.on('exit', (code) => {
      clearTimeout(timer);
      reject(new Error(`npm start exited with ${code}:\n${out}`));
    });
  });
}

describe('npm start and NODE_EXTRA_CA_CERTS', () => {
  it('keeps the user\'s CA file: a stop through a private STS endpoint works', async () => {
    emu.reset();
    const sts = await privateSts();
    try {
      const printed = await npmStart(
        {
          ECS_ENDPOINT: `http://${emu.ecsEndpoint}`,
          STS_ENDPOINT: sts.endpoint,
          ALIBABA_CLOUD_ACCESS_KEY_ID: emu.keys.accessKeyId,
          ALIBABA_CLOUD_ACCESS_KEY_SECRET: emu.keys.accessKeySecret,
          TARGET_ROLE_ARN: emu.roleArn,
          WEBHOOK_TOKENS: TOKEN,
          NODE_EXTRA_CA_CERTS: PRIVATE_CA,
        },
        /listening on (http:\/\/\S+)/,
      );
      const url = /listening on (http:\/\/\S+)/.exec(printed)![1];
      const inv = emu.seedInvocation({ instances: [{ instanceId: 'i-bp1privatests000001', status: 'Running' }] });
      const res = await fetch(`${url}/stop`, {
        method: 'POST',
        headers: { authorization: `Bearer ${TOKEN}`, 'content-type': 'application/json' },
        body: JSON.stringify({ regionId: 'cn-hangzhou', invokeId: inv.invokeId }),
      });
      const body = (await res.json()) as { data: { outcome: string } };
      expect(res.status, JSON.stringify(body)).toBe(200);
      expect(body.data.outcome).toBe('stopped');
      // AssumeRole went through the endpoint only the user's CA vouches for.
      expect(emu.requests({ service: 'sts', action: 'AssumeRole' }).filter((r) => r.status === 200).length).toBeGreaterThan(0);
    } finally {
      await sts.close();
    }
  });

  it('with the emulator, adds its CA to the user\'s: the printed curl still stops the demo', async () => {
    const printed = await npmStart({ NODE_EXTRA_CA_CERTS: PRIVATE_CA }, /-d '\{.*\}'\n/);
    const url = /curl -sS -X POST (\S+)/.exec(printed)?.[1];
    const auth = /-H 'Authorization: (Bearer [0-9a-f]+)'/.exec(printed)?.[1];
    const body = /-d '(\{.*\})'/.exec(printed)?.[1];
    const res = await fetch(url ?? '', { method: 'POST', headers: { authorization: auth ?? '', 'content-type': 'application/json' }, body });
    expect(res.status).toBe(200);
    expect(((await res.json()) as { data: { outcome: string } }).data.outcome).toBe('stopped');
  });
});

describe('the EventBridge sink endpoint', () => {
  it('is the account\'s regional endpoint, -vpc with ECS_NETWORK=vpc, and EVENTBRIDGE_ENDPOINT overrides both', () => {
    expect(eventBridgeHost(loadConfig({}), 'cn-hangzhou', '123456789012')).toBe('123456789012.eventbridge.cn-hangzhou.aliyuncs.com');
    expect(eventBridgeHost(loadConfig({ ECS_NETWORK: 'vpc' }), 'cn-hangzhou', '123456789012')).toBe('123456789012.eventbridge.cn-hangzhou-vpc.aliyuncs.com');
    expect(eventBridgeHost(loadConfig({ ECS_NETWORK: 'vpc', EVENTBRIDGE_ENDPOINT: 'http://127.0.0.1:9103' }), 'cn-hangzhou', '1')).toBe('127.0.0.1:9103');
  });

  it('a function with ECS_NETWORK=vpc publishes to the VPC endpoint (here unreachable: the failure names it)', async () => {
    emu.reset();
    stack = await startStack({ RESULT_EVENT_BUS: 'ops-results', ECS_NETWORK: 'vpc', WEBHOOK_TOKENS: TOKEN });
    const inv = emu.seedInvocation({ instances: instanceIds(1, 'i-vpcsink').map((instanceId) => ({ instanceId, status: 'Running' as const })) });
    const res = await stack.post({ regionId: 'cn-hangzhou', invokeId: inv.invokeId }, { headers: { authorization: `Bearer ${TOKEN}` } });
    expect(res.status).toBe(200);
    const sink = await stack.instance.sink;
    // The sink's failure is logged, never the stop's outcome; wait for it (bounded).
    const deadline = Date.now() + 20_000;
    while (sink && sink.stats.failed + sink.stats.published === 0 && Date.now() < deadline) await new Promise((r) => setTimeout(r, 50));
    expect(sink?.stats).toEqual({ published: 0, failed: 1 });
    const line = stack.lines.find((l) => l.includes('result event not published'));
    expect(line).toContain(`${emu.accountId}.eventbridge.cn-hangzhou-vpc.aliyuncs.com`);
    expect(emu.events()).toHaveLength(0);
  });

  it('EVENTBRIDGE_ENDPOINT still wins with ECS_NETWORK=vpc', async () => {
    emu.reset();
    stack = await startStack({ RESULT_EVENT_BUS: 'ops-results', ECS_NETWORK: 'vpc', EVENTBRIDGE_ENDPOINT: `http://${emu.eventBridgeEndpoint}`, WEBHOOK_TOKENS: TOKEN });
    const inv = emu.seedInvocation({ instances: instanceIds(1, 'i-vpcsink').map((instanceId) => ({ instanceId, status: 'Running' as const })) });
    const res = await stack.post({ regionId: 'cn-hangzhou', invokeId: inv.invokeId }, { headers: { authorization: `Bearer ${TOKEN}` } });
    expect(res.status).toBe(200);
    const sink = await stack.instance.sink;
    const deadline = Date.now() + 20_000;
    while (sink && sink.stats.published === 0 && Date.now() < deadline) await new Promise((r) => setTimeout(r, 50));
    expect(sink?.stats).toEqual({ published: 1, failed: 0 });
    expect(emu.events().map((e) => (e as { id?: string }).id)).toContain(res.json.id);
  });
});
