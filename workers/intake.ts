import { setTimeout as sleep } from 'node:timers/promises';
import { WorkflowUpdateFailedError, type Client } from '@temporalio/client';
import { WorkflowExecutionAlreadyStartedError, WorkflowNotFoundError } from '@temporalio/common';
import type { Consumer, EachBatchPayload, Kafka, KafkaMessage, Producer } from 'kafkajs';
import type { Config } from '../runtime/config.js';
import { createProducer } from '../runtime/kafka.js';
import type { Logger } from '../runtime/logger.js';
import { errorLines } from '../schemas/format-errors.js';
import type {
  Amendment,
  DeadLetterReason,
  Declaration,
  FieldError,
  Registry,
  StatusEvent,
  Withdrawal,
} from '../schemas/types.js';
import {
  amendUpdate,
  declarationWorkflowId,
  duplicateSignal,
  rejectedInputSignal,
  withdrawUpdate,
} from '../workflows/messages.js';
import { clearanceInput, clearanceStart } from './clearance-start.js';
import { deadLetterRecord, publishDeadLetter, recordRef, type RecordSource } from './dead-letter.js';
import { parseTraderMessage, type Parsed } from './intake-parse.js';

export interface IntakeDeps {
  config: Config;
  logger: Logger;
  kafka: Kafka;
  client: Client;
  registry: Registry;
}

/** Where one input ended: every record gets exactly one of these, and only then its offset is resolved. */
export type IntakeOutcome =
  'started' | 'duplicate' | 'conflict' | 'amended' | 'withdrawn' | 'refused' | 'deadlettered' | 'interrupted';

/** Different keys in a batch are independent; this many are handed to Temporal at once. */
const KEY_CONCURRENCY = 32;

/**
 * Consumes trader messages and hands each one off durably: a declaration starts its clearance
 * workflow, an amendment or withdrawal goes to the running one as an update, anything else is
 * dead-lettered. An offset is resolved only after that hand-off is acknowledged, and in order, so
 * a crash at any point means redelivery, and redelivery is harmless because the workflow ID is the
 * declaration's deduplication key.
 */
export class Intake {
  private readonly producer: Producer;
  private readonly consumer: Consumer;
  private readonly stopping = new AbortController();

  constructor(private readonly deps: IntakeDeps) {
    this.producer = createProducer(deps.kafka);
    this.consumer = deps.kafka.consumer({
      groupId: deps.config.intakeGroupId,
      sessionTimeout: 30_000,
      heartbeatInterval: 3_000,
      // A message may be 1 MiB plus framing; let one fetch carry it.
      maxBytesPerPartition: 2 * 1024 * 1024,
    });
  }

  async start(): Promise<void> {
    await this.producer.connect();
    await this.consumer.connect();
    // A new group reads from the beginning, so nothing produced before intake first ran is lost.
    await this.consumer.subscribe({ topic: this.deps.config.topics.declarations, fromBeginning: true });
    await this.consumer.run({
      eachBatchAutoResolve: false,
      partitionsConsumedConcurrently: 3,
      eachBatch: (payload) => this.onBatch(payload),
    });
    this.deps.logger.info(
      { topic: this.deps.config.topics.declarations, groupId: this.deps.config.intakeGroupId },
      'intake consuming',
    );
  }

  async stop(): Promise<void> {
    this.stopping.abort();
    await this.consumer.disconnect();
    await this.producer.disconnect();
  }

  private async onBatch(payload: EachBatchPayload): Promise<void> {
    const { batch, resolveOffset, heartbeat, isRunning, isStale, commitOffsetsIfNecessary } = payload;
    const messages = batch.messages;
    const done = new Set<string>();
    let next = 0;
    // Offsets are resolved strictly in order: a later record finishing first waits for the earlier ones.
    const advance = () => {
      while (next < messages.length && done.has(messages[next]!.offset))
        resolveOffset(messages[next++]!.offset);
    };
    const byKey = new Map<string, KafkaMessage[]>();
    for (const message of messages) {
      const key = message.key?.toString() ?? `offset:${message.offset}`;
      byKey.set(key, [...(byKey.get(key) ?? []), message]);
    }
    const live = () => isRunning() && !isStale() && !this.stopping.signal.aborted;
    const groups = [...byKey.values()];
    const lanes = Array.from({ length: Math.min(KEY_CONCURRENCY, groups.length) }, async () => {
      for (let group = groups.shift(); group; group = groups.shift()) {
        // One key's records stay in order: an amendment never overtakes its declaration.
        for (const message of group) {
          const outcome = await this.handleWithRetry(
            { topic: batch.topic, partition: batch.partition, message },
            heartbeat,
            live,
          );
          if (outcome === 'interrupted') return;
          done.add(message.offset);
          advance();
        }
      }
    });
    await Promise.all(lanes);
    await commitOffsetsIfNecessary();
    await heartbeat();
  }

