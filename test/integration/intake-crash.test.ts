import type { WorkflowBundleWithSourceMap } from '@temporalio/worker';
import type { Consumer } from 'kafkajs';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { DeadLetterRecord } from '../../schemas/types.js';
import { assertEverythingAccounted, produceMix } from '../support/accounting.js';
import { declarationMix } from '../support/declaration-mix.js';
import { uniqueName } from '../support/helpers.js';
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
  // The crash lands where a second copy of a dead letter would come from: the intake process is
  // SIGKILLed the moment a dead letter reaches the broker, read uncommitted (so even one inside a
  // transaction that is not committed yet), before its record's offset can have been committed
  // by a separate, later commit. A dead letter written apart from its offset commit is written
  // again after the restart, and the accounting below, which wants exactly one, fails.
  it('loses and duplicates nothing when the intake process is SIGKILLed right after a dead letter', async () => {
    const mix = declarationMix(150);
    let intake = IntakeProcess.start(pipeline.env);
    await intake.ready();
    const armAt = Math.floor(mix.records.length / 3);
    let armed = false;
    let crash: Promise<void> | undefined;
    let produced = 0;
    let killed: { letter: DeadLetterRecord; committed: bigint; total: bigint; produced: number } | undefined;
    const watcher = await watchDeadLetters(pipeline, (letter) => {
      if (!armed || crash) return;
      crash = (async () => {
        await intake.kill('SIGKILL');
        const producedByThen = produced; // production waits for the restart from here on
        const offsets = await committedOffsets(pipeline);
        const committed = offsets.get(letter.source.partition) ?? -1n;
        const total = [...offsets.values()].reduce((sum, o) => sum + (o > 0n ? o : 0n), 0n);
        killed = { letter, committed, total, produced: producedByThen };
        intake = IntakeProcess.start(pipeline.env);
        await intake.ready();
      })();
    });
    try {
      const sent = await produceMix(pipeline, mix.records, async (index) => {
        produced = index + 1;
        if (index === armAt) armed = true;
        await crash;
      });
      await waitUntil(() => crash !== undefined, 120_000);
      await crash;
      await assertEverythingAccounted(pipeline, mix, sent);
      const { letter, committed, total, produced: producedByThen } = killed!;
      // Nothing was committed that had not been handed off: at most the records produced by then.
      expect(total).toBeLessThanOrEqual(BigInt(producedByThen));
      const inWindow = committed <= BigInt(letter.source.offset);
      console.log(
        `crash: SIGKILL as the dead letter of ${letter.ref} reached the broker; its record's offset was ` +
          `${inWindow ? 'not yet' : 'already'} committed (committed offset ${committed}); after the restart ` +
          'every record ended in its workflow (one per declaration) or the dead-letter topic, exactly once',
      );
    } finally {
      await watcher.disconnect();
      await intake.kill('SIGTERM');
    }
  });
});

/** Calls `onLetter` for each dead letter as soon as the broker has it, committed or not. */
async function watchDeadLetters(
  p: TestPipeline,
  onLetter: (letter: DeadLetterRecord) => void,
): Promise<Consumer> {
  const consumer = p.kafka.consumer({
    groupId: uniqueName('crash-watch'),
    readUncommitted: true,
    maxWaitTimeInMs: 50,
  });
  await consumer.connect();
  await consumer.subscribe({ topic: p.config.topics.deadletter, fromBeginning: true });
  await consumer.run({
    autoCommit: false,
    eachMessage: async ({ message }) => onLetter(JSON.parse(message.value!.toString()) as DeadLetterRecord),
  });
  return consumer;
}

async function committedOffsets(p: TestPipeline): Promise<Map<number, bigint>> {
  const admin = p.kafka.admin();
  await admin.connect();
  try {
    const [topic] = await admin.fetchOffsets({
      groupId: p.config.intakeGroupId,
      topics: [p.config.topics.declarations],
    });
    return new Map(topic!.partitions.map((partition) => [partition.partition, BigInt(partition.offset)]));
  } finally {
    await admin.disconnect();
  }
}

async function waitUntil(condition: () => boolean, timeoutMs: number): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (!condition()) {
    if (Date.now() > deadline) throw new Error('no dead letter after the crash was armed');
    await new Promise((r) => setTimeout(r, 100));
  }
}
