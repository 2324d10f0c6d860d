import type { WorkflowBundleWithSourceMap } from '@temporalio/worker';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { assertEverythingAccounted, produceMix } from '../support/accounting.js';
import { declarationMix } from '../support/declaration-mix.js';
import { bundleClearanceWorkflows, TestPipeline } from '../support/pipeline.js';

let bundle: WorkflowBundleWithSourceMap;
let pipeline: TestPipeline;

beforeAll(async () => {
  bundle = await bundleClearanceWorkflows();
  // Clearances stay open for the test, so conflicting duplicates reach them and audits can be read.
  pipeline = await TestPipeline.start({ workflowBundle: bundle, env: { VENTANILLA_CLOSED_RETENTION: '1h' } });
});
afterAll(async () => pipeline?.stop());

describe('pipeline end to end', () => {
  it('clears 300 mixed declarations: valid, invalid, duplicates, conflicts, amendments, withdrawals', async () => {
    const mix = declarationMix(300);
    expect(mix.records.length).toBeGreaterThan(300);
    const started = Date.now();
    const sent = await produceMix(pipeline, mix.records);
    await assertEverythingAccounted(pipeline, mix, sent);
    console.log(
      `e2e: ${sent.length} records (${mix.clearances.size} declarations, ${mix.invalidCount} invalid) accounted for in ${((Date.now() - started) / 1000).toFixed(1)}s`,
    );
  });
});
