import { callRpc, stopInvocationCall } from '../sign.js';
import { cpuMs, env, replyAndExit } from './report.js';

// Cold start, the fetch floor (for reference): bare node signing one StopInvocation with
// node:crypto and sending it with the global fetch. Nothing else is loaded.

async function main(): Promise<void> {
  const entry = performance.now();
  const call = stopInvocationCall(env('BENCH_ECS_ENDPOINT'), env('BENCH_REGION'), env('BENCH_INVOKE_ID'), env('BENCH_INSTANCE_IDS').split(','));
  const answer = await callRpc(call, { accessKeyId: env('BENCH_AK'), accessKeySecret: env('BENCH_SK') });
  const answered = performance.now();
  const cpu = cpuMs();
  if (answer.status !== 200) throw new Error(`StopInvocation answered ${answer.status}: ${JSON.stringify(answer.body)}`);
  replyAndExit({ done: true, outcome: 'stopped', cpuMs: cpu, marks: { entry, answered } });
}

main().catch((err: unknown) => {
  replyAndExit({ done: false, error: err instanceof Error ? err.stack ?? err.message : String(err) }, 1);
});
