#!/usr/bin/env node
// Bundle the function for the FC 3.0 `nodejs20` runtime into dist/, no node_modules
// needed. s.yaml deploys ./dist with handler `index.handler` and initializer
// `index.initialize`.
//
//   node scripts/build.mjs [--outdir dist] [--no-minify] [--quiet] [--analyze] [--entry file.ts] [--no-code-cache]
//
//   index.js            a small loader (scripts/code-cache.mjs): runs function.js with the
//   function.js.cache   V8 code cache made here, when V8 accepts it
//   function.js         the minified CommonJS bundle: what start-up parses (when uncached)
//   deferred.chunk.js   modules the SDKs require at load but the function rarely calls (DEFERRED)
//   <name>.chunk.js     each module the function loads with import() (splitDynamicImports)
//   *.map               source maps
//
// The repo is `"type": "module"`, so dist/ gets its own package.json saying
// `"type": "commonjs"`: dist/index.js then loads as CommonJS in FC and locally alike.

import { analyzeMetafile, build } from 'esbuild';
import { spawnSync } from 'node:child_process';
import { mkdirSync, readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import { basename, dirname, relative, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { gzipSync } from 'node:zlib';
import { BUNDLE, CACHE, deployedNodeOptions, loaderSource } from './code-cache.mjs';

const root = resolve(dirname(fileURLToPath(import.meta.url)), '..');

/**
 * Modules the SDKs load but this function never uses. `@darabonba/typescript` (under
 * `@alicloud/openapi-core`) requires its WebSocket client at load time, and with it `ws`
 * and three proxy agents (~170 kB minified). Only `ws:`/`wss:` API calls reach that code;
 * the function makes HTTPS RPC calls (ECS, STS, EventBridge) only. Marking them
 * `external` would break loading (the `require` runs at start-up and dist/ has no
 * node_modules), so they are replaced by a stub that loads fine and throws a clear error
 * if anything ever calls it. `test/ship.test.ts` runs the bundle against the emulator
 * from a directory with no node_modules, which proves the stub is never hit.
 */
export const STUBBED = ['ws', 'https-proxy-agent', 'http-proxy-agent', 'socks-proxy-agent'];
const STUB_IMPORTER = /[\\/]@darabonba[\\/]typescript[\\/]dist[\\/]websocket\.js$/;

const stubUnusedWebSocket = {
  name: 'stub-unused-websocket',
  setup(b) {
    const filter = new RegExp(`^(${STUBBED.map((n) => n.replace(/[-/]/g, '\\$&')).join('|')})$`);
    b.onResolve({ filter }, (args) => (STUB_IMPORTER.test(args.importer) ? { path: args.path, namespace: 'unused-stub' } : undefined));
    b.onLoad({ filter: /.*/, namespace: 'unused-stub' }, (args) => ({
      loader: 'js',
      contents: [
        `function unavailable() { throw new Error(${JSON.stringify(`${args.path} is not bundled: fc-stop-invocation makes no WebSocket calls (see scripts/build.mjs)`)}); }`,
        'module.exports = unavailable;',
        'module.exports.SocksProxyAgent = unavailable;',
      ].join('\n'),
    }));
  },
};

/**
 * Modules the SDKs require at load time for helpers this function never or rarely calls:
 * lodash (for `merge` only), moment (for its `Date` wrapper) and xml2js (for XML bodies;
 * ECS answers JSON) under `@darabonba/typescript`, and two built-ins. Evaluating them
 * costs ~8 ms of every cold start, so each importer gets a shim that requires the real
 * module on first use. Each shim is shaped to how its one importer uses the module
 * (matched by importer path; test/fixtures/startup-probe.ts runs each through its shim).
 */
const DEFERRED = {
  // func.js: `__importStar(require("lodash"))` copies keys at load, then calls `_.merge`,
  // the one function it uses: the chunk carries lodash's own `lodash/merge` module (the same
  // implementation, with only what it needs) instead of all of lodash.
  lodash: { importer: /[\\/]@darabonba[\\/]typescript[\\/]dist[\\/]func\.js$/, real: 'lodash/merge', shim: 'module.exports = { merge: (...a) => load()(...a) };' },
  // date.js: `__importDefault(require("moment"))`, then calls it as a function.
  moment: { importer: /[\\/]@darabonba[\\/]typescript[\\/]dist[\\/]date\.js$/, shim: 'module.exports = function moment(...a) { return load().apply(this, a); };' },
  // xml.js: `require("xml2js")`, then `new xml2js.Parser(…)` / `new xml2js.Builder(…)`.
  xml2js: {
    importer: /[\\/]@darabonba[\\/]typescript[\\/]dist[\\/]xml\.js$/,
    shim: 'module.exports = { get Parser() { return load().Parser; }, get Builder() { return load().Builder; } };',
  },
  // Built-ins the function never touches before its first request (~2 ms of CPU to load).
  // httpx: `zlib.createGunzip()` / `zlib.createInflate()` for compressed answers only;
  // shared/triggers/decode.ts: `gunzipSync` / `inflateSync` for a Content-Encoding body only;
  // shared/store/codec.ts: `deflateRawSync` / `inflateRawSync` for results over 8 KiB only.
  zlib: {
    importer: /([\\/]httpx[\\/]lib[\\/]index\.js|[\\/]shared[\\/]triggers[\\/]decode\.ts|[\\/]shared[\\/]store[\\/]codec\.ts)$/,
    shim: ['createGunzip', 'createInflate', 'gunzipSync', 'inflateSync', 'deflateRawSync', 'inflateRawSync'].map((f) => `exports.${f} = (...a) => load().${f}(...a);`).join('\n'),
  },
  // credentials' External provider (CLI profile mode External only): `promisify(execFile)`
  // at load, so the shim carries the real one's custom promisified form ({ stdout, stderr }).
  child_process: {
    importer: /[\\/]@alicloud[\\/]credentials[\\/]dist[\\/]src[\\/]providers[\\/]external\.js$/,
    shim: [
      "const { promisify } = require('util');",
      'function execFile(...a) { return load().execFile(...a); }',
      'Object.defineProperty(execFile, promisify.custom, { value: (...a) => load().execFile[promisify.custom](...a) });',
      'module.exports = { execFile };',
    ].join('\n'),
  },
};

/**
 * The deferred modules live in their own file, dist/deferred.chunk.js, required on first
 * use: kept out of function.js, V8 neither parses nor caches them at start-up. The shims
 * stay in the bundle; `found` collects where each real module resolved (from its importer,
 * so the same copy the SDK would load) for the chunk's build.
 */
const DEFERRED_CHUNK = 'deferred.chunk.js';
function deferUnusedAtStart(found) {
  return {
    name: 'defer-unused-at-start',
    setup(b) {
      const names = Object.keys(DEFERRED);
      // `node:zlib` and `zlib` are the same module.
      b.onResolve({ filter: new RegExp(`^(node:)?(${names.join('|')})$`) }, async (args) => {
        const name = args.path.replace(/^node:/, '');
        if (!DEFERRED[name].importer.test(args.importer)) return undefined;
        const real = await b.resolve(DEFERRED[name].real ?? name, { resolveDir: dirname(args.importer), kind: 'require-call', pluginData: { real: true } });
        if (real.errors.length) return { errors: real.errors };
        found.set(name, real.path);
        return { path: name, namespace: 'deferred' };
      });
      b.onLoad({ filter: /.*/, namespace: 'deferred' }, (args) => ({
        loader: 'js',
        contents: [`let real;`, `const load = () => (real ??= require(${JSON.stringify(`./${DEFERRED_CHUNK}`)})[${JSON.stringify(args.path)}]);`, DEFERRED[args.path].shim].join('\n'),
      }));
      b.onResolve({ filter: new RegExp(`^\\./${DEFERRED_CHUNK.replace(/\./g, '\\.')}$`) }, (args) => ({ path: args.path, external: true }));
    },
  };
}

/**
 * Modules the SDKs require at load for code the function never runs, that share modules
 * with the rest of the bundle (so a chunk of their own would carry second copies). They
 * stay in function.js, but their importer gets a shim that evaluates them on first use:
 * esbuild wraps each bundled CommonJS module in a function, which then runs only when the
 * shim calls it, and V8 neither compiles nor caches a function that never runs. Each shim
 * is shaped to how its importer uses the module (matched by importer path, as DEFERRED).
 */
const LAZY = {
  // httpx and the RAM-role provider each make their `debug` loggers at load. `debug` reads
  // DEBUG once, when it loads, and its loggers are silent without it; yet loading it opens
  // process.stderr, loads tty and looks for supports-color (~1 ms). Without DEBUG a logger
  // is a silent no-op, as the real one is then; with DEBUG the real module loads at the
  // moment it would have.
  debug: {
    importer: /([\\/]httpx[\\/]lib[\\/]index\.js|[\\/]@alicloud[\\/]credentials[\\/]dist[\\/]src[\\/]providers[\\/]ram_role_arn\.js)$/,
    shim: () =>
      [
        'module.exports = function debug(namespace) {',
        '  if (process.env.DEBUG) return load()(namespace);',
        '  const silent = function () {};',
        '  silent.enabled = false;',
        '  silent.namespace = namespace;',
        '  return silent;',
        '};',
      ].join('\n'),
  },
  // The WebSocket halves of the SDK stack: `@darabonba/typescript` re-exports its WebSocket
  // client (`__exportStar` copies the names at load, as getters) and `@alicloud/openapi-core`
  // imports its WebSocket utilities, used only inside WebSocket calls. The shim has the real
  // module's export names (read at build time), each a getter into the real module.
  './websocket': { importer: /[\\/]@darabonba[\\/]typescript[\\/]dist[\\/]index\.js$/, shim: lazyExports },
  './websocketUtils': { importer: /[\\/]@alicloud[\\/]openapi-core[\\/]dist[\\/]client\.js$/, shim: lazyExports },
};

/** A shim whose exports are the real module's names, each a getter into the real module. */
function lazyExports(realPath) {
  const names = Object.keys(createRequire(realPath)(realPath));
  return [
    "Object.defineProperty(exports, '__esModule', { value: true });",
    `for (const name of ${JSON.stringify(names)}) Object.defineProperty(exports, name, { enumerable: true, get: () => load()[name] });`,
  ].join('\n');
}

const evaluateOnFirstUse = {
  name: 'evaluate-on-first-use',
  setup(b) {
    const escaped = Object.keys(LAZY).map((n) => n.replace(/[.*+?^${}()|[\]\\/]/g, '\\$&'));
    b.onResolve({ filter: new RegExp(`^(${escaped.join('|')})$`) }, async (args) => {
      if (!LAZY[args.path].importer.test(args.importer)) return undefined;
      const real = await b.resolve(args.path, { resolveDir: args.resolveDir, kind: 'require-call' });
      if (real.errors.length) return { errors: real.errors };
      return { path: real.path, namespace: 'lazy', pluginData: { name: args.path } };
    });
    b.onLoad({ filter: /.*/, namespace: 'lazy' }, (args) => ({
      loader: 'js',
      // The absolute path resolves to the real module, bundled as usual (this shim is its only importer).
      contents: [`let real;`, `const load = () => (real ??= require(${JSON.stringify(args.path)}));`, LAZY[args.pluginData.name].shim(args.path)].join('\n'),
      resolveDir: dirname(args.path),
    }));
  },
};

/**
 * Every module the function loads with `import('./x.js')` (the EventBridge sink, and any
 * client only some configurations use) becomes its own file, `x.chunk.js`, required when
 * the import runs, with its own copy of what it needs: never parsed at start-up.
 */
function splitDynamicImports(chunks) {
  return {
    name: 'split-dynamic-imports',
    setup(b) {
      b.onResolve({ filter: /^\./ }, async (args) => {
        if (args.kind !== 'dynamic-import' || args.pluginData?.split) return undefined;
        const r = await b.resolve(args.path, { resolveDir: args.resolveDir, kind: 'dynamic-import', pluginData: { split: true } });
        if (r.errors.length) return { errors: r.errors };
        const name = `${basename(r.path).replace(/\.[cm]?[jt]s$/, '')}.chunk.js`;
        const other = [...chunks].find(([path, n]) => n === name && path !== r.path);
        if (other) return { errors: [{ text: `two dynamically imported modules would both be ${name}: ${other[0]} and ${r.path}` }] };
        chunks.set(r.path, name);
        return { path: `./${name}`, external: true };
      });
    },
  };
}

export const LIMIT_BYTES = 1024 * 1024;

/** @param {{ outdir?: string, minify?: boolean, quiet?: boolean, analyze?: boolean, entry?: string, codeCache?: boolean }} [options] */
export async function bundle(options = {}) {
  const outdir = resolve(root, options.outdir ?? 'dist');
  const minify = options.minify ?? true;
  // dist/ is emptied first (stale files would be uploaded too): never let that be the repo.
  const rel = relative(outdir, root);
  if (outdir === dirname(outdir) || rel === '' || !rel.startsWith('..')) {
    throw new Error(`refusing to use ${outdir} as the output directory (it would be emptied)`);
  }
  rmSync(outdir, { recursive: true, force: true });
  mkdirSync(outdir, { recursive: true });

  const found = new Map();
  const chunks = new Map();
  const common = {
    absWorkingDir: root,
    bundle: true,
    platform: 'node',
    target: 'node20',
    format: 'cjs',
    minify,
    sourcemap: true,
    sourcesContent: false,
    legalComments: 'none',
    // Prefer the CommonJS builds the SDKs ship (what FC's own runtime would load).
    mainFields: ['main', 'module'],
    conditions: ['node', 'require'],
    // import() becomes require() in a promise: the loader's vm.Script has no ESM loader behind it.
    supported: { 'dynamic-import': false },
    metafile: true,
    logLevel: 'warning',
  };
  const result = await build({
    ...common,
    // `entry` lets a test bundle a probe with exactly the production settings.
    entryPoints: [resolve(root, options.entry ?? 'functions/stop-invocation/index.ts')],
    outfile: resolve(outdir, BUNDLE),
    plugins: [stubUnusedWebSocket, evaluateOnFirstUse, deferUnusedAtStart(found), splitDynamicImports(chunks)],
  });
  for (const [path, name] of chunks) {
    await build({ ...common, entryPoints: [path], outfile: resolve(outdir, name), plugins: [stubUnusedWebSocket, deferUnusedAtStart(found)] });
  }
  // Last: the chunks above may defer modules of their own.
  if (found.size) {
    await build({
      ...common,
      stdin: { contents: `module.exports = {${[...found].map(([name, path]) => `${JSON.stringify(name)}: require(${JSON.stringify(path)})`).join(', ')}};`, resolveDir: root, loader: 'js', sourcefile: 'deferred-modules.js' },
      outfile: resolve(outdir, DEFERRED_CHUNK),
    });
  }

  writeFileSync(resolve(outdir, 'package.json'), JSON.stringify({ type: 'commonjs' }, null, 2) + '\n');
  writeFileSync(resolve(outdir, 'index.js'), loaderSource());
  const cache = options.codeCache === false ? { note: 'not made (--no-code-cache)' } : makeCodeCache(outdir);

  // What gets uploaded and parsed: every .js file (loader, bundle, deferred chunk); the
  // code cache and source maps are read only when used.
  const code = Buffer.concat(readdirSync(outdir).filter((f) => f.endsWith('.js')).map((f) => readFileSync(resolve(outdir, f))));
  const size = code.length;
  const gzip = gzipSync(code, { level: 9 }).length;
  if (options.analyze) process.stdout.write(await analyzeMetafile(result.metafile, { verbose: false }));
  if (!options.quiet) {
    const rel = relative(process.cwd(), outdir) || '.';
    const startup = ['index.js', BUNDLE].reduce((n, f) => n + readFileSync(resolve(outdir, f)).length, 0);
    process.stdout.write(
      `${rel}/*.js  ${kb(size)} (gzip ${kb(gzip)}), of which start-up reads index.js + ${BUNDLE} ${kb(startup)}; + source maps, package.json; V8 code cache: ${cache.note}\n`,
    );
  }
  if (size > LIMIT_BYTES) {
    throw new Error(`bundle is ${kb(size)}, over the ${kb(LIMIT_BYTES)} budget: check what got pulled in (node scripts/build.mjs --analyze)`);
  }
  return { outdir, size, gzip, metafile: result.metafile, codeCache: cache.note };
}

/** Runs scripts/code-cache.mjs in a fresh node with s.yaml's NODE_OPTIONS; a failure leaves no cache (the loader then compiles). */
function makeCodeCache(outdir) {
  const nodeOptions = deployedNodeOptions(root);
  const r = spawnSync(process.execPath, [resolve(root, 'scripts', 'code-cache.mjs'), outdir], {
    encoding: 'utf8',
    timeout: 60_000,
    env: { PATH: process.env.PATH ?? '', HOME: process.env.HOME ?? '', TZ: 'UTC', ...(nodeOptions ? { NODE_OPTIONS: nodeOptions } : {}) },
  });
  if (r.status !== 0) {
    rmSync(resolve(outdir, CACHE), { force: true });
    return { note: `none (${(r.stderr || r.error?.message || `exit ${r.status}`).trim().split('\n')[0]})` };
  }
  // The bundle may print too (a probe entry does): the result is the marked line.
  const { bytes, note } = JSON.parse(/^@@code-cache (.*)$/m.exec(r.stdout)?.[1] ?? '{"bytes":0,"note":"no result"}');
  const major = process.versions.node.split('.')[0];
  const warn = major === '20' ? '' : `; built with Node ${process.versions.node}, FC runs Node 20: V8 will reject it there`;
  const flags = nodeOptions ? `, NODE_OPTIONS=${nodeOptions}` : '';
  return { note: `${kb(bytes)} for Node ${process.versions.node} (V8 ${process.versions.v8}${flags}), ${note}${warn}` };
}

function kb(n) {
  return n >= 1024 * 1024 ? `${(n / 1024 / 1024).toFixed(2)} MB` : `${(n / 1024).toFixed(1)} kB`;
}

const isMain = process.argv[1] && resolve(process.argv[1]) === fileURLToPath(import.meta.url);
if (isMain) {
  const args = process.argv.slice(2);
  const value = (flag) => (args.includes(flag) ? args[args.indexOf(flag) + 1] : undefined);
  bundle({
    outdir: value('--outdir'),
    entry: value('--entry'),
    minify: !args.includes('--no-minify'),
    quiet: args.includes('--quiet'),
    analyze: args.includes('--analyze'),
    codeCache: !args.includes('--no-code-cache'),
  }).catch((err) => {
    process.stderr.write(`build failed: ${err instanceof Error ? err.message : String(err)}\n`);
    process.exit(1);
  });
}
