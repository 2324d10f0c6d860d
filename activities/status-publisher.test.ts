import type { WorkflowInfo } from '@temporalio/workflow';
import type { Message } from 'kafkajs';
import pino from 'pino';
import { describe, expect, it } from 'vitest';
import type { CoalescingSender } from '../messaging/coalescing-sender.js';
import type { Config } from '../runtime/config.js';
import type { StatusDraft } from '../domain/status-events.js';
import { statusSinks } from './status-publisher.js';

const draft: StatusDraft = {
  declarationId: 'SINK-2026-000001',
  sequence: 1_764_000_000_001,
  status: 'CLEARED',
  agencies: { CUSTOMS: 'APPROVED' },
  reasons: [],
};
const info = { workflowId: 'declaration-SINK-2026-000001' } as WorkflowInfo;

/** A sender that fails its first `failures` sends, as kafkajs does while the broker is away. */
function flakySender(failures: number) {
  const sent: Message[][] = [];
  let calls = 0;
  const sender = {
    async send(_topic: string, messages: Message[]) {
      calls++;
      if (calls <= failures) throw new Error('KafkaJSNumberOfRetriesExceeded');
      sent.push(messages);
    },
  } as unknown as CoalescingSender;
  return { sender, sent, calls: () => calls };
}

function sinkWith(sender: CoalescingSender, waits: number[]) {
  const deps = {
    config: { topics: { status: 'trade.status' } } as Config,
    logger: pino({ level: 'silent' }),
    producer: undefined as never,
  };
  return statusSinks(deps, sender, async (ms) => void waits.push(ms)).clearanceStatus.publish;
}

describe('the status sink', () => {
  it('retries with growing backoff until Kafka takes the event, because the SDK would drop a failure', async () => {
    const waits: number[] = [];
    const flaky = flakySender(8);
    await sinkWith(flaky.sender, waits).fn(info, [draft], '2026-12-02T10:00:00.000Z');
    expect(waits).toEqual([500, 1000, 2000, 4000, 8000, 16000, 30000, 30000]);
    expect(flaky.sent).toHaveLength(1);
    const event = JSON.parse(String(flaky.sent[0]![0]!.value)) as Record<string, unknown>;
    expect(event).toMatchObject({ ...draft, at: '2026-12-02T10:00:00.000Z', workflowId: info.workflowId });
  });

  it('does not publish an event that breaks its schema, and does not retry it', async () => {
    const waits: number[] = [];
    const flaky = flakySender(0);
    const broken = { ...draft, status: 'MAYBE' } as unknown as StatusDraft;
    await sinkWith(flaky.sender, waits).fn(info, [broken], '2026-12-02T10:00:00.000Z');
    expect(flaky.calls()).toBe(0);
    expect(waits).toEqual([]);
  });

  it('is not called while a history replays', () => {
    expect(sinkWith(flakySender(0).sender, []).callDuringReplay).toBe(false);
  });
});
