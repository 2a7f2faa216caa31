import { defineConfig } from 'vitest/config';

// One vitest run for the whole monorepo: a single summary line for CI, and the
// PostgreSQL suites (enabled by TEST_DATABASE_URL) run in the same process pool.
export default defineConfig({
  test: {
    include: ['packages/*/test/**/*.test.ts', 'scripts/test/**/*.test.ts'],
    exclude: ['**/node_modules/**', '**/fixtures/**'],
    reporters: ['default', './scripts/vitest-summary-reporter.ts'],
    testTimeout: 30_000,
    hookTimeout: 60_000,
    pool: 'forks',
    // Most suites wait on PostgreSQL, child processes or a browser rather than on the CPU: more
    // workers than cores keeps the 2-core machine busy (vitest's default is cores - 1 = one worker).
    maxWorkers: 4,
  },
});
