// V8 code cache for the bundle, made at build time (scripts/build.mjs) and used by the
// loader it writes as dist/index.js. Node 20 has no module.enableCompileCache (22.1+), so
// the loader compiles function.js itself with vm.Script and `cachedData`.
//
// V8 accepts cached data only from the same V8 version and the same V8 flags (a
// --max-old-space-size in NODE_OPTIONS changes the flag hash; node-only options such as
// --enable-source-maps do not) and for a source of the same length. When it refuses, the
// loader compiles the source as plain `require` would (rejected = the old cold start, no
// error). So the cache pays off when the build runs on the Node 20 line FC runs (FC's
// nodejs20 runtime; Node 20.x has shipped V8 11.3.244.8 throughout) with the flags
// s.yaml gives the function (its NODE_OPTIONS line, if any: build.mjs makes the cache
// under it).
//
// The cache is taken after a training run: the bundle is loaded, initialized and handles
// one event invocation and one HTTP webhook against a throwaway local server that answers
// like ECS, so the functions the first real request compiles (signer, HTTP client,
// pipeline) are in the cache too, not only the top level.
//
//   node scripts/code-cache.mjs <dir> [--no-train]   (what build.mjs runs: writes <dir>/function.js.cache)

import { readFileSync, writeFileSync } from 'node:fs';
import { createServer } from 'node:http';
import { createRequire } from 'node:module';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { Script } from 'node:vm';

/** The CommonJS wrapper the loader puts around function.js (cached data is per exact source). */
export const HEAD = '(function (exports, require, module, __filename, __dirname) { ';
export const TAIL = '\n})';
export const BUNDLE = 'function.js';
export const CACHE = 'function.js.cache';
/**
 * NODE_OPTIONS as s.yaml deploys it (a literal line, or none): the cache is made under the
 * same flags, since V8 refuses cached data made under other V8 flags.
 */
