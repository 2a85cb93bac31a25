'use strict';
// Node 20 has no module.enableCompileCache (Node 22.1+), and the Serverless Devs CLI is one
// 6.6 MB file that V8 compiles again on each of the dozen `s` runs of test/ship.test.ts
// (~0.3 s of CPU each). Preloaded (`node --require`) by test/helpers/s-cli.ts only: a large
// CommonJS file under COMPILE_CACHE_ROOT is compiled with a V8 code cache kept in
// COMPILE_CACHE_DIR and run exactly as Node's loader runs it (the same wrapper and
// arguments). A missing or rejected cache is written anew when the process exits.
const Module = require('node:module');
const vm = require('node:vm');
const fs = require('node:fs');
const path = require('node:path');
const crypto = require('node:crypto');

const root = process.env.COMPILE_CACHE_ROOT;
const dir = process.env.COMPILE_CACHE_DIR;
const compile = Module.prototype._compile;
const toWrite = [];

Module.prototype._compile = function (content, filename) {
  if (!root || !dir || !filename.startsWith(root) || content.length < 100_000) return compile.call(this, content, filename);
  const key = path.join(dir, `${crypto.createHash('sha256').update(filename).update(content).digest('hex').slice(0, 32)}.v8`);
  let cachedData;
  try {
    cachedData = fs.readFileSync(key);
  } catch {
    // first run: compiled without, cached at exit
  }
  const script = new vm.Script(Module.wrap(content), { filename, cachedData, importModuleDynamically: vm.constants.USE_MAIN_CONTEXT_DEFAULT_LOADER });
  if (cachedData === undefined || script.cachedDataRejected) toWrite.push({ key, script });
  const wrapper = script.runInThisContext({ displayErrors: true });
  return wrapper.call(this.exports, this.exports, Module.createRequire(filename), this, filename, path.dirname(filename));
};

process.once('exit', () => {
  for (const { key, script } of toWrite) {
    try {
      fs.mkdirSync(dir, { recursive: true });
      const own = `${key}.${process.pid}`;
      fs.writeFileSync(own, script.createCachedData());
      fs.renameSync(own, key);
    } catch {
      // a cache is an optimisation: without it the next run compiles again
    }
  }
});
