import type { WorkflowBundleWithSourceMap } from '@temporalio/worker';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { sampleDeclaration, uniqueId } from '../support/fixtures.js';
import { declarationWorkflowId } from '../../clearance-client/workflow-ids.js';
import { waitFor } from '../support/helpers.js';
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

  it('answers an amendment to a closed clearance without overwriting its final status', async () => {
    const declaration = sampleDeclaration();
    await pipeline.submit(declaration);
    await pipeline.waitForStatus(declaration.declarationId, 'CLEARED');
    await waitFor('the clearance to close', async () => {
      const handle = pipeline.client.workflow.getHandle(declarationWorkflowId(declaration.declarationId));
      return (await handle.describe()).status.name === 'COMPLETED';
    });
    const before = pipeline.eventsFor(declaration.declarationId).length;
    await pipeline.submit({
      kind: 'amendment',
      declarationId: declaration.declarationId,
      amendmentId: uniqueId('AMD'),
      documents: [],
    });
    const answer = await waitFor(
      'the refusal event',
      () => pipeline.eventsFor(declaration.declarationId)[before],
    );
    expect(answer.status).toBe('CLEARED');
    expect(answer.agencies).toEqual({ CUSTOMS: 'APPROVED', AGRICULTURE: 'APPROVED' });
    expect(answer.reasons[0]?.code).toBe('NO_OPEN_DECLARATION');
  });
});
