'use strict';
// Cold start (b): what a straightforward function would do: require the full ECS SDK
// client (unbundled, from the repository's node_modules) and call StopInvocation once.
// Plain CommonJS on purpose, run by plain node; prints the same `done` line as the others.

const entry = performance.now();
const Ecs = require('@alicloud/ecs20140526');
const loaded = performance.now();

const TAG = '@@bench ';
const env = (name) => {
  const value = process.env[name];
  if (!value) throw new Error(`${name} is not set`);
  return value;
};

async function main() {
  const Client = Ecs.default;
  const client = new Client({
    accessKeyId: env('BENCH_AK'),
    accessKeySecret: env('BENCH_SK'),
    endpoint: env('BENCH_ECS_ENDPOINT'),
    protocol: 'http',
    regionId: env('BENCH_REGION'),
  });
  const response = await client.stopInvocation(
    new Ecs.StopInvocationRequest({
      regionId: env('BENCH_REGION'),
      invokeId: env('BENCH_INVOKE_ID'),
      instanceId: env('BENCH_INSTANCE_IDS').split(','),
    }),
  );
  const answered = performance.now();
  const { user, system } = process.cpuUsage();
  if (!response.body || !response.body.requestId) throw new Error('StopInvocation answered without a RequestId');
  process.stdout.write(`${TAG}${JSON.stringify({ done: true, outcome: 'stopped', cpuMs: (user + system) / 1000, marks: { entry, loaded, answered } })}\n`, () => process.exit(0));
}

main().catch((err) => {
  process.stdout.write(`${TAG}${JSON.stringify({ done: false, error: String((err && err.stack) || err) })}\n`, () => process.exit(1));
});
