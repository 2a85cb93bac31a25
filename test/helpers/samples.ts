import { existsSync, readFileSync } from 'node:fs';
import { dirname, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';

export const repoRoot = resolve(dirname(fileURLToPath(import.meta.url)), '..', '..');

/**
 * A file of the team's hand-out folder: ../shared/<parts> beside the repo when it is
 * there (the newest), else the copy under test/fixtures/<parts>, so a lone clone tests too.
 */
export function sharedFile(...parts: string[]): string {
  const handout = resolve(repoRoot, '..', 'shared', ...parts);
  return existsSync(handout) ? handout : resolve(repoRoot, 'test', 'fixtures', ...parts);
}

/** The payload samples (../shared/samples). */
export const samplesDir = dirname(sharedFile('samples', 'README.md'));

export const sample = (name: string) => readFileSync(resolve(samplesDir, name));
