import { defineConfig } from 'vitest/config';

// CI has 2 cores: keep the pool small so timing-sensitive tests are not starved.
export default defineConfig({
  test: {
    include: ['test/**/*.test.ts'],
    pool: 'forks',
    maxWorkers: 2,
    testTimeout: 20_000,
    hookTimeout: 20_000,
  },
});
