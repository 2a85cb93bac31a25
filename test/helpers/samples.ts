import { existsSync, readFileSync } from 'node:fs';
import { dirname, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';

export const repoRoot = resolve(dirname(fileURLToPath(import.meta.url)), '..', '..');

/**
 * The team's payload samples: ../shared/samples beside the repo when it is there (the
 * newest), else the copy in test/fixtures/samples so a lone clone still tests.
 */
export const samplesDir = existsSync(resolve(repoRoot, '..', 'shared', 'samples'))
  ? resolve(repoRoot, '..', 'shared', 'samples')
  : resolve(repoRoot, 'test', 'fixtures', 'samples');

export const sample = (name: string) => readFileSync(resolve(samplesDir, name));
