import { spawnSync } from 'node:child_process';
import { cpSync, existsSync, mkdtempSync, readdirSync, readFileSync, rmSync, statSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { gzipSync } from 'node:zlib';
import { build } from 'esbuild';

// Everything the children run, laid out in a temp directory outside the repository (so
// nothing there can resolve the repository's node_modules): the function bundle, built
// by the project's own scripts/build.mjs (or copied from dist/ with --use-dist), and the
// child programs, bundled from bench/children/*.ts into plain CommonJS files.

export const repoRoot = resolve(dirname(fileURLToPath(import.meta.url)), '..');

export interface Workspace {
  dir: string;
  /** Absolute path of the function bundle (index.js) in the temp directory. */
  bundle: string;
  /** Every .js file of the function (loader, bundle, chunks): what the 1 MB budget counts. */
  bundleBytes: number;
  bundleGzipBytes: number;
  /** What is read and compiled at start-up: the loader and function.js (chunks load on first use). */
  startupBytes: number;
  /** The V8 code cache beside function.js (0 when there is none). */
  cacheBytes: number;
  /** Where the bundle came from, for the report. */
  bundleSource: string;
  children: Record<ChildName, string>;
  /** The naive handler runs from the repository (it needs node_modules). */
  naiveHandler: string;
  cleanup(): void;
}

/**
 * NODE_OPTIONS as s.yaml deploys it (one literal line; scripts/build.mjs makes the code
 * cache under the same flags). Function processes in the bench run with it, as in FC.
 */
export function deployedNodeOptions(): string {
  const m = /^\s*NODE_OPTIONS:\s*['"]?(.*?)['"]?\s*$/m.exec(readFileSync(join(repoRoot, 's.yaml'), 'utf8'));
  return m?.[1] ?? '';
}

export const CHILDREN = ['cold-node', 'cold-floor-http', 'cold-floor', 'cold-bundle', 'cold-profile', 'fn-direct', 'fn-pair', 'fn-server'] as const;
export type ChildName = (typeof CHILDREN)[number];

export async function prepare(options: { useDist: boolean; log: (line: string) => void }): Promise<Workspace> {
  const dir = mkdtempSync(join(tmpdir(), 'fc-stop-invocation-bench-'));
  const cleanup = () => rmSync(dir, { recursive: true, force: true });
  try {
    const fnDir = join(dir, 'fn');
    let bundleSource: string;
    if (options.useDist) {
      const dist = join(repoRoot, 'dist');
      if (!existsSync(join(dist, 'index.js'))) buildInto(dist, options.log);
      cpSync(dist, fnDir, { recursive: true });
      bundleSource = `dist/index.js (built ${statSync(join(dist, 'index.js')).mtime.toISOString()})`;
    } else {
      buildInto(fnDir, options.log);
      bundleSource = 'scripts/build.mjs from the working tree';
    }
    const bundle = join(fnDir, 'index.js');
    const files = readdirSync(fnDir);
    const code = Buffer.concat(files.filter((f) => f.endsWith('.js')).map((f) => readFileSync(join(fnDir, f))));
    const startup = ['index.js', 'function.js'].filter((f) => files.includes(f)).reduce((n, f) => n + statSync(join(fnDir, f)).size, 0);
    const cacheBytes = files.includes('function.js.cache') ? statSync(join(fnDir, 'function.js.cache')).size : 0;

    const childDir = join(dir, 'children');
    await build({
      absWorkingDir: repoRoot,
      entryPoints: Object.fromEntries(CHILDREN.map((name) => [name, join(repoRoot, 'bench', 'children', `${name}.ts`)])),
      outdir: childDir,
      outExtension: { '.js': '.cjs' },
      bundle: true,
      platform: 'node',
      target: 'node20',
      format: 'cjs',
      // Children use node built-ins and repository source only (never a package).
      packages: 'external',
      logLevel: 'warning',
    });
    const children = Object.fromEntries(CHILDREN.map((name) => [name, join(childDir, `${name}.cjs`)])) as Record<ChildName, string>;
    return {
      dir,
      bundle,
      bundleBytes: code.length,
      bundleGzipBytes: gzipSync(code, { level: 9 }).length,
      startupBytes: startup,
      cacheBytes,
      bundleSource,
      children,
      naiveHandler: join(repoRoot, 'bench', 'naive-handler.cjs'),
      cleanup,
    };
  } catch (err) {
    cleanup();
    throw err;
  }
}

/** `node scripts/build.mjs --outdir <dir>`; a bundle over budget still counts as built. */
export function buildInto(outdir: string, log: (line: string) => void, extra: string[] = []): void {
  const r = spawnSync(process.execPath, [join(repoRoot, 'scripts', 'build.mjs'), '--outdir', outdir, '--quiet', ...extra], {
    cwd: repoRoot,
    encoding: 'utf8',
    timeout: 120_000,
  });
  if (r.status !== 0) {
    if (existsSync(join(outdir, 'index.js'))) log(`build reported: ${r.stderr.trim()}`);
    else throw new Error(`node scripts/build.mjs failed: ${r.stderr || r.error?.message || `exit ${r.status}`}`);
  }
}
