import { setTimeout as sleep } from 'node:timers/promises';
import type { Consumer, EachBatchPayload, Kafka, KafkaMessage, Producer } from 'kafkajs';
import { describeFailure, failureClass } from '../domain/failures.js';
import { createProducer } from './kafka.js';
import type { Logger } from '../runtime/logger.js';
import type { DeadLetterReason, FieldError } from '../schemas/types.js';
import { keyDeclarationId } from './intake-parse.js';
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

/** A record still not handled after this long parks its partition, so the others go on. */
const PARK_AFTER_MS = 2_000;

/** Attempts a programming error (or an unrecognised one) gets before its record is dead-lettered. */
const DEFECT_ATTEMPTS = 3;

/** How long stop() waits for records still in flight in the background. */
const BACKGROUND_STOP_MS = 5_000;

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
  /** Per partition, offsets handled while it was paused: skipped when Kafka delivers them again. */
  private readonly handledWhilePaused = new Map<number, Set<string>>();
  /** Records of paused partitions still being handled. */
  private readonly background = new Set<Promise<void>>();
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
    this.consumer.on(this.consumer.events.GROUP_JOIN, () => {
      this.resolved.clear();
      this.handledWhilePaused.clear();
    });
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
    // Records in flight finish (or see the abort) within a bound; the rest are delivered again.
    const bound = sleep(BACKGROUND_STOP_MS, undefined, { ref: false });
    await Promise.race([Promise.all([...this.background]), bound]);
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
    // Records handled in the background while this partition was paused (see park) are not handled again.
    const handledBefore = this.handledWhilePaused.get(batch.partition);
    for (const { offset } of messages) if (handledBefore?.delete(offset)) done.add(offset);
    let next = 0;
    let parked = false;
    // Offsets are resolved strictly in order: a later record finishing first waits for the earlier ones.
    const advance = () => {
      while (!parked && next < messages.length && done.has(messages[next]!.offset)) {
        const { offset } = messages[next++]!;
        resolveOffset(offset);
        this.resolved.set(batch.partition, offset);
      }
    };
    advance();
    const byKey = new Map<string, KafkaMessage[]>();
    for (const message of messages.slice(next)) {
      if (done.has(message.offset)) continue;
      const key = message.key?.toString('latin1') ?? `offset:${message.offset}`;
      byKey.set(key, [...(byKey.get(key) ?? []), message]);
    }
    const live = () => isRunning() && !isStale() && !this.stopping.signal.aborted;
    let onPark: () => void = () => undefined;
    const parking = new Promise<void>((resolve) => (onPark = resolve));
    const park = () => {
      if (parked) return;
      advance();
      parked = true;
      onPark();
    };
    const groups = [...byKey.values()];
    const lanes = Array.from({ length: Math.min(KEY_CONCURRENCY, groups.length) }, async () => {
      for (let group = groups.shift(); group && !parked; group = groups.shift()) {
        // One key's records stay in order: an amendment never overtakes its declaration.
        for (const message of group) {
          if (parked) return;
          const source = { topic: batch.topic, partition: batch.partition, message };
          if (!(await this.handleWithRetry(source, heartbeat, live, park))) return;
          done.add(message.offset);
          advance();
        }
      }
    });
    const all = Promise.all(lanes);
    await Promise.race([all, parking]);
    if (parked) this.park(payload, all, () => messages.slice(next).filter((m) => done.has(m.offset)));
    this.commitSoon(commitOffsetsIfNecessary);
    await heartbeat();
  }

  /**
   * A record is failing or slow. kafkajs fetches again only when every batch of the last fetch is
   * done, so waiting for it here would hold up every partition of the broker. Instead the
   * partition is paused and the batch returns; the records in flight finish in the background,
   * and the partition resumes when they have. Kafka then delivers the unresolved records again,
   * and those already handled meanwhile are skipped.
   */
  private park(payload: EachBatchPayload, inFlight: Promise<unknown>, handled: () => KafkaMessage[]): void {
    const { partition } = payload.batch;
    const resume = payload.pause();
    this.options.logger.warn(
      { topic: payload.batch.topic, partition },
      'partition paused while a record is retried; other partitions go on',
    );
    const background = inFlight.then(() => {
      const skip = this.handledWhilePaused.get(partition) ?? new Set<string>();
      for (const message of handled()) skip.add(message.offset);
      this.handledWhilePaused.set(partition, skip);
      if (!this.stopping.signal.aborted) resume();
    });
    this.background.add(background);
    void background.finally(() => this.background.delete(background));
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
   * Retries by the failure's class (domain/failures.ts). A transient failure (Temporal or
   * Kafka away) would fail for every record alike, so the record is never dropped or dead-lettered
   * for it: back off, keep heartbeating, and try again for as long as it takes. A permanent one is
   * dead-lettered at once as HANDLER_ERROR, and a defect after a few attempts. The first failure,
   * or a record slower than PARK_AFTER_MS, parks the partition (see park).
   * Returns false when the consumer stopped or lost the partition before the record was handled.
   */
  private async handleWithRetry(
    source: RecordSource,
    heartbeat: () => Promise<void>,
    live: () => boolean,
    park: () => void,
  ): Promise<boolean> {
    const steps = new Set<string>();
    const ref = recordRef({ ...source, offset: source.message.offset });
    let delay = 250;
    let giveUp: unknown;
    for (let attempt = 1; ; attempt++) {
      if (!live()) return false;
      const slow = setTimeout(park, PARK_AFTER_MS);
      try {
        if (giveUp === undefined) await this.options.handle(source, steps);
        else await this.deadLetterFailure(source, giveUp, steps);
        return true;
      } catch (error) {
        park();
        const kind = giveUp === undefined ? failureClass(error) : 'transient';
        const log = { err: error, ref, attempt, failure: kind, retryInMs: delay };
        if (kind === 'transient') {
          this.options.logger.warn(log, 'hand-off failed; retrying (the record is kept)');
        } else if (kind === 'permanent' || attempt >= DEFECT_ATTEMPTS) {
          this.options.logger.error(
            log,
            'hand-off cannot succeed; dead-lettering the record as HANDLER_ERROR',
          );
          giveUp = error;
          continue;
        } else {
          this.options.logger.error(log, 'hand-off failed unexpectedly; retrying a bounded number of times');
        }
        await heartbeat().catch(() => undefined);
        await sleep(delay, undefined, { signal: this.stopping.signal }).catch(() => undefined);
        delay = Math.min(delay * 2, 5_000);
      } finally {
        clearTimeout(slow);
      }
    }
  }

  private async deadLetterFailure(source: RecordSource, error: unknown, steps: Set<string>): Promise<void> {
    const errors = [{ path: '(root)', message: `handling failed: ${describeFailure(error)}` }];
    await this.deadLetter(source, 'HANDLER_ERROR', errors, keyDeclarationId(source.message.key), steps);
  }
}
