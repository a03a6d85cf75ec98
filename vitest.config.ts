import { defineConfig } from 'vitest/config';

export default defineConfig({
  test: {
    include: ['test/**/*.test.ts'],
    // chDB loads a native engine that is bound to one data directory per process: forks, not threads.
    pool: 'forks',
    testTimeout: 30_000,
    hookTimeout: 60_000,
    // The real-engine suites share the machine's Redis and Postgres; each file uses its own key/schema namespace.
    fileParallelism: true,
    maxWorkers: 2,
  },
});
