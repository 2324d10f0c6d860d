import { setTimeout as sleep } from 'node:timers/promises';
import type { WorkflowBundleWithSourceMap } from '@temporalio/worker';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { assertEverythingAccounted, produceMix } from '../support/accounting.js';
import { declarationMix } from '../support/declaration-mix.js';
import { bundleClearanceWorkflows, TestPipeline } from '../support/pipeline.js';
import { PrivateTemporal } from '../support/private-temporal.js';

const OUTAGE_MS = 35_000;
let bundle: WorkflowBundleWithSourceMap;
let temporal: PrivateTemporal;
let pipeline: TestPipeline;

beforeAll(async () => {
  bundle = await bundleClearanceWorkflows();
  temporal = await PrivateTemporal.start();
  pipeline = await TestPipeline.start({
    workflowBundle: bundle,
    env: { VENTANILLA_CLOSED_RETENTION: '1h', TEMPORAL_ADDRESS: temporal.address },
  });
});
afterAll(async () => {
  await pipeline?.stop();
  await temporal?.destroy();
});

describe('Temporal outage', () => {
  it('keeps declarations on Kafka while Temporal is down, stays in its group, and clears the backlog after', async () => {
    const mix = declarationMix(120);
    const split = Math.floor(mix.records.length / 3);
    const before = await produceMix(pipeline, mix.records.slice(0, split));
    const membersBefore = await intakeMembers(pipeline);

    await temporal.stop();
    const outageStarted = Date.now();
    const during = await produceMix(pipeline, mix.records.slice(split));
    await sleep(Math.max(0, OUTAGE_MS - (Date.now() - outageStarted)));
    const membersDuring = await intakeMembers(pipeline);
    await temporal.restart();
    console.log(
      `outage: Temporal down ${((Date.now() - outageStarted) / 1000).toFixed(0)}s while ${during.length} records arrived`,
    );

    await assertEverythingAccounted(pipeline, mix, [...before, ...during], { timeoutMs: 240_000 });
    // The intake never left its consumer group: the same member held the partitions throughout.
    expect(membersDuring).toEqual(membersBefore);
    expect(await intakeMembers(pipeline)).toEqual(membersBefore);
  });
});

async function intakeMembers(p: TestPipeline): Promise<string[]> {
  const admin = p.kafka.admin();
  await admin.connect();
  try {
    const { groups } = await admin.describeGroups([p.config.intakeGroupId]);
    return groups[0]!.members.map((m) => m.memberId).sort();
  } finally {
    await admin.disconnect();
  }
}
