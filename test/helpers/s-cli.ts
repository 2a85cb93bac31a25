import { execFile } from 'node:child_process';
import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { resolve } from 'node:path';
import { repoRoot } from './samples.js';

// The real Serverless Devs CLI (the pinned devDependency `@serverless-devs/s`), offline.
// `s preview` renders s.yaml (magic variables, `vars`, `config('AccountID')`) without
// loading the fc3 component, so it needs no network; `s deploy`/`s verify` download the
// component first and cannot run here. Each test gets a throw-away HOME whose access was
// added with `s config add`, as a deployer does once.

/** The CLI's `bin` script (what node_modules/.bin/s links to), started with `node` so the compile cache can be preloaded. */
const S_ENTRY = resolve(repoRoot, 'node_modules', '@serverless-devs', 's', 'bin', 's');
/** The CLI is one 6.6 MB file: with its V8 code cache a run costs ~0.3 s of CPU, not ~0.85 (compile-cache.cjs). */
const COMPILE_CACHE = {
  COMPILE_CACHE_ROOT: resolve(repoRoot, 'node_modules', '@serverless-devs') + '/',
  COMPILE_CACHE_DIR: resolve(repoRoot, '.tmp', 's-compile-cache'),
};
const PRELOAD = resolve(repoRoot, 'test', 'helpers', 'compile-cache.cjs');
/** The same cache for an `s` that something else starts (`npm run deploy`): through NODE_OPTIONS. */
export const S_COMPILE_CACHE_ENV = { ...COMPILE_CACHE, NODE_OPTIONS: `--require ${PRELOAD}` };

export interface SRun {
  code: number;
  stdout: string;
  stderr: string;
}

/** Runs `s` with a bare environment: HOME and PATH, plus `env` (the deployer's shell). */
export function runS(home: string, args: string[], env: Record<string, string> = {}, cwd = repoRoot): Promise<SRun> {
  return new Promise((done, reject) => {
    execFile(
      process.execPath,
      ['--require', PRELOAD, S_ENTRY, ...args],
      {
        cwd,
        timeout: 60_000,
        maxBuffer: 16 * 1024 * 1024,
        env: {
          PATH: process.env.PATH ?? '/usr/bin:/bin',
          HOME: home,
          ...COMPILE_CACHE,
          ...env,
        },
      },
      (err, stdout, stderr) => {
        if (err && typeof err.code !== 'number') return reject(err);
        done({ code: typeof err?.code === 'number' ? err.code : 0, stdout, stderr });
      },
    );
  });
}

/** A throw-away HOME with one fake access, alias `default` (what `s` uses without `-a`). */
export async function fakeAccessHome(accountId: string, alias = 'default'): Promise<{ home: string; remove(): void }> {
  const home = mkdtempSync(resolve(tmpdir(), 'fc-stop-s-home-'));
  // The CLI's own settings, so it forks no detached daemon that would outlive the test (and
  // write into this HOME after it is removed): no usage reports (what `s set analysis
  // disable` writes) and an update check done just now (its update-notifier state).
  mkdirSync(resolve(home, '.s', 'config'), { recursive: true });
  writeFileSync(resolve(home, '.s', 'set-config.yml'), 'analysis: disable\n');
  writeFileSync(resolve(home, '.s', 'config', 'update-notifier.json'), JSON.stringify({ output: false, lastUpdateCheck: Date.now() }));
  const added = await runS(home, ['config', 'add', '--AccessKeyID', 'LTAI5tFakeDeployKey0000', '--AccessKeySecret', 'fake-deploy-secret-000000', '--AccountID', accountId, '-a', alias, '-f']);
  if (added.code !== 0) throw new Error(`s config add failed:\n${added.stdout}${added.stderr}`);
  return { home, remove: () => rmSync(home, { recursive: true, force: true }) };
}

export interface Preview extends SRun {
  /** The rendered document, when the CLI printed one. */
  doc?: Record<string, unknown> & { resources?: Record<string, { component: string; props: Record<string, unknown> }> };
}

/**
 * `s preview -o json` in the repository (as `npm run deploy` runs `s deploy`), optionally
 * on another template (`-t`). The CLI prints a root-user warning line before the JSON.
 */
export async function sPreview(home: string, options: { template?: string; env?: Record<string, string>; args?: string[] } = {}): Promise<Preview> {
  const args = ['preview', '-o', 'json', ...(options.template ? ['-t', options.template] : []), ...(options.args ?? [])];
  const run = await runS(home, args, options.env);
  // The JSON document is the lines from the first `{` to the last `}` at column 0.
  const start = run.stdout.search(/^\{/m);
  const end = run.stdout.lastIndexOf('\n}');
  let doc: Preview['doc'];
  if (run.code === 0 && start >= 0 && end > start) doc = JSON.parse(run.stdout.slice(start, end + 2)) as Preview['doc'];
  return { ...run, doc };
}
