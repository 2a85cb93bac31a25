import type { Emulator } from '../emulator/index.js';
import { Child } from './child.js';
import { functionEnv } from './payloads.js';
import type { Workspace } from './prepare.js';

// The function process for the HTTP stages (burst, throughput): the bundle behind
// local/server.ts in a child, with the function's default settings (VERIFY=true).

export interface FnServer {
  child: Child;
  url: string;
}

export async function startFnServer(ws: Workspace, emu: Emulator, lifetimeMs: number, nodeArgs: string[] = [], extraEnv: Record<string, string> = {}): Promise<FnServer> {
  const child = new Child({ script: ws.children['fn-server'], nodeArgs, cwd: ws.dir, env: { ...functionEnv(emu, extraEnv), BENCH_BUNDLE: ws.bundle }, lifetimeMs });
  try {
    const { msg } = await child.next(30_000);
    if (msg.listening !== true || typeof msg.url !== 'string') throw child.failure(`did not start: ${String(msg.error)}`);
    return { child, url: msg.url };
  } catch (err) {
    child.kill();
    throw err;
  }
}
