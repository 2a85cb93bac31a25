import { spawn, type ChildProcess } from 'node:child_process';
import { afterAll, describe, expect, it } from 'vitest';
import { repoRoot } from './helpers/samples.js';

// What a newcomer does after `npm install`: `npm start`, then paste the printed curl.
// Runs local/start.mjs as its own process (what npm start runs) and follows its printout.

let child: ChildProcess | undefined;

afterAll(() => {
  child?.kill('SIGTERM');
});

/** Collect stderr until the printed curl is complete. */
function startAndWaitForCurl(): Promise<string> {
  return new Promise((resolve, reject) => {
    const env: NodeJS.ProcessEnv = { ...process.env, PORT: '0' };
    for (const name of ['ECS_ENDPOINT', 'WEBHOOK_TOKENS', 'WEBHOOK_SECRETS', 'WEBHOOK_BASIC_AUTH', 'TARGET_ROLE_ARN', 'NODE_EXTRA_CA_CERTS']) delete env[name];
    child = spawn(process.execPath, ['local/start.mjs'], { cwd: repoRoot, env, stdio: ['ignore', 'pipe', 'pipe'] });
    let err = '';
    const timer = setTimeout(() => reject(new Error(`npm start printed no curl in time:\n${err}`)), 20000);
    child.stderr?.on('data', (c: Buffer) => {
      err += c.toString();
      if (/-d '\{.*\}'\n/.test(err)) {
        clearTimeout(timer);
        resolve(err);
      }
    });
    child.on('exit', (code) => reject(new Error(`npm start exited with ${code}:\n${err}`)));
  });
}

describe('npm start', () => {
  it('prints a curl that stops the seeded demo invocation, and the emulator shows it stopped', async () => {
    const printed = await startAndWaitForCurl();
    const url = /curl -sS -X POST (\S+)/.exec(printed)?.[1];
    const auth = /-H 'Authorization: (Bearer [0-9a-f]+)'/.exec(printed)?.[1];
    const body = /-d '(\{.*\})'/.exec(printed)?.[1];
    const admin = /state and request log: curl -s (\S+\/__admin\/invocations\/\S+)/.exec(printed)?.[1];
    expect(url && auth && body && admin).toBeTruthy();

    const res = await fetch(url ?? '', { method: 'POST', headers: { authorization: auth ?? '', 'content-type': 'application/json' }, body });
    expect(res.status).toBe(200);
    const result = (await res.json()) as { data: { outcome: string; targets: Array<{ status: string; invocationStatus: string }> } };
    expect(result.data.outcome).toBe('stopped');
    expect(result.data.targets.map((t) => [t.status, t.invocationStatus])).toEqual([
      ['stopped', 'Stopped'],
      ['stopped', 'Stopped'],
    ]);
    const state = (await (await fetch(admin ?? '')).json()) as { invocationStatus: string; instances: Array<{ status: string }> };
    expect(state.instances.map((i) => i.status)).toEqual(['Stopped', 'Stopped']);

    // The same request without the token is refused.
    const anonymous = await fetch(url ?? '', { method: 'POST', headers: { 'content-type': 'application/json' }, body });
    expect(anonymous.status).toBe(401);
  });
});
