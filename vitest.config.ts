import { defineConfig } from 'vitest/config';

/**
 * Tests that start processes (the service, its CLIs, npm, a worker killed mid-job) or a browser:
 * each costs seconds of start-up, so they form a lane of their own. `npm test` runs the `api`
 * lane, what a contributor runs after every change; `npm run test:all` runs both (CI runs it on
 * PostgreSQL). README and docs/operations.md say what each takes.
 */
const PROCESSES_AND_BROWSERS = [
  'test/browser/**/*.test.ts',
  'test/demo/demo.test.ts',
  'test/config.test.ts',
  'test/main.test.ts',
  'test/memory.test.ts',
  'test/start-script.test.ts',
  'test/long-running-scripts.test.ts',
  'test/api-keys/cli.test.ts',
  'test/chaos/sabotage.test.ts',
  'test/jobs/crash-and-replicas.test.ts',
  'test/jobs/worker-outage.test.ts',
  'test/jobs/worker-process.test.ts',
  'test/webhooks/delivery-replicas.test.ts',
  'test/security/demo-mode.test.ts',
  'test/junction/contract-check.test.ts',
];

// Two cores: two test files at a time, each in its own process with its own database.
const shared = {
  pool: 'forks' as const,
  maxWorkers: 2,
  testTimeout: 30_000,
  hookTimeout: 60_000,
  globalSetup: ['test/helpers/global-setup.ts'],
};

export default defineConfig({
  test: {
    maxWorkers: 2,
    reporters: ['default', './test/helpers/skipped-reporter.ts'],
    projects: [
      { test: { ...shared, name: 'api', include: ['test/**/*.test.ts'], exclude: PROCESSES_AND_BROWSERS } },
      { test: { ...shared, name: 'processes', include: PROCESSES_AND_BROWSERS } },
    ],
  },
});
