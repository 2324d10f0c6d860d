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
 * Offsets are committed at most this often, not after every batch (kafkajs's default): a commit
 * is a write on the broker, and under light load every batch holds a single record. A restart
 * re-reads at most this much, which the handlers make harmless.
 */
const COMMIT_INTERVAL_MS = 1_000;

type CommitFn = EachBatchPayload['commitOffsetsIfNecessary'];

/**
 * A consumer that hands each record off durably before its offset counts as done. Offsets are
 * resolved in order and only after the handler returned, so a crash at any point means
 * redelivery; the handlers make redelivery harmless. Records with one key are handled in order;
 * different keys run concurrently.
 */
export class KeyedConsumer {
  /** For the handlers' own writes (dead letters, status events); connected while consuming. */
  readonly producer: Producer;
  private readonly ownsProducer: boolean;
  private readonly consumer: Consumer;
  private readonly stopping = new AbortController();
  /** Per partition, the last offset handed off and not yet committed. */
  private readonly resolved = new Map<number, string>();
  private commitTimer: NodeJS.Timeout | undefined;
  private lastCommitAt = 0;
  /** The latest batch's commit function: it commits for the group's current generation. */
  private commit: CommitFn | undefined;

  constructor(
    kafka: Kafka,
    private readonly options: {
      groupId: string;
      topic: string;
      deadLetterTopic: string;
      logger: Logger;
      handle: RecordHandler;
      /** A producer shared with the rest of the process; its owner connects and disconnects it. */
      producer?: Producer;
    },
  ) {
    this.ownsProducer = !options.producer;
    this.producer = options.producer ?? createProducer(kafka);
    this.consumer = kafka.consumer({
      groupId: options.groupId,
      sessionTimeout: 30_000,
      heartbeatInterval: 3_000,
      // A message may be 1 MiB plus framing; let one fetch carry it.
      maxBytesPerPartition: 2 * 1024 * 1024,
    });
  }

  async start(): Promise<void> {
    if (this.ownsProducer) await this.producer.connect();
    await this.consumer.connect();
    // A new group reads from the beginning, so nothing produced before the first start is lost.
    await this.consumer.subscribe({ topic: this.options.topic, fromBeginning: true });
    // After a rebalance another member may own a partition: its records are redelivered there.
    this.consumer.on(this.consumer.events.GROUP_JOIN, () => this.resolved.clear());
    await this.consumer.run({
      eachBatchAutoResolve: false,
      autoCommit: false,
      partitionsConsumedConcurrently: 3,
      eachBatch: (payload) => this.onBatch(payload),
    });
  }

  async stop(): Promise<void> {
    this.stopping.abort();
    await this.consumer.stop();
    await this.commitResolved();
    await this.consumer.disconnect();
    if (this.ownsProducer) await this.producer.disconnect();
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
      while (next < messages.length && done.has(messages[next]!.offset)) {
        const { offset } = messages[next++]!;
        resolveOffset(offset);
        this.resolved.set(batch.partition, offset);
      }
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
    this.commitSoon(commitOffsetsIfNecessary);
    await heartbeat();
  }

  /** Commits now if the last commit is a second old, else once it is; one timer at a time. */
  private commitSoon(commit: CommitFn): void {
    this.commit = commit;
    if (this.commitTimer || this.stopping.signal.aborted) return;
    const wait = Math.max(0, this.lastCommitAt + COMMIT_INTERVAL_MS - Date.now());
    this.commitTimer = setTimeout(() => void this.commitResolved(), wait);
  }

  private async commitResolved(): Promise<void> {
    clearTimeout(this.commitTimer);
    this.commitTimer = undefined;
    if (this.resolved.size === 0 || !this.commit) return;
    // The committed offset is the next one to read.
    const partitions = [...this.resolved].map(([partition, offset]) => ({
      partition,
      offset: (BigInt(offset) + 1n).toString(),
    }));
    this.resolved.clear();
    this.lastCommitAt = Date.now();
    try {
      await this.commit({ topics: [{ topic: this.options.topic, partitions }] });
    } catch (error) {
      // During a rebalance, say. Not committed only means delivered again, and handled idempotently.
      this.options.logger.warn(
        { err: error, partitions },
        'offset commit failed; those records may be redelivered',
      );
    }
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
