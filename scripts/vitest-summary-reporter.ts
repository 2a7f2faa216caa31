import type { Reporter, TestModule } from 'vitest/node';

/**
 * Prints one closing line CI can read ("tests: N passed, N failed, N skipped") and names every
 * skipped test, so a suite that did not run (PostgreSQL without TEST_DATABASE_URL) is visible
 * rather than silently counted as green.
 */
export default class SummaryReporter implements Reporter {
  onTestRunEnd(testModules: ReadonlyArray<TestModule>): void {
    let passed = 0;
    let failed = 0;
    const skipped: string[] = [];
    for (const mod of testModules) {
      for (const test of mod.children.allTests()) {
        const state = test.result().state;
        if (state === 'passed') passed++;
        else if (state === 'failed') failed++;
        else if (state === 'skipped') skipped.push(`${mod.moduleId.replace(process.cwd() + '/', '')} > ${test.fullName}`);
      }
      if (mod.state() === 'failed' && mod.children.size === 0) failed++;
    }
    if (skipped.length > 0) {
      const byFile = new Map<string, number>();
      for (const s of skipped) {
        const file = s.split(' > ')[0] ?? s;
        byFile.set(file, (byFile.get(file) ?? 0) + 1);
      }
      console.log('\nSkipped (reported by name):');
      for (const [file, count] of byFile) console.log(`  ${file}: ${count} skipped`);
    }
    console.log(`\ntests: ${passed} passed, ${failed} failed, ${skipped.length} skipped`);
  }
}
