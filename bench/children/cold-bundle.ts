import { cpuMs, env, replyAndExit } from './report.js';
import { fcContext, loadBundle, outcomeOf } from './fc.js';

// Cold start: the built bundle, required by plain node from a directory with no
// node_modules, initializer then one event invocation (a single StopInvocation when
// VERIFY=false). Prints `done` once the ECS answer is in, then exits.

async function main(): Promise<void> {
  const entry = performance.now();
  const cpuEntry = cpuMs();
  const fn = loadBundle(env('BENCH_BUNDLE'));
  const loaded = performance.now();
  const cpuLoaded = cpuMs();
  await fn.initialize?.(fcContext());
  const initialized = performance.now();
  const cpuInitialized = cpuMs();
  const result = await fn.handler(Buffer.from(env('BENCH_EVENT')), fcContext());
  const answered = performance.now();
  const cpu = cpuMs();
  // performance.now() counts from the process's time origin (start-up), so these are
  // milliseconds since the process began; cpu* marks are this process's CPU ms so far.
  replyAndExit({ done: true, outcome: outcomeOf(result), cpuMs: cpu, codeCache: fn.codeCache, marks: { entry, loaded, initialized, answered, cpuEntry, cpuLoaded, cpuInitialized } });
}

main().catch((err: unknown) => {
  replyAndExit({ done: false, error: err instanceof Error ? err.stack ?? err.message : String(err) }, 1);
});
