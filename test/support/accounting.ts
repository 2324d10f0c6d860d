import type { Client } from '@temporalio/client';
import { expect } from 'vitest';
import type { DeadLetterRecord } from '../../schemas/types.js';
import { declarationWorkflowId } from '../../clearance-client/workflow-ids.js';
import { statusQuery } from '../../workflows/messages.js';
import type { DeclarationMix, MixRecord } from './declaration-mix.js';
import { readDeadLetters } from '../../ops/dead-letter-store.js';
import { waitFor } from './helpers.js';
import { withSignatures } from './test-pki.js';
import type { TestPipeline } from './pipeline.js';

export interface SentRecord {
  record: MixRecord;
  partition: number;
  offset: string;
}

/** Produces the records one by one, remembering where each landed, so each can be traced. */
/** The trader of every declaration in the mix (test/support/declaration-mix.ts). */
const MIX_TRADER = 'MIX010101AB1';

export async function produceMix(
  pipeline: TestPipeline,
  records: MixRecord[],
  onEach?: (index: number) => Promise<void>,
): Promise<SentRecord[]> {
  const sent: SentRecord[] = [];
  for (const [index, record] of records.entries()) {
    const [meta] = await pipeline.producer.send({
      topic: pipeline.config.topics.declarations,
      acks: -1,
      // Signed as the mix's trader's tool would (design.md §10); garbage is refused before that.
      messages: await withSignatures([{ key: record.key, value: record.value }], MIX_TRADER),
    });
    sent.push({ record, partition: meta!.partition, offset: meta!.baseOffset! });
    await onEach?.(index);
  }
  return sent;
}

/**
 * The three promises of the pipeline, checked record by record:
 * 1. every valid declaration reaches its expected final status, with exactly one workflow run;
 * 2. every invalid input is in the dead-letter topic exactly once (after a crash too), with its
 *    reason and original bytes;
 * 3. nothing is lost: every input ended in a workflow or in the dead-letter topic.
 */
export async function assertEverythingAccounted(
  pipeline: TestPipeline,
  mix: DeclarationMix,
  sent: SentRecord[],
  options: { timeoutMs?: number } = {},
): Promise<void> {
  const { timeoutMs = 180_000 } = options;
  const deadline = Date.now() + timeoutMs;
  const remaining = () => Math.max(1000, deadline - Date.now());

  // 1. Final statuses, as a trader's consumer sees them (latest sequence wins).
  for (const expected of mix.clearances.values()) {
    const event = await pipeline.waitForStatus(expected.declarationId, expected.status, remaining());
    expect.soft(Object.keys(event.agencies).sort(), expected.declarationId).toEqual(expected.agencies);
  }
  const runs = await waitFor(
    'visibility to list every clearance',
    async () => {
      const ids = await listWorkflowIds(pipeline.client, pipeline.config.taskQueue);
      return ids.length >= mix.clearances.size ? ids : undefined;
    },
    remaining(),
  );
  const perId = new Map<string, number>();
  for (const id of runs) perId.set(id, (perId.get(id) ?? 0) + 1);
  const expectedIds = [...mix.clearances.keys()].map(declarationWorkflowId).sort();
  expect([...perId.keys()].sort()).toEqual(expectedIds);
  expect([...perId.values()].every((n) => n === 1)).toBe(true);

  // 2. Dead letters: exactly the invalid inputs, each once, traceable to its offset, even after a
  // crash. Once intake committed every offset, every dead letter it will ever write is written (each
  // in the transaction of its offset), and so would be any second copy: the topic is read then,
  // committed records only, to its end.
  const invalid = sent.filter((s) => s.record.expect.kind === 'invalid');
  await waitForEveryOffsetCommitted(pipeline, remaining());
  const read = await readDeadLetters(pipeline.kafka, pipeline.config.topics.deadletter, {
    timeoutMs: remaining(),
  });
  expect(read.complete).toBe(true);
  expect(read.unreadable).toEqual([]);
  const letters = read.letters.map((l) => l.record);
  const byRef = new Map<string, DeadLetterRecord[]>();
  for (const letter of letters) byRef.set(letter.ref, [...(byRef.get(letter.ref) ?? []), letter]);
  for (const s of invalid) {
    const ref = `${pipeline.config.topics.declarations}:${s.partition}:${s.offset}`;
    const found = byRef.get(ref) ?? [];
    expect(found, ref).toHaveLength(1);
    const expectation = s.record.expect as Extract<MixRecord['expect'], { kind: 'invalid' }>;
    expect(found[0]!.reason, ref).toBe(expectation.reason);
    expect(found[0]!.errors.length, ref).toBeGreaterThan(0);
    expect(found[0]!.valueSize).toBe(s.record.value.length);
    if (s.record.value.length <= 1024 * 1024)
      expect(Buffer.from(found[0]!.valueBase64, 'base64').equals(s.record.value)).toBe(true);
  }
  // Nothing else was dead-lettered, and nothing twice: exactly the invalid inputs, by their refs.
  expect(byRef.size).toBe(invalid.length);
  expect(letters).toHaveLength(invalid.length);

  // 3. The follow-ups reached their workflows: each is in the declaration's audit trail.
  for (const s of sent) {
    const e = s.record.expect;
    if (e.kind !== 'amendment' && e.kind !== 'conflict' && e.kind !== 'withdrawal') continue;
    const snapshot = await pipeline.client.workflow
      .getHandle(declarationWorkflowId(e.declarationId))
      .query(statusQuery);
    const types = snapshot.audit.map((a) => (a.type === 'amendment' ? `amendment:${a.ref}` : a.type));
    const wanted =
      e.kind === 'amendment'
        ? `amendment:${e.amendmentId}`
        : e.kind === 'conflict'
          ? 'duplicate'
          : 'withdrawal';
    expect(types, e.declarationId).toContain(wanted);
  }
  const toWorkflows = sent.filter((s) => s.record.expect.kind !== 'invalid').length;
  expect(toWorkflows + invalid.length).toBe(sent.length);
}

/** Until intake's group has committed every record of the declarations topic. */
async function waitForEveryOffsetCommitted(pipeline: TestPipeline, timeoutMs: number): Promise<void> {
  const admin = pipeline.kafka.admin();
  await admin.connect();
  try {
    const topic = pipeline.config.topics.declarations;
    await waitFor(
      'intake to commit every offset',
      async () => {
        const ends = await admin.fetchTopicOffsets(topic);
        const [offsets] = await admin.fetchOffsets({
          groupId: pipeline.config.intakeGroupId,
          topics: [topic],
        });
        const committed = new Map(offsets!.partitions.map((p) => [p.partition, BigInt(p.offset)]));
        return ends.every(
          (e) => BigInt(e.high) === BigInt(e.low) || (committed.get(e.partition) ?? -1n) >= BigInt(e.high),
        );
      },
      timeoutMs,
    );
  } finally {
    await admin.disconnect();
  }
}

async function listWorkflowIds(client: Client, taskQueue: string): Promise<string[]> {
  const ids: string[] = [];
  for await (const execution of client.workflow.list({ query: `TaskQueue = '${taskQueue}'` }))
    ids.push(execution.workflowId);
  return ids;
}
