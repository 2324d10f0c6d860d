import { setTimeout as sleep } from 'node:timers/promises';
import type { Admin, Kafka, Producer, Transaction } from 'kafkajs';
import type { Logger } from '../runtime/logger.js';
import type { DeadLetterRecord } from '../schemas/types.js';
import { compactDeadLetter, deadLetterMessage, needsCompacting } from './dead-letter.js';
import { createTransactionalProducer } from './kafka.js';

/**
 * Offsets are committed at most this often, not after every batch (kafkajs's default): a commit
 * is a transaction on the broker, and under light load every batch holds a single record. A
 * restart re-reads at most this much, which the handlers make harmless.
 */
const COMMIT_INTERVAL_MS = 1_000;

/**
 * The transactional ID of one partition of one consumer group: stable across restarts and
 * processes, and one writer at a time. Whoever owns the partition next (a restarted process, or
 * another member after a rebalance) takes the same ID, and its first transaction fences the
 * previous owner, even one that is still running and does not know it lost the partition.
 */
export function transactionalIdFor(groupId: string, topic: string, partition: number): string {
  return `${groupId}:${topic}:${partition}`;
}

interface PartitionState {
  readonly partition: number;
  /** The last offset handled together with every offset before it, not yet committed. */
  resolved?: bigint;
  /** Dead letters of handled records, by their record's offset, until the commit that covers them. */
  readonly letters: Map<bigint, DeadLetterRecord>;
  /** This partition's transactional producer, and the committed offset read once it fenced the others. */
  fenced?: { producer: Producer; floor: bigint };
}

/** The one error that makes a transaction try again at once: a letter was replaced by its compact form. */
class Compacted extends Error {}

/**
 * Exactly-once dead letters. A handler does not write a dead letter itself: it stages it here,
 * and the letter is written in the same Kafka transaction that commits its record's offset. A
 * crash before that transaction commits aborts the letter and redelivers the record, which is
 * dead-lettered again (once); after it, the record is never delivered again. Every offset commit
 * of the consumer goes through these transactions, with or without letters, so that the commits
 * of one partition are one ordered stream.
 *
 * Never past an unhandled record: a commit covers only the contiguous prefix of handled records
 * of its partition (`resolve`), and carries exactly the staged letters within that prefix. A
 * letter whose record is handled while an earlier record of its partition is still being handled
 * (another key, or a partition parked in the background) waits for that record: it becomes
 * visible late, never twice, and never ahead of a record that could still be lost.
 *
 * Fencing: each partition has its own transactional ID (transactionalIdFor). Before its first
 * commit in a group generation the partition gets a new producer, whose registration completes
 * or aborts what the previous owner left, and refuses that owner's later writes; only then is
 * the committed offset read (`floor`). Since no one else can commit for the partition until
 * another producer of the ID registers, which would fail our next commit, that floor stays exact:
 * letters below it were already written with the offsets the previous owner committed and are
 * dropped, and no commit ever moves the offset back.
 */
export class TransactionalCommits {
  private generationNo = 0;
  private readonly partitions = new Map<number, PartitionState>();
  private readonly admin: Admin;
  private timer: NodeJS.Timeout | undefined;
  private lastCommitAt = 0;
  /** The commit run in progress; one at a time, so each partition's transactions stay in order. */
  private running: Promise<void> | undefined;
  private closing = false;
  /** Producers of an earlier generation or a failed commit, being disconnected. */
  private readonly leaving = new Set<Promise<void>>();

  constructor(
    private readonly kafka: Kafka,
    private readonly options: { groupId: string; topic: string; deadLetterTopic: string; logger: Logger },
  ) {
    this.admin = kafka.admin();
  }

  /** Counts group generations; state of an older one is never committed. */
  get generation(): number {
    return this.generationNo;
  }

  async start(): Promise<void> {
    await this.admin.connect();
  }

