import { createInterface } from 'node:readline';

// How a child program talks to the harness: newline-delimited JSON commands on stdin,
// answers on stdout as lines starting with TAG (the function's own log lines share
// stdout and are ignored by the parent). Plain node, no dependencies: these files are
// bundled with esbuild into a temp directory outside the repository before they run.

import { replyAndExit, TAG } from './report.js';

export { cpuMs, env, replyAndExit, TAG } from './report.js';

export type Command = { id: number; cmd: string } & Record<string, unknown>;
export type Handler = (command: Command) => Promise<Record<string, unknown>>;

export function reply(message: Record<string, unknown>): void {
  process.stdout.write(`${TAG}${JSON.stringify(message)}\n`);
}


/**
 * Answer commands one at a time until stdin closes or `exit` arrives. Built in: `exit`
 * (answers with the peak RSS, then exits) and `memory` (heap figures for diagnostics;
 * start the child with --expose-gc to have them taken after a full GC).
 */
export function serve(handlers: Record<string, Handler>): void {
  const lines = createInterface({ input: process.stdin });
  let queue = Promise.resolve();
  lines.on('line', (line) => {
    if (!line.trim()) return;
    queue = queue.then(async () => {
      const command = JSON.parse(line) as Command;
      if (command.cmd === 'memory') {
        reply({ id: command.id, ok: true, maxRssKb: maxRssKb(), ...memory() });
        return;
      }
      if (command.cmd === 'exit') {
        replyAndExit({ id: command.id, ok: true, maxRssKb: process.resourceUsage().maxRSS });
        return;
      }
      const handler = handlers[command.cmd];
      try {
        if (!handler) throw new Error(`unknown command ${command.cmd}`);
        reply({ id: command.id, ok: true, ...(await handler(command)) });
      } catch (err) {
        reply({ id: command.id, ok: false, error: err instanceof Error ? err.stack ?? err.message : String(err) });
      }
    });
  });
  lines.on('close', () => process.exit(0));
}

/** Heap figures in MB; after a full GC when node runs with --expose-gc (diagnostics). */
export function memory(): Record<string, number> {
  const gc = (globalThis as { gc?: () => void }).gc;
  if (gc) gc();
  const m = process.memoryUsage();
  const mb = (x: number) => Math.round((x / 1048576) * 10) / 10;
  return { rssMb: mb(m.rss), heapTotalMb: mb(m.heapTotal), heapUsedMb: mb(m.heapUsed), externalMb: mb(m.external), gc: gc ? 1 : 0 };
}

/** Peak resident set of this process so far, in kB (Linux: VmHWM). */
export function maxRssKb(): number {
  return process.resourceUsage().maxRSS;
}
