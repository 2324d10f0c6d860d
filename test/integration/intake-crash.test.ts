import type { WorkflowBundleWithSourceMap } from '@temporalio/worker';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { assertEverythingAccounted, produceMix } from '../support/accounting.js';
import { declarationMix } from '../support/declaration-mix.js';
import { IntakeProcess } from '../support/intake-process.js';
import { bundleClearanceWorkflows, TestPipeline } from '../support/pipeline.js';

let bundle: WorkflowBundleWithSourceMap;
let pipeline: TestPipeline;

beforeAll(async () => {
  bundle = await bundleClearanceWorkflows();
  pipeline = await TestPipeline.start({
    workflowBundle: bundle,
    intake: false,
    env: { VENTANILLA_CLOSED_RETENTION: '1h' },
  });
});
afterAll(async () => pipeline?.stop());

describe('intake crash', () => {
  it('loses and duplicates nothing when the intake process is SIGKILLed mid-stream and restarted', async () => {
    const mix = declarationMix(150);
    let intake = IntakeProcess.start(pipeline.env);
    await intake.ready();
    const killAt = Math.floor(mix.records.length / 3);
    let committedAtKill = -1;
    const sent = await produceMix(pipeline, mix.records, async (index) => {
      if (index !== killAt) return;
      await intake.kill('SIGKILL');
      committedAtKill = await committedCount(pipeline);
      intake = IntakeProcess.start(pipeline.env);
      await intake.ready();
    });
    try {
      await assertEverythingAccounted(pipeline, mix, sent, { crashed: true });
      console.log(
        `crash: SIGKILL after record ${killAt + 1} of ${sent.length}; ${committedAtKill} offsets were committed at that moment; ` +
          'after the restart every record ended in its workflow (one per declaration) or the dead-letter topic',
      );
      expect(committedAtKill).toBeLessThanOrEqual(killAt + 1);
    } finally {
      await intake.kill('SIGTERM');
    }
  });
});

async function committedCount(p: TestPipeline): Promise<number> {
  const admin = p.kafka.admin();
  await admin.connect();
  try {
    const [topic] = await admin.fetchOffsets({
      groupId: p.config.intakeGroupId,
      topics: [p.config.topics.declarations],
    });
    return topic!.partitions.reduce((sum, partition) => sum + Math.max(0, Number(partition.offset)), 0);
  } finally {
    await admin.disconnect();
  }
}
