import { defineConfig } from 'vitest/config';
import { BaseSequencer, type TestSpecification } from 'vitest/node';

// The longest files (browser journeys, child processes, PostgreSQL fault runs), measured in CI.
// A fresh clone has no timing cache, so vitest would start them in arbitrary order and one of them
// starting last would stretch the whole run: they go first, and the short ones fill in behind.
const SLOW_FIRST = [
  'packages/app-web/test/journey.test.ts',
  'packages/app-worker/test/outbound/processes.postgres.test.ts',
  'packages/app-web/test/dashboard.test.ts',
  'packages/app-http/test/auth-sessions.test.ts',
  'packages/app-http/test/fuzz-inputs.test.ts',
  'packages/app-worker/test/faults/postgres-outage.postgres.test.ts',
  'packages/app-worker/test/faults/instagram-faults.postgres.test.ts',
  'packages/app-http/test/fuzz-routes.test.ts',
  'packages/adapters/test/reports/report-store.contract.test.ts',
  'packages/app-web/test/accessibility.test.ts',
  'packages/app-worker/test/scale.postgres.test.ts',
  'packages/adapters/test/privacy/retention.test.ts',
  'packages/app-worker/test/faults/worker-crash.postgres.test.ts',
  'packages/app-http/test/main.test.ts',
  'scripts/test/start.test.ts',
];

class SlowFirstSequencer extends BaseSequencer {
  override async sort(files: TestSpecification[]): Promise<TestSpecification[]> {
    const sorted = await super.sort(files);
    const rank = (f: TestSpecification) => {
      const i = SLOW_FIRST.findIndex((suffix) => f.moduleId.endsWith(suffix));
      return i === -1 ? SLOW_FIRST.length : i;
    };
    return sorted.map((f, i) => ({ f, i })).sort((a, b) => rank(a.f) - rank(b.f) || a.i - b.i).map((x) => x.f);
  }
}

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
    sequence: { sequencer: SlowFirstSequencer },
  },
});
