import { callRpc, type RpcCall } from '../sign.js';
import { dataOf, fcContext, loadBundle, outcomeOf } from './fc.js';
import { env, maxRssKb, serve, type Command } from './protocol.js';

// A warm FC instance driven by event invocations straight into the bundle's handler, with
// the floor's bare signed request in the same process as the baseline for the same call.
//   warm  {event, n, bare}: n × (bare call, handler call), interleaved; latencies in ms
//   time  {event, bare?}:   one handler call (and one bare call) timed
//   keyed {event, n}:       n handler calls of a CloudEvent, each with a fresh id (so
//                           each has its own dedupe key and goes through the store)
//   rss:                    peak RSS so far

const fn = loadBundle(env('BENCH_BUNDLE'));
const keys = { accessKeyId: env('BENCH_AK'), accessKeySecret: env('BENCH_SK') };

async function bare(call: RpcCall): Promise<number> {
  const t = performance.now();
  const answer = await callRpc(call, keys);
  const ms = performance.now() - t;
  if (answer.status !== 200) throw new Error(`bare ${call.action} answered ${answer.status}: ${JSON.stringify(answer.body)}`);
  return ms;
}

async function invoke(event: Buffer): Promise<{ ms: number; outcome: string; result: unknown }> {
  const t = performance.now();
  const result = await fn.handler(event, fcContext());
  return { ms: performance.now() - t, outcome: outcomeOf(result), result };
}

async function warm(c: Command) {
  const event = Buffer.from(String(c.event));
  const call = c.bare as RpcCall;
  const n = Number(c.n);
  const handlerMs: number[] = [];
  const bareMs: number[] = [];
  const outcomes: Record<string, number> = {};
  for (let i = 0; i < n; i++) {
    bareMs.push(await bare(call));
    const r = await invoke(event);
    handlerMs.push(r.ms);
    outcomes[r.outcome] = (outcomes[r.outcome] ?? 0) + 1;
  }
  return { handlerMs, bareMs, outcomes, maxRssKb: maxRssKb() };
}

async function keyed(c: Command) {
  const template = JSON.parse(String(c.event)) as Record<string, unknown>;
  const handlerMs: number[] = [];
  const outcomes: Record<string, number> = {};
  for (let i = 0; i < Number(c.n); i++) {
    const r = await invoke(Buffer.from(JSON.stringify({ ...template, id: `${String(c.prefix ?? 'k')}-${i}-${performance.now()}` })));
    handlerMs.push(r.ms);
    outcomes[r.outcome] = (outcomes[r.outcome] ?? 0) + 1;
  }
  return { handlerMs, outcomes, maxRssKb: maxRssKb() };
}

async function time(c: Command) {
  const r = await invoke(Buffer.from(String(c.event)));
  const data = dataOf(r.result) as { counts?: unknown; error?: unknown } | undefined;
  const counts = data?.counts;
  const bareMs = c.bare ? await bare(c.bare as RpcCall) : undefined;
  return { handlerMs: r.ms, bareMs, outcome: r.outcome, counts, error: data?.error, maxRssKb: maxRssKb() };
}

async function initialize() {
  const t = performance.now();
  await fn.initialize?.(fcContext());
  return { ms: performance.now() - t };
}

serve({ initialize, warm, keyed, time, rss: async () => ({ maxRssKb: maxRssKb() }) });
