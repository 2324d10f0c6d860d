import { appendFileSync } from 'node:fs';
import type { Reporter, TestModule } from 'vitest/node';

/**
 * Ends every run with one plain `tests: N passed, N failed, N skipped` line that any CI can read.
 * With VENTANILLA_TEST_COUNTS set, it also appends the counts to that file as a JSON line, so that
 * `.ci/run` can close on one total for all its runs: vitest's own summary prints after this line,
 * and CI reads the closing lines of the whole run.
 */
export default class SummaryReporter implements Reporter {
  onTestRunEnd(testModules: ReadonlyArray<TestModule>): void {
    const counts = { passed: 0, failed: 0, skipped: 0 };
    for (const module of testModules) {
      for (const test of module.children.allTests()) {
        const state = test.result().state;
        if (state === 'passed') counts.passed++;
        else if (state === 'failed') counts.failed++;
        else counts.skipped++;
      }
    }
    console.log(`\ntests: ${counts.passed} passed, ${counts.failed} failed, ${counts.skipped} skipped`);
    const countsFile = process.env.VENTANILLA_TEST_COUNTS;
    if (countsFile) appendFileSync(countsFile, `${JSON.stringify(counts)}\n`);
  }
}
