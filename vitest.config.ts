import { defineConfig } from 'vitest/config';

/**
 * Tests whose promise is a latency bound (the controller's /healthz under 100 ms while another
 * tenant's render runs). Other files on the same 2 cores would measure the machine, not the
 * controller, so these run alone, in a group of their own (sequence.groupOrder).
 */
const latencyFiles = ['test/integration/tenancy-render-freeze.test.ts'];

export default defineConfig({
  test: {
    projects: [
      {
        test: {
          name: 'unit',
          include: ['src/**/*.test.ts', 'web/src/**/*.test.ts'],
          setupFiles: ['test/support/tools-on-path.ts'],
        },
      },
      {
        test: {
          name: 'integration',
          include: ['test/integration/**/*.test.ts'],
          exclude: [...latencyFiles],
          globalSetup: ['test/support/global-setup.ts'],
          setupFiles: ['test/support/tools-on-path.ts'],
          // Tests share one control plane; each takes its own namespace, so files may run in parallel.
          testTimeout: 120_000,
          hookTimeout: 300_000,
        },
      },
      {
        test: {
          name: 'latency',
          include: latencyFiles,
          sequence: { groupOrder: 1 },
          globalSetup: ['test/support/global-setup.ts'],
          setupFiles: ['test/support/tools-on-path.ts'],
          testTimeout: 120_000,
          hookTimeout: 300_000,
        },
      },
      {
        test: {
          name: 'faults',
          // Promises that hold under injected faults (Git down, hanging, corrupt): docs/reliability.md.
          include: ['test/faults/**/*.test.ts'],
          globalSetup: ['test/support/global-setup.ts'],
          setupFiles: ['test/support/tools-on-path.ts'],
          testTimeout: 120_000,
          hookTimeout: 300_000,
        },
      },
      {
        test: {
          name: 'ui',
          // The web UI in Debian's chromium, on the real control plane, Git server and controller.
          include: ['test/ui/**/*.test.ts'],
          globalSetup: ['test/support/global-setup.ts'],
          setupFiles: ['test/support/tools-on-path.ts'],
          testTimeout: 120_000,
          hookTimeout: 300_000,
        },
      },
    ],
  },
});
