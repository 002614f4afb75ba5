import { spawnSync } from 'node:child_process';
import { defineConfig, type TestProjectInlineConfiguration } from 'vitest/config';

/**
 * The integration suite once more through PgBouncer (transaction mode), which stands in for RDS
 * Proxy. It needs the `pgbouncer` binary (Debian: apt-get install pgbouncer; .ci/run installs it):
 * without it the project is left out, and that is said, not hidden; under CI=true that is an error.
 */
const hasPgbouncer = spawnSync('pgbouncer', ['--version'], { stdio: 'ignore' }).status === 0;
if (!hasPgbouncer) {
  if (process.env.CI === 'true')
    throw new Error('pgbouncer is not installed and CI=true: the pooler project must run.');
  console.log('vitest: project "pooler" skipped: pgbouncer is not installed (apt-get install pgbouncer to run it).');
}
const pooler: TestProjectInlineConfiguration[] = hasPgbouncer
  ? [
      {
        test: {
          name: 'pooler',
          include: ['test/integration/**/*.test.ts'],
          globalSetup: ['test/support/global-pooler.ts'],
          testTimeout: 30_000,
        },
      },
    ]
  : [];

/** One command (`npm test`) runs every project; `npm run test:<name>` runs one. */
export default defineConfig({
  test: {
    projects: [
      { test: { name: 'unit', include: ['test/unit/**/*.test.ts'] } },
      {
        test: {
          name: 'integration',
          include: ['test/integration/**/*.test.ts'],
          globalSetup: ['test/support/global-database.ts'],
          testTimeout: 30_000,
        },
      },
      {
        test: {
          name: 'contract',
          include: ['test/contract/**/*.test.ts'],
          globalSetup: ['test/support/global-database.ts'],
          testTimeout: 30_000,
        },
      },
      {
        test: {
          name: 'reliability',
          include: ['test/reliability/**/*.test.ts'],
          globalSetup: ['test/support/global-database.ts'],
          testTimeout: 60_000,
          hookTimeout: 60_000,
        },
      },
      ...pooler,
      {
        test: {
          name: 'infra',
          include: ['test/infra/**/*.test.ts'],
          globalSetup: ['test/infra/support/global-docs.ts'],
          testTimeout: 180_000,
          hookTimeout: 180_000,
        },
      },
    ],
  },
});
