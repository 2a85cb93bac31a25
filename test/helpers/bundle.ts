import { mkdirSync, renameSync } from 'node:fs';
import { basename, join, resolve } from 'node:path';
import { build } from 'esbuild';
import { repoRoot } from './samples.js';

// A TypeScript entry a test runs as its own `node` process (a function instance, a heap
// probe), bundled once per test worker by esbuild: the same code tsx would run, without
// paying ~1 s of CPU per process to compile it again.

const built = new Map<string, Promise<string>>();

/** The bundled entry (`entry` relative to the repository), under .tmp/bundled/. */
export function bundled(entry: string): Promise<string> {
  let file = built.get(entry);
  if (!file) {
    file = (async () => {
      const dir = resolve(repoRoot, '.tmp', 'bundled');
      mkdirSync(dir, { recursive: true });
      const name = basename(entry).replace(/\.ts$/, '');
      // Built under a name of its own, then renamed: workers building at once never see half a file.
      const own = join(dir, `${name}-${process.pid}.cjs`);
      // One CommonJS file, packages included (as scripts/build.mjs ships the function): Node
      // then neither resolves hundreds of package files nor scans each CommonJS one for its
      // exports, which was half of an instance's start-up.
      await build({
        entryPoints: [resolve(repoRoot, entry)],
        outfile: own,
        bundle: true,
        platform: 'node',
        format: 'cjs',
        target: 'node20',
        logLevel: 'error',
        define: { 'import.meta.url': '__bundled_url' },
        banner: { js: "const __bundled_url = require('node:url').pathToFileURL(__filename).href;" },
      });
      const out = join(dir, `${name}.cjs`);
      renameSync(own, out);
      return out;
    })();
    built.set(entry, file);
  }
  return file;
}
