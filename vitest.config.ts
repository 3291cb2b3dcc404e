import { defineConfig } from 'vitest/config';

/**
 * Files that assert the controller's latency (e.g. /healthz < 100 ms during a huge render) run
 * alone, after every other file: on 2 cores, the apiservers and controllers of files running
 * beside them would be measured too.
 */
const timing = ['test/integration/tenancy-render-freeze.test.ts'];

export default defineConfig({
  test: {
    projects: [
      {
        test: {
          name: 'unit',
          include: ['src/**/*.test.ts'],
          setupFiles: ['test/support/tools-on-path.ts'],
        },
      },
      {
        test: {
          name: 'integration',
          include: ['test/**/*.test.ts'],
          exclude: timing,
          globalSetup: ['test/support/global-setup.ts'],
          setupFiles: ['test/support/tools-on-path.ts'],
          // Tests share one control plane; each takes its own namespace, so files may run in parallel.
          testTimeout: 120_000,
          hookTimeout: 300_000,
        },
      },
      {
        test: {
          name: 'timing',
          include: timing,
          globalSetup: ['test/support/global-setup.ts'],
          setupFiles: ['test/support/tools-on-path.ts'],
          fileParallelism: false,
          sequence: { groupOrder: 1 },
          testTimeout: 120_000,
          hookTimeout: 300_000,
        },
      },
    ],
  },
});
