import { cpus, loadavg } from 'node:os';
import { alertStage } from './alert.js';
import { burstStage } from './burst.js';
import { coldStage } from './cold.js';
import { memoryStage } from './memory.js';
import { makePlan } from './plan.js';
import { whatIfEnv } from './payloads.js';
import { deployedNodeOptions, prepare } from './prepare.js';
import { profileCold } from './profile.js';
import { jsonLine, judge, table, type Figure } from './report.js';
import { scaleStage } from './scale.js';
import { spread } from './stats.js';
import { storeStage } from './store.js';
import { throughputStage } from './throughput.js';
import { warmStage } from './warm.js';

// `npm run bench [-- --quick] [--use-dist] [--profile] [--keep] [--only=cold,alert]`
//   --quick     CI smoke: every stage, fewer runs and requests (numbers are not evidence)
//   --only=…    run only these stages (comma list of stage names; for iterating on one)
//   --use-dist  bench dist/index.js as it is (default: build the working tree afresh)
//   --profile   also print where the bundle's cold start goes (node --cpu-prof)
//   --keep      keep the temp directory
// BENCH_FUNCTION_ENV='{"ECS_CONCURRENCY":"20"}' adds function settings for what-if runs.
// BENCH_NODE_OPTIONS='--max-old-space-size=64' runs the memory stage with other node flags than s.yaml's.
// The real bundle, the real emulator, real signatures, each function in its own process;
// the emulator and the load generators live here. Prints a table and a `BENCH_JSON` line.
// Exit code 0 unless the harness itself could not measure something (targets that are
// not met are reported, not failed).

const argv = process.argv.slice(2);
const only = new Set(argv.filter((a) => a.startsWith('--only=')).flatMap((a) => a.slice('--only='.length).split(',')));
const args = new Set(argv.filter((a) => !a.startsWith('--only=')));
for (const a of args) {
  if (!['--quick', '--use-dist', '--profile', '--keep'].includes(a)) {
    process.stderr.write(`unknown option ${a}\nusage: npm run bench [-- --quick] [--use-dist] [--profile] [--keep] [--only=stage,…]\n`);
    process.exit(2);
  }
}
const plan = makePlan(args.has('--quick'));
const started = Date.now();
// Other work on the machine shows up in every figure; the JSON line says how busy it was.
const loadAtStart = loadavg()[0]!;
const log = (line: string) => process.stderr.write(`[bench ${((Date.now() - started) / 1000).toFixed(1)}s] ${line}\n`);

// A harness that hangs is broken: nothing runs past this, whatever happens.
const HARD_LIMIT_MS = plan.quick ? 120_000 : 480_000;
setTimeout(() => {
  process.stderr.write(`bench: gave up after ${HARD_LIMIT_MS / 1000} s\n`);
  process.exit(3);
}, HARD_LIMIT_MS).unref();

