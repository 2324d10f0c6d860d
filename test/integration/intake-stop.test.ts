import type { WorkflowBundleWithSourceMap } from '@temporalio/worker';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { sampleDeclaration } from '../support/fixtures.js';
import { STOP_BOUND_MS } from '../../services/process-lifecycle.js';
import { waitFor } from '../support/helpers.js';
import { IntakeProcess } from '../support/intake-process.js';
import { bundleClearanceWorkflows, TestPipeline } from '../support/pipeline.js';
import { PrivateTemporal } from '../support/private-temporal.js';
import { withSignatures } from '../support/test-pki.js';

// Issue 10, defect 2: SIGTERM stops the process within a stated bound, even mid-record, and a
// hostile record key never blocks the process.

let bundle: WorkflowBundleWithSourceMap;
let temporal: PrivateTemporal;
let pipeline: TestPipeline;

beforeAll(async () => {
  bundle = await bundleClearanceWorkflows();
  temporal = await PrivateTemporal.start();
  pipeline = await TestPipeline.start({
    workflowBundle: bundle,
    intake: false,
    env: { TEMPORAL_ADDRESS: temporal.address },
  });
});
afterAll(async () => {
  await pipeline?.stop();
  await temporal?.destroy();
});

describe('intake process under SIGTERM', () => {
  it(`stops within ${STOP_BOUND_MS / 1000}s while a record is retried (Temporal down) and a 700 KB 0xFF key arrives`, async () => {
    const intake = IntakeProcess.start(pipeline.env);
    await intake.ready();
    await temporal.stop();
    try {
      await pipeline.producer.send({
        topic: pipeline.config.topics.declarations,
        messages: await withSignatures([
          { partition: 0, key: Buffer.alloc(700_000, 0xff), value: '{"kind":"declaration"}' },
          ...[1, 2].map((partition) => {
            const declaration = sampleDeclaration();
            return { partition, key: declaration.declarationId, value: JSON.stringify(declaration) };
          }),
        ]),
      });
      await waitFor(
        'a hand-off to be retried',
        () => intake.log.includes('hand-off failed; retrying'),
        60_000,
      );
      await waitFor(
        'the hostile key to be dead-lettered',
        () => intake.log.includes('input dead-lettered'),
        30_000,
      );
      const signalled = Date.now();
      const code = await intake.kill('SIGTERM');
      const tookMs = Date.now() - signalled;
      console.log(`SIGTERM mid-record: exited ${code} after ${tookMs} ms (bound ${STOP_BOUND_MS} ms)`);
      expect(tookMs).toBeLessThan(STOP_BOUND_MS + 2_000);
      expect(code).not.toBeNull();
    } finally {
      await intake.kill('SIGKILL');
      await temporal.restart();
    }
  });
});
