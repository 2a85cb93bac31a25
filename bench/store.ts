import { spawnSync } from 'node:child_process';
import { copyFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import http from 'node:http';
import { startEmulator, type Emulator } from '../emulator/index.js';
import { REDIS_SERVER, startRedis, type RedisServer } from '../test/helpers/redis.js';
import { Child } from './child.js';
import { startFnServer, type FnServer } from './fn-server.js';
import { post, type Answer } from './load.js';
import { alertmanagerWebhook, directEvent, functionEnv, REGION, seedRunning, WEBHOOK_TOKEN } from './payloads.js';
import type { Plan } from './plan.js';
import type { Workspace } from './prepare.js';
import type { Figure } from './report.js';
import { median, percentile, spread } from './stats.js';

// 6. Shared store (REDIS_URL against a real redis-server on loopback; skipped with a note
// where redis-server is not installed):
//   burst     duplicates of one Alertmanager delivery spread over several function
//             processes (FC 3.0: one request per instance) → StopInvocation calls per chunk
//   overhead  handler latency with the store minus without (event invocations, each with
//             its own dedupe key, VERIFY=false), p50/p99
//   cold      what loading redis.chunk.js costs: its require time, and spawn → first
//             answer with REDIS_URL set minus without

const PROCESSES = 4;

export async function storeStage(ws: Workspace, plan: Plan, log: (s: string) => void): Promise<Figure[]> {
  if (!REDIS_SERVER) {
    log('store: skipped: redis-server is not installed (apt-get install -y redis-server)');
    return [];
  }
  const redis = await startRedis();
  const emu = await startEmulator({ host: '127.0.0.1' });
  try {
    return [...(await burstFigures(ws, plan, emu, redis, log)), ...(await overheadFigures(ws, plan, emu, redis, log)), ...(await coldFigures(ws, plan, emu, redis, log))];
  } finally {
    await emu.close();
    await redis.stop();
  }
}

async function burstFigures(ws: Workspace, plan: Plan, emu: Emulator, redis: RedisServer, log: (s: string) => void): Promise<Figure[]> {
  const servers: FnServer[] = [];
  try {
    for (let i = 0; i < PROCESSES; i++) servers.push(await startFnServer(ws, emu, 120_000, [], { REDIS_URL: redis.url }));
    const perChunk: number[] = [];
    const retried: number[] = [];
    for (let run = 0; run < plan.burstRuns; run++) {
      // One delivery alone first: how many StopInvocation calls one delivery makes.
      emu.clearRequests();
      const single = await post(`${servers[0]!.url}/stop`, delivery(emu), auth(), new http.Agent());
      if (single.status !== 200) throw new Error(`store burst: single delivery answered ${single.status}`);
      const one = emu.requests({ service: 'ecs', action: 'StopInvocation' }).length;
      const body = delivery(emu);
      emu.clearRequests();
      const agent = new http.Agent({ keepAlive: true, maxSockets: 64 });
      const answers = await Promise.all(Array.from({ length: plan.burstSize }, (_, i) => untilAnswered(`${servers[i % PROCESSES]!.url}/stop`, body, agent)));
      agent.destroy();
      const bad = answers.filter((a) => a.answer.status !== 200);
      if (bad.length) throw new Error(`store burst: ${bad.length} deliveries answered ${JSON.stringify(bad.slice(0, 3).map((a) => a.answer))}`);
      const calls = emu.requests({ service: 'ecs', action: 'StopInvocation' }).length;
      perChunk.push(calls / one);
      retried.push(answers.filter((a) => a.retries > 0).length);
      log(`store: burst ${run + 1}/${plan.burstRuns}: ${plan.burstSize} duplicates over ${PROCESSES} processes → ${calls} StopInvocation (one delivery: ${one}); ${retried.at(-1)} answered 503 first`);
    }
    return [
      {
        stage: 'store',
        key: 'store.burst_calls_per_chunk',
        label: `StopInvocation per chunk, ${plan.burstSize} duplicates over ${PROCESSES} processes + redis`,
        unit: '×',
        value: spread(perChunk),
        target: { op: '==', limit: 1, worst: true },
        note: `deliveries told 503 (in progress elsewhere) before their duplicate answer: ${retried.join(', ')}`,
      },
    ];
  } finally {
    for (const s of servers) await s.child.stop();
  }
}

async function overheadFigures(ws: Workspace, plan: Plan, emu: Emulator, redis: RedisServer, log: (s: string) => void): Promise<Figure[]> {
  // The same bundle twice in one process (A with REDIS_URL, B without), requests alternating.
  const copy = join(dirname(ws.bundle), 'index-b.js');
  copyFileSync(ws.bundle, copy);
  const child = new Child({
    script: ws.children['fn-pair'],
    cwd: ws.dir,
    env: { ...functionEnv(emu, { VERIFY: 'false' }), BENCH_BUNDLE: ws.bundle, BENCH_BUNDLE_B: copy, BENCH_A_ENV: JSON.stringify({ REDIS_URL: redis.url }) },
    lifetimeMs: 180_000,
  });
  try {
    const target = seedRunning(emu, 1, 'store-warm.sh');
    const event = JSON.stringify({ specversion: '1.0', id: 'x', source: 'ops.rollout', type: 'ops:Rollout:Abort', aliyunregionid: REGION, data: JSON.parse(directEvent(target, 'bench: store overhead')) });
    await child.request('initialize');
    await child.request('pair', { event, n: plan.warmWarmup, prefix: 'w' });
    const r = await child.request('pair', { event, n: plan.warmRequests, prefix: 'm' }, 170_000);
    const outcomes = r.outcomes as Record<string, number>;
    if (outcomes['a:stopped'] !== plan.warmRequests || outcomes['b:stopped'] !== plan.warmRequests) throw new Error(`store overhead: outcomes ${JSON.stringify(outcomes)}`);
    const a = r.aMs as number[];
    const b = r.bMs as number[];
    const p = (xs: number[], q: number) => percentile(xs, q);
    log(`store: overhead: with store p50 ${p(a, 50).toFixed(2)} p99 ${p(a, 99).toFixed(2)} ms; without p50 ${p(b, 50).toFixed(2)} p99 ${p(b, 99).toFixed(2)} ms`);
    const note = `${a.length} event invocations each, alternating in one process, loopback redis-server; with ${p(a, 50).toFixed(2)}/${p(a, 99).toFixed(2)} ms, without ${p(b, 50).toFixed(2)}/${p(b, 99).toFixed(2)} ms (p50/p99)`;
    return [
      { stage: 'store', key: 'store.overhead_p50_ms', label: 'store overhead p50 (with − without REDIS_URL)', unit: 'ms', value: spread([p(a, 50) - p(b, 50)]), note },
      { stage: 'store', key: 'store.overhead_p99_ms', label: 'store overhead p99 (with − without REDIS_URL)', unit: 'ms', value: spread([p(a, 99) - p(b, 99)]), target: { op: '<=', limit: 1 } },
    ];
  } finally {
    await child.stop();
  }
}

async function coldFigures(ws: Workspace, plan: Plan, emu: Emulator, redis: RedisServer, log: (s: string) => void): Promise<Figure[]> {
  // The chunk's own require time, in a fresh node each time.
  const chunk = join(dirname(ws.bundle), 'redis.chunk.js');
  const requireMs: number[] = [];
  for (let i = 0; i < Math.max(3, plan.coldRounds); i++) {
    const r = spawnSync(process.execPath, ['-e', `const t=performance.now();require(${JSON.stringify(chunk)});process.stdout.write(String(performance.now()-t))`], { encoding: 'utf8', env: { PATH: process.env.PATH ?? '' } });
    if (r.status !== 0) throw new Error(`store cold: requiring redis.chunk.js failed: ${r.stderr}`);
    requireMs.push(Number(r.stdout));
  }
  const withMs: number[] = [];
  const withoutMs: number[] = [];
  const initWith: number[] = [];
  const initWithout: number[] = [];
  for (let round = 0; round < Math.max(2, plan.coldRounds); round++) {
    for (const store of round % 2 ? [false, true] : [true, false]) {
      const target = seedRunning(emu, 1, 'store-cold.sh');
      const child = new Child({
        script: ws.children['cold-bundle'],
        cwd: ws.dir,
        env: { ...functionEnv(emu, { VERIFY: 'false', ...(store ? { REDIS_URL: redis.url } : {}) }), BENCH_BUNDLE: ws.bundle, BENCH_EVENT: directEvent(target, 'bench: store cold') },
        lifetimeMs: 30_000,
      });
      try {
        const { msg, at } = await child.next(30_000);
        if (msg.done !== true || msg.outcome !== 'stopped') throw child.failure(`store cold: ${String(msg.error ?? msg.outcome)}`);
        const marks = msg.marks as Record<string, number>;
        (store ? withMs : withoutMs).push(at - child.spawnedAt);
        (store ? initWith : initWithout).push(marks.initialized! - marks.loaded!);
      } finally {
        child.kill();
      }
    }
  }
  log(`store: cold: require redis.chunk.js median ${median(requireMs).toFixed(1)} ms; spawn → answer ${median(withMs).toFixed(1)} ms with REDIS_URL, ${median(withoutMs).toFixed(1)} ms without`);
  return [
    { stage: 'store', key: 'store.client_require_ms', label: 'require(redis.chunk.js) in a fresh node', unit: 'ms', value: spread(requireMs), note: 'ioredis, bundled into its own file (not parsed without REDIS_URL)' },
    {
      stage: 'store',
      key: 'store.cold_added_ms',
      label: 'cold start added by REDIS_URL (spawn → first answer)',
      unit: 'ms',
      value: spread([median(withMs) - median(withoutMs)]),
      note: `initialize (loads the client, connects) median ${median(initWith).toFixed(1)} ms with, ${median(initWithout).toFixed(1)} ms without`,
    },
  ];
}

function auth(): Record<string, string> {
  return { authorization: `Bearer ${WEBHOOK_TOKEN}` };
}

function delivery(emu: Emulator): string {
  const named = seedRunning(emu, 1, 'store-burst-named.sh');
  const found = seedRunning(emu, 1, 'store-burst-found.sh');
  return alertmanagerWebhook({ invokeId: named.invokeId, instanceId: named.instanceIds[0]! }, found.instanceIds[0]!);
}

/** A sender that retries a 503 after its Retry-After, as Alertmanager retries a 5xx. */
async function untilAnswered(url: string, body: string, agent: http.Agent): Promise<{ answer: Answer; retries: number }> {
  for (let retries = 0; ; retries++) {
    const answer = await post(url, body, auth(), agent);
    if (answer.status !== 503 || retries >= 20) return { answer, retries };
    await new Promise((r) => setTimeout(r, 1000));
  }
}
