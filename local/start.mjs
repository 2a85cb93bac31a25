// `npm start`. Plain JavaScript, so it runs before any TypeScript is loaded: Node reads
// NODE_EXTRA_CA_CERTS only when it starts, and with no ECS_ENDPOINT local/main.ts brings the
// emulator, whose STS and KMS (https) are signed by its own CA. So this decides first whether
// Node must start again with that CA, and only the process that runs main.ts loads tsx (once,
// not in a parent that would start again: that restart was ~0.5 s of CPU on each `npm start`).
// A CA file the user already set (a TLS-inspecting proxy, a private STS) is kept: both go into
// one bundle, as Node reads only one file. Without the emulator the user's setting is left
// exactly as it is. Node ≥ 20.6 (module.register, which tsx's loader uses).
import { spawn } from 'node:child_process';
import { existsSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';

const self = fileURLToPath(import.meta.url);
const caPath = resolve(dirname(self), '..', 'emulator', 'certs', 'ca.pem');
/** Set on the restarted process: its NODE_EXTRA_CA_CERTS is the bundle made here. */
const BUNDLE_MARK = 'FC_STOP_INVOCATION_CA_BUNDLE';

/** The NODE_EXTRA_CA_CERTS to start again with, or undefined when this process already trusts what it will talk to. */
function caToStartWith() {
  if (process.env.ECS_ENDPOINT || !existsSync(caPath)) return undefined;
  const current = process.env.NODE_EXTRA_CA_CERTS;
  if (!current) return caPath;
  if (resolve(current) === caPath || current === process.env[BUNDLE_MARK]) return undefined;
  let user = '';
  try {
    user = readFileSync(current, 'utf8');
  } catch {
    // Node itself warns about an unreadable NODE_EXTRA_CA_CERTS; the emulator's CA still goes in.
  }
  const bundle = resolve(mkdtempSync(resolve(tmpdir(), 'fc-stop-invocation-ca-')), 'ca-bundle.pem');
  writeFileSync(bundle, `${user.trimEnd()}\n${readFileSync(caPath, 'utf8')}`);
  return bundle;
}

const extra = caToStartWith();
if (extra) {
  const child = spawn(process.execPath, [...process.execArgv, self, ...process.argv.slice(2)], {
    stdio: 'inherit',
    env: { ...process.env, NODE_EXTRA_CA_CERTS: extra, [BUNDLE_MARK]: extra },
  });
  const forward = (signal) => child.kill(signal);
  process.on('SIGINT', forward);
  process.on('SIGTERM', forward);
  child.on('exit', (code) => {
    if (extra !== caPath) rmSync(dirname(extra), { recursive: true, force: true });
    process.exit(code ?? 0);
  });
} else {
  // What `node --import tsx` does, here once the environment is settled.
  await import('tsx');
  await import('./main.ts');
}
