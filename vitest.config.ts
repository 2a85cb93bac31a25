import { defineConfig } from 'vitest/config';

export default defineConfig({
  test: {
    include: ['test/**/*.test.ts'],
    exclude: ['test/live/**'],
    pool: 'forks',
    testTimeout: 30000,
    hookTimeout: 30000,
  },
});
