import { fcContext, loadBundle, outcomeOf } from './fc.js';
import { env, replyAndExit } from './report.js';

// Run under `node --cpu-prof`: the cold path of the bundle (require, initialize, first
// invocation) with phase marks in monotonic microseconds (the clock V8 stamps profile
// samples with), so the profile can be split per phase.

const us = () => Number(process.hrtime.bigint() / 1000n);

async function main(): Promise<void> {
  const entry = us();
  const fn = loadBundle(env('BENCH_BUNDLE'));
  const loaded = us();
  await fn.initialize?.(fcContext());
  const initialized = us();
  const result = await fn.handler(Buffer.from(env('BENCH_EVENT')), fcContext());
  const answered = us();
  // process.exit (in replyAndExit) is where --cpu-prof writes its file.
  replyAndExit({ done: true, outcome: outcomeOf(result), marks: { entry, loaded, initialized, answered } });
}

main().catch((err: unknown) => {
  replyAndExit({ done: false, error: err instanceof Error ? err.stack ?? err.message : String(err) }, 1);
});