  /**
   * The group rebalanced. What was handled and not committed is delivered again from the
   * committed offsets, here or to the partition's new owner, so it is forgotten; every partition
   * is fenced anew before its next commit.
   */
  newGeneration(): void {
    this.generationNo++;
    for (const state of this.partitions.values()) this.unfence(state);
    this.partitions.clear();
  }

  /** Every record of the partition up to `offset` is handled (in generation `generation`). */
  resolve(generation: number, partition: number, offset: string): void {
    const state = this.state(generation, partition);
    if (state) state.resolved = BigInt(offset);
  }

  /** The letter of a record being handled, written by the commit that covers the record. */
  stage(generation: number, partition: number, offset: string, letter: DeadLetterRecord): void {
    this.state(generation, partition)?.letters.set(BigInt(offset), letter);
  }

  /** Commits now if the last commit is a second old, else once it is; one timer at a time. */
  commitSoon(): void {
    if (this.timer || this.closing) return;
    const wait = Math.max(0, this.lastCommitAt + COMMIT_INTERVAL_MS - Date.now());
    this.timer = setTimeout(() => {
      this.timer = undefined;
      void this.commitAll();
    }, wait);
  }

  /** Commits what is handled, then lets the producers go. What is left is delivered again. */
  async close(): Promise<void> {
    this.closing = true;
    clearTimeout(this.timer);
    await this.running;
    await this.commitAll();
    for (const state of this.partitions.values()) this.unfence(state);
    await Promise.all([...this.leaving]);
    await this.admin.disconnect();
  }

  private state(generation: number, partition: number): PartitionState | undefined {
    // A record handled in an older generation is delivered again in this one: its state is not ours.
    if (generation !== this.generationNo) return undefined;
    let state = this.partitions.get(partition);
    if (!state) {
      state = { partition, letters: new Map() };
      this.partitions.set(partition, state);
    }
    return state;
  }

  private async commitAll(): Promise<void> {
    if (this.running) return this.running;
    this.lastCommitAt = Date.now();
    const pending = [...this.partitions.values()].filter((s) => s.resolved !== undefined);
    this.running = Promise.all(pending.map((state) => this.commitPartition(state))).then(() => {
      this.running = undefined;
      // Records resolved meanwhile, or a commit that failed (broker away, fenced), go next.
      if ([...this.partitions.values()].some((s) => s.resolved !== undefined)) this.commitSoon();
    });
    return this.running;
  }

  private async commitPartition(state: PartitionState): Promise<void> {
    const upTo = state.resolved;
    if (upTo === undefined) return;
    try {
      const { producer, floor } = await this.fence(state);
      // Below the floor, the previous owner handled the records and committed their letters.
      for (const offset of state.letters.keys()) if (offset < floor) state.letters.delete(offset);
      const next = upTo + 1n; // the committed offset is the next one to read
      if (next > floor) {
        const covered = [...state.letters.keys()].filter((o) => o <= upTo).sort((a, b) => (a < b ? -1 : 1));
        await this.transact(producer, state, covered, next);
        for (const offset of covered) state.letters.delete(offset);
        state.fenced = { producer, floor: next };
      }
      if (state.resolved === upTo) state.resolved = undefined;
    } catch (error) {
      // Nothing of this commit is visible. It is tried again with a freshly fenced producer.
      this.options.logger.warn(
        { err: error, topic: this.options.topic, partition: state.partition, upTo: upTo.toString() },
        'offset commit (with its dead letters) failed; retrying; if the process stops first, those records are delivered again',
      );
      this.unfence(state);
    }
  }

