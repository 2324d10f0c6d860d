import { setTimeout as sleep } from 'node:timers/promises';
import type { Consumer, EachBatchPayload, Kafka, KafkaMessage, Producer } from 'kafkajs';
import { createProducer } from '../runtime/kafka.js';
import type { Logger } from '../runtime/logger.js';
import type { DeadLetterReason, FieldError } from '../schemas/types.js';
import {
  deadLetterRecord,
  publishDeadLetter,
  recordRef,
  REPLAY_HEADER,
  type RecordSource,
} from './dead-letter.js';

/** Handles one record; `steps` survives retries of the same record, so no step runs twice. */
export type RecordHandler = (source: RecordSource, steps: Set<string>) => Promise<string>;

/** Different keys in a batch are independent; this many are handed off at once. */
const KEY_CONCURRENCY = 32;

/**
 * A consumer that hands each record off durably before its offset counts as done. Offsets are
 * resolved in order and only after the handler returned, so a crash at any point means
 * redelivery; the handlers make redelivery harmless. Records with one key are handled in order;
 * different keys run concurrently.
 */
export class KeyedConsumer {
  /** For the handlers' own writes (dead letters, status events); connected while consuming. */
  readonly producer: Producer;
  private readonly consumer: Consumer;
  private readonly stopping = new AbortController();

  constructor(
    kafka: Kafka,
    private readonly options: {
      groupId: string;
      topic: string;
      deadLetterTopic: string;
      logger: Logger;
      handle: RecordHandler;
    },
  ) {
    this.producer = createProducer(kafka);
    this.consumer = kafka.consumer({
      groupId: options.groupId,
      sessionTimeout: 30_000,
      heartbeatInterval: 3_000,
      // A message may be 1 MiB plus framing; let one fetch carry it.
      maxBytesPerPartition: 2 * 1024 * 1024,
    });
  }

  async start(): Promise<void> {
    await this.producer.connect();
    await this.consumer.connect();
    // A new group reads from the beginning, so nothing produced before the first start is lost.
    await this.consumer.subscribe({ topic: this.options.topic, fromBeginning: true });
    await this.consumer.run({
      eachBatchAutoResolve: false,
      partitionsConsumedConcurrently: 3,
      eachBatch: (payload) => this.onBatch(payload),
    });
  }

  async stop(): Promise<void> {
    this.stopping.abort();
    await this.consumer.disconnect();
    await this.producer.disconnect();
  }

  /**
   * Writes the record to the dead-letter topic, once per record however often its handling is
   * retried. A record that was itself replayed from the dead-letter topic names its origin.
   */
  async deadLetter(
    source: RecordSource,
    reason: DeadLetterReason,
    errors: FieldError[],
    declarationId: string | undefined,
    steps: Set<string>,
  ): Promise<'deadlettered'> {
    if (!steps.has('deadlettered')) {
      const replayOf = source.message.headers?.[REPLAY_HEADER]?.toString();
      const record = deadLetterRecord(source, reason, errors, {
        declarationId,
        replayOf,
        at: new Date().toISOString(),
      });
      await publishDeadLetter(this.producer, this.options.deadLetterTopic, record);
      steps.add('deadlettered');
    }
    return 'deadlettered';
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
          const handled = await this.handleWithRetry(
            { topic: batch.topic, partition: batch.partition, message },
            heartbeat,
            live,
          );
          if (!handled) return;
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
   * Returns false when the consumer stopped or lost the partition before the record was handled.
   */
  private async handleWithRetry(
    source: RecordSource,
    heartbeat: () => Promise<void>,
    live: () => boolean,
  ): Promise<boolean> {
    const steps = new Set<string>();
    let delay = 250;
    for (let attempt = 1; ; attempt++) {
      if (!live()) return false;
      try {
        await this.options.handle(source, steps);
        return true;
      } catch (error) {
        this.options.logger.warn(
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
}
