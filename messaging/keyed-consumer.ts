import { setTimeout as sleep } from 'node:timers/promises';
import type { Consumer, EachBatchPayload, Kafka, KafkaMessage, Producer } from 'kafkajs';
import { ATTEMPTS, describeFailure, failureClass } from '../domain/failures.js';
import { createProducer } from './kafka.js';
import type { Logger } from '../runtime/logger.js';
import type { DeadLetterReason, FieldError } from '../schemas/types.js';
import { keyDeclarationId } from './intake-parse.js';
import { deadLetterRecord, recordRef, REPLAY_HEADER, type RecordSource } from './dead-letter.js';
import { TransactionalCommits } from './transactional-commits.js';

/** The steps of handling one record that must not run twice when its handling is retried. */
export const Step = {
  /** Its dead letter is staged (it is written with the record's offset commit). */
  DeadLettered: 'deadLettered',
  /** The trader was told why the input was refused. */
  Told: 'told',
} as const;
export type Step = (typeof Step)[keyof typeof Step];

/** What already succeeded for one record; it survives retries of that record, so no step runs twice. */
export type Steps = Set<Step>;

/** Where one record ended, in the handler's own terms, and whose it was when that can be read. */
export interface Handled<Outcome extends string> {
  outcome: Outcome;
  declarationId?: string;
  /** The workflow the record went to, when there is one: logged on the record's one line. */
  workflowId?: string;
}

/** Handles one record; `steps` survives retries of the same record, so no step runs twice. */
export type RecordHandler<Outcome extends string> = (
  source: RecordSource,
  steps: Steps,
) => Promise<Handled<Outcome>>;

/** The outcome of a record that went to the dead-letter topic, for every handler alike. */
export const DEADLETTERED = 'deadlettered';

/** Different keys in a batch are independent; this many are handed off at once. */
const KEY_CONCURRENCY = 32;

/** A record still not handled after this long parks its partition, so the others go on. */
const PARK_AFTER_MS = 2_000;

/** How long stop() waits for records still in flight in the background. */
const BACKGROUND_STOP_MS = 5_000;

/**
 * A consumer that hands each record off durably before its offset counts as done. Offsets are
 * resolved in order and only after the handler returned, so a crash at any point means
 * redelivery; the handlers make redelivery harmless. Records with one key are handled in order;
 * different keys run concurrently. Dead letters are written exactly once: each in the Kafka
 * transaction that commits its record's offset (see TransactionalCommits).
 */
export class KeyedConsumer<Outcome extends string> {
  /** For the handlers' own writes (dead letters, status events); connected while consuming. */
  readonly producer: Producer;
  private readonly ownsProducer: boolean;
  private readonly consumer: Consumer;
  private readonly stopping = new AbortController();
  /** Resolved offsets and staged dead letters, committed together in transactions. */
  private readonly commits: TransactionalCommits;
  /** Per partition, offsets handled while it was paused: skipped when Kafka delivers them again. */
  private readonly handledWhilePaused = new Map<number, Set<string>>();
  /** Records of paused partitions still being handled. */
  private readonly background = new Set<Promise<void>>();
  /** The group generation each record in hand was delivered in (see TransactionalCommits). */
  private readonly generationOf = new WeakMap<KafkaMessage, number>();