  /**
   * Anything that fails here and is not an answer about the input itself (Temporal or Kafka down,
   * a timeout) would fail for every record alike, so the record is never dropped or dead-lettered
   * for it: back off, keep heartbeating so the group keeps this member, and try again.
   */
  private async handleWithRetry(
    source: RecordSource,
    heartbeat: () => Promise<void>,
    live: () => boolean,
  ): Promise<IntakeOutcome> {
    const steps = new Set<string>();
    let delay = 250;
    for (let attempt = 1; ; attempt++) {
      if (!live()) return 'interrupted';
      try {
        return await this.handle(source, steps);
      } catch (error) {
        this.deps.logger.warn(
          {
            err: error,
            ref: recordRef({ ...source, offset: source.message.offset }),
            attempt,
            retryInMs: delay,
          },
          'hand-off failed; retrying (the record is kept)',
        );
        await heartbeat().catch(() => undefined);
        await sleep(delay, undefined, { signal: this.stopping.signal }).catch(() => undefined);
        delay = Math.min(delay * 2, 5_000);
      }
    }
  }

  /** `steps` remembers what already succeeded, so a retry does not dead-letter or notify twice. */
  private async handle(source: RecordSource, steps: Set<string>): Promise<IntakeOutcome> {
    const parsed = parseTraderMessage(source.message.value);
    if (!parsed.ok) return this.rejectInput(source, parsed, steps);
    const { message } = parsed;
    switch (message.kind) {
      case 'declaration':
        return this.startClearance(source, message, steps);
      case 'amendment':
        return this.forward(source, message, 'amended', steps);
      case 'withdrawal':
        return this.forward(source, message, 'withdrawn', steps);
    }
  }

  private async startClearance(
    source: RecordSource,
    declaration: Declaration,
    steps: Set<string>,
  ): Promise<IntakeOutcome> {
    const { config, client, registry } = this.deps;
    const workflowId = declarationWorkflowId(declaration.declarationId);
    const input = clearanceInput(config, registry, declaration, Number(source.message.timestamp));
    const hash = input.contentHash;
    const receivedAt = input.receivedAt;
    const log = this.deps.logger.child({ declarationId: declaration.declarationId, workflowId });
    try {
      await client.workflow.start(
        ...clearanceStart(config, input, { source: recordRef({ ...source, offset: source.message.offset }) }),
      );
      log.info('clearance started');
      return 'started';
    } catch (error) {
      if (!(error instanceof WorkflowExecutionAlreadyStartedError)) throw error;
    }
    const handle = client.workflow.getHandle(workflowId);
    const description = await handle.describe();
    if (description.memo?.contentHash === hash) {
      log.info('exact duplicate of a known declaration; nothing to do');
      return 'duplicate';
    }
    const ref = recordRef({ ...source, offset: source.message.offset });
    if (description.status.name === 'RUNNING') {
      await handle.signal(duplicateSignal, { contentHash: hash, receivedAt, source: ref });
      log.warn('conflicting duplicate reported to the trader');
      return 'conflict';
    }
    const errors = [
      {
        path: 'declarationId',
        message: `a clearance for ${declaration.declarationId} already exists with different content; it was not merged`,
      },
    ];
    await this.deadLetter(source, 'DUPLICATE_CONFLICT', errors, declaration.declarationId, steps);
    await this.tellTraderDirectly(
      source,
      declaration.declarationId,
      'REJECTED',
      'DUPLICATE_CONFLICT',
      errorLines(errors),
      steps,
    );
    return 'deadlettered';
  }