async function main(): Promise<number> {
  const whatIf = whatIfEnv(); // fail fast on a bad BENCH_FUNCTION_ENV
  if (Object.keys(whatIf).length) log(`what-if function settings: ${JSON.stringify(whatIf)}`);
  const figures: Figure[] = [];
  const errors: string[] = [];
  const rss: Record<string, number> = {};
  let profile = '';
  const stage = async (name: string, fn: () => Promise<Figure[]>) => {
    if (only.size && !only.has(name)) return;
    const t = Date.now();
    try {
      figures.push(...(await fn()));
      log(`${name}: ${((Date.now() - t) / 1000).toFixed(1)} s`);
    } catch (err) {
      const message = err instanceof Error ? err.message : String(err);
      errors.push(`${name}: ${message}`);
      log(`${name} FAILED: ${message}`);
    }
  };

  log(`preparing (${plan.quick ? 'quick' : 'full'} run; load average ${loadAtStart.toFixed(2)} on ${cpus().length} CPUs)`);
  const ws = await prepare({ useDist: args.has('--use-dist'), log });
  log(`workspace ${ws.dir}; bundle from ${ws.bundleSource}`);
  try {
    await stage('cold', () => coldStage(ws, plan, log));
    await stage('warm', () => warmStage(ws, plan, log));
    await stage('scale', async () => {
      const r = await scaleStage(ws, plan, log);
      Object.assign(rss, r.maxRssKb);
      return r.figures;
    });
    await stage('alert', () => alertStage(ws, plan, log));
    // The burst's RSS is not the function's: 1,000 connections into the local stand-in for
    // FC's front end, which FC never sends one instance (no instance concurrency).
    await stage('burst', async () => (await burstStage(ws, plan, log)).figures);
    await stage('throughput', async () => {
      const r = await throughputStage(ws, plan, log);
      Object.assign(rss, r.maxRssKb);
      return r.figures;
    });
    await stage('store', () => storeStage(ws, plan, log));
    await stage('memory', async () => {
      // -1: a function process that ended without reporting (its figure would be missing).
      const silent = Object.keys(rss).filter((k) => rss[k]! < 0);
      if (silent.length) errors.push(`memory: no peak RSS from ${silent.join(', ')}`);
      const mb = Object.values(rss).filter((kb) => kb >= 0).map((kb) => kb / 1024);
      if (mb.length === 0) mb.push(NaN); // --only=memory: the other stages did not run
      const note = Object.entries(rss)
        .filter(([, kb]) => kb >= 0)
        .map(([k, kb]) => `${k}: ${(kb / 1024).toFixed(1)} MB`)
        .join('; ');
      const nodeOptions = process.env.BENCH_NODE_OPTIONS ?? deployedNodeOptions();
      return [
        ...(await memoryStage(ws, plan, log, nodeOptions)),
        { stage: 'memory', key: 'memory.peak_rss_mb', label: 'peak RSS, scale + throughput processes (no limit)', unit: 'MB', value: spread(mb), note },
      ];
    });
    await stage('bundle', async () => [
      { stage: 'bundle', key: 'bundle.bytes', label: 'dist/*.js (loader, bundle, chunks)', unit: 'bytes', value: spread([ws.bundleBytes]), target: { op: '<=', limit: 1024 * 1024 }, note: ws.bundleSource },
      { stage: 'bundle', key: 'bundle.gzip_bytes', label: 'dist/*.js gzip -9', unit: 'bytes', value: spread([ws.bundleGzipBytes]) },
      { stage: 'bundle', key: 'bundle.startup_bytes', label: 'read at start-up: index.js + function.js', unit: 'bytes', value: spread([ws.startupBytes]) },
      { stage: 'bundle', key: 'bundle.code_cache_bytes', label: 'V8 code cache (function.js.cache)', unit: 'bytes', value: spread([ws.cacheBytes]) },
    ]);
    if (args.has('--profile')) {
      await stage('profile', async () => {
        profile = await profileCold(ws, log);
        return [];
      });
    }
  } finally {
    if (args.has('--keep')) log(`kept ${ws.dir}`);
    else ws.cleanup();
  }

  const judged = figures.map(judge);
  process.stdout.write(`\n${table(judged)}\n\n`);
  for (const f of judged) if (f.note || f.skipped) process.stdout.write(`  ${f.key}: ${f.skipped ? `skipped: ${f.skipped}` : f.note}\n`);
  const notMet = judged.filter((f) => f.met === false).map((f) => f.key);
  process.stdout.write(`\ntargets: ${judged.filter((f) => f.met === true).length} met, ${notMet.length} NOT met${notMet.length ? ` (${notMet.join(', ')})` : ''}\n`);
  if (profile) process.stdout.write(`\n${profile}\n`);
  if (errors.length) process.stdout.write(`harness errors:\n${errors.map((e) => `  - ${e}`).join('\n')}\n`);
  const meta = {
    mode: plan.quick ? 'quick' : 'full',
    node: process.version,
    cpus: cpus().length,
    cpuModel: cpus()[0]?.model,
    loadavg1m: { start: loadAtStart, end: loadavg()[0] },
    bundle: ws.bundleSource,
    functionEnv: whatIf,
    durationS: Math.round((Date.now() - started) / 100) / 10,
    plan,
  };
  process.stdout.write(`${jsonLine(meta, judged, errors)}\n`);
  return errors.length ? 1 : 0;
}

main().then(
  (code) => process.exit(code),
  (err: unknown) => {
    process.stderr.write(`bench: ${err instanceof Error ? err.stack ?? err.message : String(err)}\n`);
    process.exit(1);
  },
);
