import { defineConfig } from 'vitest/config';

const CHAOS = 'test/chaos/**/*.test.ts';

export default defineConfig({
  test: {
    // chDB loads a native engine that is bound to one data directory per process: forks, not threads.
    pool: 'forks',
    testTimeout: 30_000,
    hookTimeout: 60_000,
    projects: [
      {
        extends: true,
        test: {
          name: 'suites',
          include: ['test/**/*.test.ts'],
          exclude: [CHAOS],
          // The real-engine suites share the machine's Redis and Postgres; each file uses its own key/schema namespace.
          fileParallelism: true,
          maxWorkers: 2,
          sequence: { groupOrder: 0 },
        },
      },
      {
        extends: true,
        test: {
          name: 'chaos',
          include: [CHAOS],
          // The chaos flows time servers out at 300 ms / 1 s on purpose: they run after the other suites, one at a
          // time, so the timeouts they see come from the faults they inject, not from a host busy with other tests.
          fileParallelism: false,
          sequence: { groupOrder: 1 },
        },
      },
    ],
  },
});
