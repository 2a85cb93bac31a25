import { fcContext, loadBundle, outcomeOf, type BundledFunction } from './fc.js';
import { env, maxRssKb, serve, type Command } from './protocol.js';

// Two warm FC instances in one process, to measure what one setting adds under exactly
// the same conditions: the bundle loaded twice (BENCH_BUNDLE and a copy, BENCH_BUNDLE_B),
// each building its FunctionInstance from the environment as it stood at its initializer: A with
// BENCH_A_ENV added, B without. Requests alternate A/B (order flipped each pair).
//   initialize:        both initializers
//   pair {event, n}:   n CloudEvents to each, each with a fresh id; latencies in ms

const extra = JSON.parse(env('BENCH_A_ENV')) as Record<string, string>;
let a: BundledFunction;
let b: BundledFunction;

async function initialize() {
  Object.assign(process.env, extra);
  a = loadBundle(env('BENCH_BUNDLE'));
  await a.initialize?.(fcContext());
  for (const name of Object.keys(extra)) delete process.env[name];
  b = loadBundle(env('BENCH_BUNDLE_B'));
  await b.initialize?.(fcContext());
  return {};
}

async function call(fn: BundledFunction, template: Record<string, unknown>, id: string): Promise<{ ms: number; outcome: string }> {
  const event = Buffer.from(JSON.stringify({ ...template, id }));
  const t = performance.now();
  const result = await fn.handler(event, fcContext());
  return { ms: performance.now() - t, outcome: outcomeOf(result) };
}

async function pair(c: Command) {
  const template = JSON.parse(String(c.event)) as Record<string, unknown>;
  const aMs: number[] = [];
  const bMs: number[] = [];
  const outcomes: Record<string, number> = {};
  for (let i = 0; i < Number(c.n); i++) {
    const order: Array<[BundledFunction, number[], string]> = [
      [a, aMs, 'a'],
      [b, bMs, 'b'],
    ];
    if (i % 2) order.reverse();
    for (const [fn, into, tag] of order) {
      const r = await call(fn, template, `${String(c.prefix ?? 'p')}-${tag}-${i}`);
      into.push(r.ms);
      outcomes[`${tag}:${r.outcome}`] = (outcomes[`${tag}:${r.outcome}`] ?? 0) + 1;
    }
  }
  return { aMs, bMs, outcomes, maxRssKb: maxRssKb() };
}

serve({ initialize, pair });