  constructor(
    kafka: Kafka,
    private readonly options: {
      groupId: string;
      topic: string;
      deadLetterTopic: string;
      logger: Logger;
      handle: RecordHandler<Outcome>;
      /** A producer shared with the rest of the process; its owner connects and disconnects it. */
      producer?: Producer;
    },
  ) {
    this.ownsProducer = !options.producer;
    this.producer = options.producer ?? createProducer(kafka);
    this.commits = new TransactionalCommits(kafka, options);
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
    await this.commits.start();
    await this.consumer.connect();
    // A new group reads from the beginning, so nothing produced before the first start is lost.
    await this.consumer.subscribe({ topic: this.options.topic, fromBeginning: true });
    // After a rebalance another member may own a partition: its records are redelivered there,
    // and what this member handled but did not commit is forgotten (dead letters included).
    this.consumer.on(this.consumer.events.GROUP_JOIN, () => {
      this.commits.newGeneration();
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
    await this.commits.close();
    await this.consumer.disconnect();
    if (this.ownsProducer) await this.producer.disconnect();
  }

  /**
   * Dead-letters the record, once per record however often its handling is retried: the letter
   * is staged, and written in the transaction that commits the record's offset, once the record
   * and every record before it on its partition are handled. A record that was itself replayed
   * from the dead-letter topic names its origin.
   */
  deadLetter(
    source: RecordSource,
    reason: DeadLetterReason,
    errors: FieldError[],
    declarationId: string | undefined,
    steps: Steps,
  ): typeof DEADLETTERED {
    if (!steps.has(Step.DeadLettered)) {
      const replayOf = source.message.headers?.[REPLAY_HEADER]?.toString();
      const record = deadLetterRecord(source, reason, errors, {
        declarationId,
        replayOf,
        at: new Date().toISOString(),
      });
      // A record of an older generation is delivered again: its letter is not staged (see stage).
      const generation = this.generationOf.get(source.message) ?? -1;
      this.commits.stage(generation, source.partition, source.message.offset, record);
      steps.add(Step.DeadLettered);
    }
    return DEADLETTERED;
  }

  private async onBatch(payload: EachBatchPayload): Promise<void> {
    const { batch, resolveOffset, heartbeat, isRunning, isStale } = payload;
    const messages = batch.messages;
    const generation = this.commits.generation;
    for (const message of messages) this.generationOf.set(message, generation);
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
        this.commits.resolve(generation, batch.partition, offset);
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
    if (parked) {
      const handled = () => messages.slice(next).filter((m) => done.has(m.offset));
      this.park(payload, generation, all, handled);
    }
    this.commits.commitSoon();
    await heartbeat();
  }

  /**
   * A record is failing or slow. kafkajs fetches again only when every batch of the last fetch is
   * done, so waiting for it here would hold up every partition of the broker. Instead the
   * partition is paused and the batch returns; the records in flight finish in the background,
   * and the partition resumes when they have. Kafka then delivers the unresolved records again,
   * and those already handled meanwhile are skipped.
   */
  private park(
    payload: EachBatchPayload,
    generation: number,
    inFlight: Promise<unknown>,
    handled: () => KafkaMessage[],
  ): void {
    const { partition } = payload.batch;
    const resume = payload.pause();
    this.options.logger.warn(
      { topic: payload.batch.topic, partition },
      'partition paused while a record is retried; other partitions go on',
    );
    const background = inFlight.then(() => {
      // After a rebalance the group delivers them again from the committed offset: handle them anew.
      if (generation === this.commits.generation) {
        const skip = this.handledWhilePaused.get(partition) ?? new Set<string>();
        for (const message of handled()) skip.add(message.offset);
        this.handledWhilePaused.set(partition, skip);
      }
      if (!this.stopping.signal.aborted) resume();
    });
    this.background.add(background);
    void background.finally(() => this.background.delete(background));
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
    const steps: Steps = new Set();
    const ref = recordRef({ ...source, offset: source.message.offset });
    let delay = 250;
    for (let attempt = 1; ; attempt++) {
      if (!live()) return false;
      const slow = setTimeout(park, PARK_AFTER_MS);
      try {
        const { outcome, declarationId, workflowId } = await this.options.handle(source, steps);
        // The one info line per record: the handlers log the ordinary outcomes at debug only.
        this.options.logger.info({ ref, declarationId, workflowId, outcome, attempt }, 'record handled');
        return true;
      } catch (error) {
        park();
        const kind = failureClass(error);
        const log = { err: error, ref, attempt, failure: kind, retryInMs: delay };
        // How often each class is tried is the taxonomy's (domain/failures.ts): transient for ever,
        // permanent once, a defect a few times.
        if (attempt >= ATTEMPTS[kind]) {
          const declarationId = this.deadLetterFailure(source, error, steps);
          const outcome = DEADLETTERED;
          this.options.logger.error(
            { ...log, declarationId, outcome },
            'hand-off cannot succeed; record dead-lettered as HANDLER_ERROR',
          );
          return true;
        } else if (kind === 'transient') {
          this.options.logger.warn(log, 'hand-off failed; retrying (the record is kept)');
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

  /** A letter the handler staged before it failed stays the record's one letter (Step.DeadLettered). */
  private deadLetterFailure(source: RecordSource, error: unknown, steps: Steps): string | undefined {
    const errors = [{ path: '(root)', message: `handling failed: ${describeFailure(error)}` }];
    const declarationId = keyDeclarationId(source.message.key);
    this.deadLetter(source, 'HANDLER_ERROR', errors, declarationId, steps);
    return declarationId;
  }
}