export function deployedNodeOptions(root) {
  let text = '';
  try {
    text = readFileSync(join(root, 's.yaml'), 'utf8');
  } catch {
    return '';
  }
  return /^\s*NODE_OPTIONS:\s*['"]?(.*?)['"]?\s*$/m.exec(text)?.[1] ?? '';
}

/** dist/index.js: what FC requires (handler index.handler, initializer index.initialize). */
export function loaderSource() {
  return `'use strict';
// Written by scripts/build.mjs. Runs ${BUNDLE} with the V8 code cache made at build time
// (${CACHE}) when this V8 accepts it; otherwise V8 compiles the source as require() would.
// Why and when it is accepted: scripts/code-cache.mjs.
const { readFileSync } = require('fs');
const { Script } = require('vm');
const file = __dirname + '/${BUNDLE}';
const head = ${JSON.stringify(HEAD)};
let cachedData;
try {
  cachedData = readFileSync(__dirname + '/${CACHE}');
} catch {
  cachedData = undefined;
}
const script = new Script(head + readFileSync(file, 'utf8') + ${JSON.stringify(TAIL)}, { filename: file, columnOffset: -head.length, cachedData });
const inner = { exports: {} };
script.runInThisContext()(inner.exports, require, inner, file, __dirname);
module.exports = inner.exports;
const codeCache = cachedData === undefined ? 'absent' : script.cachedDataRejected ? 'rejected' : 'accepted';
// Not enumerable: the exports stay exactly the FC entry points. For the bench and tests.
Object.defineProperty(module.exports, 'codeCache', { value: codeCache });
// Whether FC's node took it shows with LOG_LEVEL=debug (one JSON line, as the function logs).
if (process.env.LOG_LEVEL === 'debug') process.stdout.write(JSON.stringify({ time: new Date().toISOString(), level: 'debug', msg: 'code cache', codeCache, node: process.version }) + '\\n');
`;
}

/** Answers StopInvocation and DescribeInvocations the way ECS does, for the training run only. */
function fakeEcs() {
  return createServer((req, res) => {
    const url = new URL(req.url ?? '/', 'http://x');
    const invokeId = url.searchParams.get('InvokeId') ?? 't-training';
    const instanceId = url.searchParams.get('InstanceId.1') ?? url.searchParams.get('InstanceId') ?? 'i-training';
    const action = String(req.headers['x-acs-action'] ?? url.searchParams.get('Action'));
    req.resume();
    req.on('end', () => {
      const body =
        action === 'DescribeInvocations'
          ? {
              RequestId: 'training',
              Invocations: {
                Invocation: [{ InvokeId: invokeId, InvocationStatus: 'Stopped', InvokeInstances: { InvokeInstance: [{ InstanceId: instanceId, InvocationStatus: 'Stopped' }] } }],
              },
            }
          : { RequestId: 'training' };
      res.writeHead(200, { 'content-type': 'application/json' }).end(JSON.stringify(body));
    });
  });
}

async function train(fn, port) {
  const token = 'training-token-0123456789abcdef';
  Object.assign(process.env, {
    ECS_ENDPOINT: `http://127.0.0.1:${port}`,
    ALIBABA_CLOUD_ACCESS_KEY_ID: 'training',
    ALIBABA_CLOUD_ACCESS_KEY_SECRET: 'training',
    ALIBABA_CLOUD_ECS_METADATA_DISABLED: 'true',
    ALIBABA_CLOUD_CLI_PROFILE_DISABLED: 'true',
    WEBHOOK_TOKENS: token,
    VERIFY_GRACE_MS: '0',
    LOG_LEVEL: 'error',
  });
  const context = { requestId: 'training', region: 'cn-hangzhou', accountId: '1', function: { name: 'training', timeout: 30 } };
  await fn.initialize(context);
  const request = { regionId: 'cn-hangzhou', invokeId: 't-training', instanceIds: ['i-training'], reason: 'build-time training run' };
  const event = await fn.handler(Buffer.from(JSON.stringify(request)), context);
  const http = {
    version: 'v1',
    rawPath: '/stop',
    headers: { Authorization: `Bearer ${token}`, 'Content-Type': 'application/json' },
    queryParameters: {},
    body: JSON.stringify({ ...request, invokeId: 't-training2' }),
    isBase64Encoded: false,
    requestContext: { accountId: '1', domainName: 'localhost', http: { method: 'POST', path: '/stop', protocol: 'HTTP/1.1', sourceIp: '127.0.0.1', userAgent: 'training' }, requestId: 'training2', time: new Date().toISOString(), timeEpoch: String(Date.now()) },
  };
  const response = await fn.handler(Buffer.from(JSON.stringify(http)), { ...context, requestId: 'training2' });
  // A training run that took another path than a real stop would cache the wrong functions.
  const outcomes = [event?.data?.outcome, JSON.parse(response?.body ?? '{}')?.data?.outcome];
  if (outcomes.some((o) => o !== 'stopped')) throw new Error(`training outcomes ${outcomes.join(', ')}, expected stopped`);
}

/** Loads <dir>/function.js like the loader does, trains it, writes the cache; returns a note. */
export async function produce(dir, { train: doTrain = true } = {}) {
  const file = resolve(dir, BUNDLE);
  const script = new Script(HEAD + readFileSync(file, 'utf8') + TAIL, { filename: file, columnOffset: -HEAD.length });
  const inner = { exports: {} };
  script.runInThisContext()(inner.exports, createRequire(file), inner, file, dirname(file));
  let note = doTrain ? 'after a training request' : 'top level only (--no-train)';
  const server = fakeEcs();
  try {
    await new Promise((ok) => server.listen(0, '127.0.0.1', ok));
    if (doTrain) await train(inner.exports, server.address().port);
  } catch (err) {
    // The cache still holds everything compiled so far (at least the top level).
    note = `top level only (training failed: ${err instanceof Error ? err.message : String(err)})`;
  } finally {
    server.closeAllConnections?.();
    server.close();
  }
  const data = script.createCachedData();
  writeFileSync(join(dir, CACHE), data);
  return { bytes: data.length, note };
}

const isMain = process.argv[1] && resolve(process.argv[1]) === fileURLToPath(import.meta.url);
if (isMain) {
  produce(process.argv[2], { train: !process.argv.includes('--no-train') }).then(
    ({ bytes, note }) => {
      process.stdout.write(`\n@@code-cache ${JSON.stringify({ bytes, note })}\n`);
      // Timers the function left (credential refresh, keep-alive sockets) must not hold the build.
      process.exit(0);
    },
    (err) => {
      process.stderr.write(`code cache: ${err instanceof Error ? err.stack : String(err)}\n`);
      process.exit(1);
    },
  );
}
