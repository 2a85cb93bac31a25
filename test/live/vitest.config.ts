import { fileURLToPath } from 'node:url';
import { defineConfig } from 'vitest/config';

// `npm run test:live`: the smoke test against a deployed function and a real ECS instance.
// Kept apart from `npm test` (the main config excludes test/live/**).
export default defineConfig({
  root: fileURLToPath(new URL('../..', import.meta.url)),
  test: {
    include: ['test/live/**/*.test.ts'],
    pool: 'forks',
    testTimeout: 5 * 60_000,
    hookTimeout: 2 * 60_000,
  },
});
