// Prints the total of the counts that each vitest run appended (test/support/summary-reporter.ts),
// as the plain closing line CI reads. Fewer than two runs, or no test passed, is a broken CI script.
import console from 'node:console';
import { readFileSync } from 'node:fs';
import process from 'node:process';

const lines = readFileSync(process.argv[2], 'utf8').trim().split('\n').filter(Boolean);
const total = { passed: 0, failed: 0, skipped: 0 };
for (const line of lines) {
  for (const [key, value] of Object.entries(JSON.parse(line))) total[key] += value;
}
if (lines.length < 2 || total.passed === 0) {
  console.error(`ci: expected the unit-to-integration run and the heavy run, found ${lines.length}`);
  process.exit(1);
}
console.log(`${total.passed} passed, ${total.failed} failed, ${total.skipped} skipped`);
