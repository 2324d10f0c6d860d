import { defineConfig } from 'vitest/config';

// Tests that need no server: next to the code in each room, and under test/unit (the history
// replay guard included: it replays recorded histories in-process, without Kafka or Temporal).
const unitFiles = [
  ...['schemas', 'domain', 'activities', 'messaging', 'identity', 'archive', 'runtime', 'ops', 'cli'].map(
    (room) => `${room}/**/*.test.ts`,
  ),
  'test/unit/**/*.test.ts',
];

export default defineConfig({
  test: {
    reporters: ['default', './test/support/summary-reporter.ts'],
    projects: [
      // Bundling the workflow code for the replay guard takes several seconds on a loaded machine.
      { test: { name: 'unit', include: unitFiles, testTimeout: 60_000, hookTimeout: 120_000 } },
      {
        test: {
          name: 'workflow',
          include: ['test/workflow/**/*.test.ts'],
          // Makes sure Kafka and Temporal are up before the suite and leaves them as it found them.
          globalSetup: ['test/support/global-setup.ts'],
          setupFiles: ['test/support/quiet-temporal.ts'],
          testTimeout: 120_000,
          hookTimeout: 180_000,
        },
      },
      {
        test: {
          // Minutes of megabytes through Kafka and Temporal: `npm run test:heavy`, which .ci/run runs too.
          name: 'heavy',
          include: ['test/heavy/**/*.test.ts'],
          globalSetup: ['test/support/global-setup.ts'],
          setupFiles: ['test/support/quiet-temporal.ts'],
          testTimeout: 600_000,
          hookTimeout: 300_000,
        },
      },
      {
        test: {
          name: 'integration',
          include: ['test/integration/**/*.test.ts'],
          globalSetup: ['test/support/global-setup.ts'],
          setupFiles: ['test/support/quiet-temporal.ts'],
          testTimeout: 300_000,
          hookTimeout: 300_000,
        },
      },
    ],
  },
});
