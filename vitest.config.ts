import { defineConfig } from 'vitest/config';

export default defineConfig({
  test: {
    reporters: ['default', './test/support/summary-reporter.ts'],
    projects: [
      {
        test: {
          name: 'unit+integration',
          include: ['test/*.test.ts', 'test/protocol/**/*.test.ts', 'test/signaling/**/*.test.ts', 'test/web/**/*.test.ts', 'test/package/**/*.test.ts'],
          environment: 'node',
          testTimeout: 15_000,
        },
      },
      {
        test: {
          name: 'fuzz',
          include: ['test/fuzz/**/*.test.ts'],
          environment: 'node',
          testTimeout: 180_000,
        },
      },
      {
        test: {
          name: 'e2e',
          // The bench smoke test drives Chromium too, so it queues with the browser suites.
          include: ['test/e2e/**/*.test.ts', 'test/bench/**/*.test.ts'],
          environment: 'node',
          // One browser suite at a time: the machine has two cores.
          fileParallelism: false,
          testTimeout: 60_000,
          hookTimeout: 60_000,
        },
      },
    ],
  },
});
