import { spawn, type ChildProcess } from 'node:child_process';
import { TAG } from './children/protocol.js';

// One child program under the harness: spawned with a clean environment (no loaders, no
// NODE_OPTIONS, nothing inherited from npm), its tagged stdout lines turned into
// messages, everything bounded by a timeout, and killed by its own pid when done.

export type Message = Record<string, unknown>;

export interface ChildOptions {
  /** Program run by plain `node`. */
  script: string;
  /** Options for node itself (e.g. --cpu-prof); none by default. */
  nodeArgs?: string[];
  cwd?: string;
  env: Record<string, string>;
  /** Runs node through this command (e.g. cgroup.ts's launcher, which enters a limited cgroup first). */
  launcher?: string[];
  /** Hard cap on the child's lifetime. */
  lifetimeMs: number;
}

/** The only variables a child inherits; everything else is set explicitly. */
function baseEnv(): Record<string, string> {
  const out: Record<string, string> = {};
  for (const name of ['PATH', 'HOME', 'TMPDIR', 'LANG', 'TZ']) {
    const v = process.env[name];
    if (v !== undefined) out[name] = v;
  }
  return out;
}

export class Child {
  readonly proc: ChildProcess;
  /** performance.now() just before spawn(). */
  readonly spawnedAt: number;
  private readonly inbox: Array<{ msg: Message; at: number }> = [];
  private waiter?: () => void;
  private buffer = '';
  private tail: string[] = [];
  private nextId = 1;
  private exitInfo?: string;
  private readonly killTimer: NodeJS.Timeout;

  constructor(options: ChildOptions) {
    this.spawnedAt = performance.now();
    const argv = [process.execPath, ...(options.nodeArgs ?? []), options.script];
    const [command, ...args] = [...(options.launcher ?? []), ...argv];
    this.proc = spawn(command!, args, {
      cwd: options.cwd,
      env: { ...baseEnv(), ...options.env },
      stdio: ['pipe', 'pipe', 'pipe'],
    });
    this.proc.stdout!.on('data', (chunk: Buffer) => this.onData(chunk.toString('utf8'), performance.now()));
    this.proc.stderr!.on('data', (chunk: Buffer) => this.keep(chunk.toString('utf8')));
    // 'close' (not 'exit'): only after the child's stdout is drained, so no answer is lost.
    this.proc.on('close', (code, signal) => {
      this.exitInfo = `exited with ${signal ?? code}`;
      this.waiter?.();
    });
    this.proc.on('error', (err) => {
      this.exitInfo = `failed to start: ${err.message}`;
      this.waiter?.();
    });
    // Nothing the harness starts outlives its budget.
    this.killTimer = setTimeout(() => this.kill(), options.lifetimeMs);
    this.killTimer.unref();
  }

  get pid(): number | undefined {
    return this.proc.pid;
  }

  private onData(text: string, at: number): void {
    this.buffer += text;
    let nl: number;
    while ((nl = this.buffer.indexOf('\n')) >= 0) {
      const line = this.buffer.slice(0, nl);
      this.buffer = this.buffer.slice(nl + 1);
      if (line.startsWith(TAG)) {
        this.inbox.push({ msg: JSON.parse(line.slice(TAG.length)) as Message, at });
        this.waiter?.();
      } else {
        this.keep(line);
      }
    }
  }

  private keep(text: string): void {
    this.tail.push(text.slice(0, 500));
    if (this.tail.length > 15) this.tail.shift();
  }

  /** The next tagged message and the parent's performance.now() when its chunk arrived. */
  async next(timeoutMs: number): Promise<{ msg: Message; at: number }> {
    const deadline = Date.now() + timeoutMs;
    for (;;) {
      const first = this.inbox.shift();
      if (first) return first;
      if (this.exitInfo) throw this.failure(this.exitInfo);
      const left = deadline - Date.now();
      if (left <= 0) throw this.failure(`no answer within ${timeoutMs} ms`);
      await new Promise<void>((resolve) => {
        const timer = setTimeout(resolve, left);
        this.waiter = () => {
          clearTimeout(timer);
          resolve();
        };
      });
      this.waiter = undefined;
    }
  }

  /** Sends one command and waits for its answer; a child-side error becomes a throw. */
  async request(cmd: string, payload: Message = {}, timeoutMs = 60_000): Promise<Message> {
    const id = this.nextId++;
    this.proc.stdin!.write(`${JSON.stringify({ ...payload, id, cmd })}\n`);
    const { msg } = await this.next(timeoutMs);
    if (msg.id !== id) throw this.failure(`answer ${String(msg.id)} to command ${id}`);
    if (msg.ok !== true) throw this.failure(`${cmd} failed: ${String(msg.error)}`);
    return msg;
  }

  /** Asks the child to exit (its last answer carries the peak RSS); kills it if it does not. */
  async stop(timeoutMs = 5000): Promise<Message | undefined> {
    if (this.exitInfo) return undefined;
    try {
      return await this.request('exit', {}, timeoutMs);
    } catch {
      return undefined;
    } finally {
      await this.waitExit(1000);
      this.kill();
    }
  }

  async waitExit(timeoutMs: number): Promise<void> {
    if (this.exitInfo) return;
    await new Promise<void>((resolve) => {
      const timer = setTimeout(resolve, timeoutMs);
      this.proc.once('close', () => {
        clearTimeout(timer);
        resolve();
      });
    });
  }

  kill(): void {
    clearTimeout(this.killTimer);
    if (this.exitInfo === undefined && this.proc.pid !== undefined) this.proc.kill('SIGKILL');
  }

  failure(what: string): Error {
    const tail = this.tail.join('\n').trim();
    return new Error(`child ${this.proc.spawnargs.slice(1).join(' ')} (pid ${this.proc.pid}): ${what}${tail ? `\n--- last output ---\n${tail}` : ''}`);
  }
}