  private async forward(
    source: RecordSource,
    message: Amendment | Withdrawal,
    success: 'amended' | 'withdrawn',
    steps: Set<string>,
  ): Promise<IntakeOutcome> {
    const workflowId = declarationWorkflowId(message.declarationId);
    const handle = this.deps.client.workflow.getHandle(workflowId);
    const receivedAt = recordTime(source.message);
    const log = this.deps.logger.child({ declarationId: message.declarationId, workflowId });
    try {
      const ack =
        message.kind === 'amendment'
          ? await handle.executeUpdate(amendUpdate, {
              args: [{ amendment: message, receivedAt }],
              updateId: `amend-${message.amendmentId}`,
            })
          : await handle.executeUpdate(withdrawUpdate, {
              args: [{ withdrawal: message, receivedAt }],
              updateId: `withdraw-${message.withdrawalId ?? recordRef({ ...source, offset: source.message.offset })}`,
            });
      log.info({ accepted: ack.accepted, refusal: ack.refusal?.code }, `${message.kind} delivered`);
      return ack.accepted ? success : 'refused';
    } catch (error) {
      if (error instanceof WorkflowNotFoundError) {
        const errors = [
          {
            path: 'declarationId',
            message: `no open declaration ${message.declarationId} to apply this ${message.kind} to`,
          },
        ];
        await this.deadLetter(source, 'NO_OPEN_DECLARATION', errors, message.declarationId, steps);
        await this.tellTraderDirectly(
          source,
          message.declarationId,
          'REJECTED',
          'NO_OPEN_DECLARATION',
          errorLines(errors),
          steps,
        );
        return 'deadlettered';
      }
      if (error instanceof WorkflowUpdateFailedError) {
        const errors = [
          { path: '(root)', message: (error.cause as Error | undefined)?.message ?? error.message },
        ];
        await this.deadLetter(source, 'REJECTED_BY_WORKFLOW', errors, message.declarationId, steps);
        return 'deadlettered';
      }
      throw error;
    }
  }

  private async rejectInput(
    source: RecordSource,
    parsed: Extract<Parsed, { ok: false }>,
    steps: Set<string>,
  ): Promise<IntakeOutcome> {
    await this.deadLetter(source, parsed.reason, parsed.errors, parsed.declarationId, steps);
    if (parsed.declarationId) await this.tellTrader(source, parsed, parsed.declarationId, steps);
    this.deps.logger.warn(
      { declarationId: parsed.declarationId, reason: parsed.reason, errors: parsed.errors.length },
      'input dead-lettered',
    );
    return 'deadlettered';
  }

  /** A live clearance reports the problem itself (its sequence stays its own); otherwise intake does. */
  private async tellTrader(
    source: RecordSource,
    parsed: Extract<Parsed, { ok: false }>,
    declarationId: string,
    steps: Set<string>,
  ): Promise<void> {
    if (steps.has('told')) return;
    const lines = errorLines(parsed.errors);
    try {
      await this.deps.client.workflow
        .getHandle(declarationWorkflowId(declarationId))
        .signal(rejectedInputSignal, {
          kind: parsed.kind ?? 'message',
          receivedAt: recordTime(source.message),
          source: recordRef({ ...source, offset: source.message.offset }),
          messages: lines,
        });
      steps.add('told');
    } catch (error) {
      if (!(error instanceof WorkflowNotFoundError)) throw error;
      await this.tellTraderDirectly(source, declarationId, 'REJECTED', 'INVALID_INPUT', lines, steps);
    }
  }

  /**
   * A status event for a declaration with no live clearance. Its sequence is the record's
   * timestamp: later than any event of an earlier clearance of the same ID (which started above
   * its own, earlier, record timestamp), and below any clearance a later, valid record opens.
   */
  private async tellTraderDirectly(
    source: RecordSource,
    declarationId: string,
    status: StatusEvent['status'],
    code: string,
    lines: string[],
    steps: Set<string>,
  ): Promise<void> {
    if (steps.has('told')) return;
    const event: StatusEvent = {
      declarationId,
      at: new Date().toISOString(),
      sequence: Number(source.message.timestamp),
      status,
      agencies: {},
      reasons: lines.slice(0, 100).map((message) => ({ code, message: message.slice(0, 2000) })),
    };
    await this.producer.send({
      topic: this.deps.config.topics.status,
      acks: -1,
      messages: [{ key: declarationId, value: JSON.stringify(event) }],
    });
    steps.add('told');
  }

  private async deadLetter(
    source: RecordSource,
    reason: DeadLetterReason,
    errors: FieldError[],
    declarationId: string | undefined,
    steps: Set<string>,
  ): Promise<void> {
    if (steps.has('deadlettered')) return;
    const replayOf = source.message.headers?.['ventanilla-replay-of']?.toString();
    const record = deadLetterRecord(source, reason, errors, {
      declarationId,
      replayOf,
      at: new Date().toISOString(),
    });
    await publishDeadLetter(this.producer, this.deps.config.topics.deadletter, record);
    steps.add('deadlettered');
  }
}

function recordTime(message: KafkaMessage): string {
  return new Date(Number(message.timestamp)).toISOString();
}
