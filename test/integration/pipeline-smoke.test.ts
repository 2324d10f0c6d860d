import type { WorkflowBundleWithSourceMap } from '@temporalio/worker';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { sampleDeclaration } from '../../schemas/fixtures.js';
import { bundleClearanceWorkflows, TestPipeline } from '../support/pipeline.js';

let bundle: WorkflowBundleWithSourceMap;
let pipeline: TestPipeline;

beforeAll(async () => {
  bundle = await bundleClearanceWorkflows();
  pipeline = await TestPipeline.start({ workflowBundle: bundle, env: { VENTANILLA_CLOSED_RETENTION: '0s' } });
});
afterAll(async () => pipeline?.stop());

describe('pipeline smoke', () => {
  it('clears a declaration submitted on Kafka', async () => {
    const declaration = sampleDeclaration();
    await pipeline.submit(declaration);
    const final = await pipeline.waitForStatus(declaration.declarationId, ['CLEARED', 'REJECTED', 'FAILED']);
    expect(final.status).toBe('CLEARED');
    expect(final.agencies).toEqual({ CUSTOMS: 'APPROVED', AGRICULTURE: 'APPROVED' });
    const statuses = pipeline.eventsFor(declaration.declarationId).map((e) => e.status);
    expect(statuses[0]).toBe('RECEIVED');
  });
});