  /** The partition's producer, registered (fencing every older one) in this generation, and the floor. */
  private async fence(state: PartitionState): Promise<{ producer: Producer; floor: bigint }> {
    if (state.fenced) return state.fenced;
    const { groupId, topic } = this.options;
    const producer = createTransactionalProducer(
      this.kafka,
      transactionalIdFor(groupId, topic, state.partition),
    );
    try {
      await producer.connect();
      // kafkajs registers the transactional ID with its first transaction; an empty one sends nothing.
      await (await producer.transaction()).abort();
      const floor = await this.committedOffset(state.partition);
      if (this.partitions.get(state.partition) !== state) throw new Error('the group rebalanced meanwhile');
      state.fenced = { producer, floor };
      return state.fenced;
    } catch (error) {
      void producer.disconnect().catch(() => undefined);
      throw error;
    }
  }

  private async committedOffset(partition: number): Promise<bigint> {
    const [offsets] = await this.admin.fetchOffsets({
      groupId: this.options.groupId,
      topics: [this.options.topic],
    });
    const committed = BigInt(offsets?.partitions.find((p) => p.partition === partition)?.offset ?? '-1');
    return committed < 0n ? 0n : committed; // -1: nothing committed yet
  }

  /** One transaction: the covered letters and the partition's offset, or nothing at all. */
  private async transact(
    producer: Producer,
    state: PartitionState,
    covered: bigint[],
    next: bigint,
  ): Promise<void> {
    const { deadLetterTopic, groupId, topic } = this.options;
    for (;;) {
      const transaction = await producer.transaction();
      try {
        for (const offset of covered) await this.sendLetter(transaction, state, offset);
        await sendOffsets(transaction, groupId, {
          topic,
          partitions: [{ partition: state.partition, offset: next.toString() }],
        });
        await transaction.commit();
        if (covered.length > 0) {
          this.options.logger.debug(
            { topic: deadLetterTopic, partition: state.partition, letters: covered.length },
            'dead letters committed with their offsets',
          );
        }
        return;
      } catch (error) {
        await transaction.abort().catch(() => undefined);
        // Each round compacts one more letter, and a compact letter is never compacted again.
        if (!(error instanceof Compacted)) throw error;
      }
    }
  }

  private async sendLetter(transaction: Transaction, state: PartitionState, offset: bigint): Promise<void> {
    const letter = state.letters.get(offset)!;
    try {
      await transaction.send({
        topic: this.options.deadLetterTopic,
        acks: -1,
        messages: [deadLetterMessage(letter)],
      });
    } catch (error) {
      // A broker whose limit is below what the full letter needs refuses it for ever; the compact
      // one fits. Within a transaction the refusal spoils it: abort, and write the compact one anew.
      if (!needsCompacting(error, letter)) throw error;
      this.options.logger.warn(
        { err: error, ref: letter.ref, declarationId: letter.declarationId },
        'dead letter refused by the broker; writing it without the original bytes and headers',
      );
      state.letters.set(offset, compactDeadLetter(letter));
      throw new Compacted();
    }
  }

  private unfence(state: PartitionState): void {
    const producer = state.fenced?.producer;
    state.fenced = undefined;
    if (!producer) return;
    // A commit run may still be using it: let it finish first.
    const leaving = Promise.resolve(this.running)
      .then(() => producer.disconnect())
      .catch(() => undefined)
      .finally(() => this.leaving.delete(leaving));
    this.leaving.add(leaving);
  }
}

/**
 * kafkajs retries the offset commit of a transaction but not its AddOffsetsToTxn, which the
 * coordinator answers with CONCURRENT_TRANSACTIONS while it still completes the ID's previous
 * transaction (a few milliseconds after the last commit).
 */
async function sendOffsets(
  transaction: Transaction,
  consumerGroupId: string,
  offsets: { topic: string; partitions: Array<{ partition: number; offset: string }> },
): Promise<void> {
  for (let wait = 20; ; wait *= 2) {
    try {
      await transaction.sendOffsets({ consumerGroupId, topics: [offsets] });
      return;
    } catch (error) {
      if ((error as { type?: unknown }).type !== 'CONCURRENT_TRANSACTIONS' || wait > 5_000) throw error;
      await sleep(wait);
    }
  }
}
