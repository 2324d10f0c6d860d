import { randomBytes } from 'node:crypto';
import type { Admin, Kafka, KafkaMessage, Producer } from 'kafkajs';
import type { DeadLetterRecord } from '../schemas/types.js';
import { validateDeadLetter } from '../schemas/validators.js';
import { recordRef, REPLAY_HEADER } from '../messaging/dead-letter.js';
import { OpsError } from './ops-error.js';
import { jsonDepth, MAX_SHOWN_JSON_DEPTH, readStoredJson } from './stored-json.js';

/**
 * The header a replayed dead letter carries back to the declarations topic. Intake copies it into
 * `replayOf` if the input is dead-lettered again, so a chain of attempts stays traceable.
 */
export const REPLAY_OF_HEADER = REPLAY_HEADER;

export interface StoredDeadLetter {
  /** Where the dead-letter record itself sits: `<deadletter topic>:<partition>:<offset>`. */
  dlqRef: string;
  record: DeadLetterRecord;
}

export interface DeadLetterRead {
  letters: StoredDeadLetter[];
  /** Records in the topic that are not dead-letter records (unreadable JSON); listed, never dropped silently. */
  unreadable: string[];
  /** False when the time bound passed before every partition was read to its high-water mark. */
  complete: boolean;
}

export interface ReadOptions {
  /** Give up (and say so) after this long; default 60 s. */
  timeoutMs?: number;
  /**
   * Called as records arrive (at most a few times a second) and once at the end. Until the end,
   * `total` is the offsets to read, an upper bound: transaction markers take offsets too.
   */
  onProgress?: (read: number, total: number) => void;
}

/** Per partition, the last offset that existed when we looked (its high mark minus one). */
async function lastOffsets(
  admin: Admin,
  topic: string,
): Promise<{ last: Map<number, bigint>; total: number }> {
  // Read committed (kafkajs's default for ListOffsets): the high mark is the last stable offset,
  // short of a transaction still open, which a read-committed consumer cannot pass yet.
  const offsets = await admin.fetchTopicOffsets(topic);
  const last = new Map<number, bigint>();
  let total = 0;
  for (const o of offsets) {
    const count = BigInt(o.high) - BigInt(o.low);
    if (count > 0n) {
      last.set(o.partition, BigInt(o.high) - 1n);
      total += Number(count);
    }
  }
  return { last, total };
}

/** One pass over the topic up to the offsets taken at the start: what was read, and when it is done. */
class TopicScan {
  readonly letters: StoredDeadLetter[] = [];
  readonly unreadable: string[] = [];
  read = 0;
  readonly done: Promise<void>;
  private finished!: () => void;
  private readonly pending: Set<number>;
  private lastProgress = 0;

  constructor(
    readonly topic: string,
    private readonly last: Map<number, bigint>,
    /** Offsets to read, an upper bound: transaction markers take offsets too. */
    readonly total: number,
    private readonly onProgress?: ReadOptions['onProgress'],
  ) {
    this.pending = new Set(last.keys());
    this.done = new Promise<void>((resolve) => (this.finished = resolve));
  }

  /**
   * Each transaction ends in a commit marker that takes an offset and is never handed to
   * eachMessage, so the last offset may be one: a batch whose last offset, markers and aborted
   * records included, reaches the end says the partition is read.
   */
  batchEnded(partition: number, lastOffset: string): void {
    const end = this.last.get(partition);
    if (end !== undefined && BigInt(lastOffset) >= end) this.partitionRead(partition);
  }

  message(partition: number, message: KafkaMessage): void {
    const end = this.last.get(partition);
    const offset = BigInt(message.offset);
    if (end === undefined) return; // the partition was empty when we looked
    // Written after we looked: not part of this read, but proof the partition is done.
    if (offset > end) return this.partitionRead(partition);
    this.read++;
    const dlqRef = recordRef({ topic: this.topic, partition, offset: message.offset });
    const record = parseDeadLetterRecord(message.value);
    if (record) this.letters.push({ dlqRef, record });
    else this.unreadable.push(dlqRef);
    if (Date.now() - this.lastProgress > 250) {
      this.lastProgress = Date.now();
      this.onProgress?.(this.read, this.total);
    }
    if (offset === end) this.partitionRead(partition);
  }

  private partitionRead(partition: number): void {
    this.pending.delete(partition);
    if (this.pending.size === 0) this.finished();
  }
}

/**
 * Reads the dead-letter topic once, from the beginning up to the high-water marks taken at the
 * start, then leaves. It uses a throwaway consumer group that commits nothing and is deleted
 * afterwards, so it never moves anyone's offsets and never deletes or rewrites a record.
 */
export async function readDeadLetters(
  kafka: Kafka,
  topic: string,
  options: ReadOptions = {},
): Promise<DeadLetterRead> {
  const admin = kafka.admin();
  await admin.connect();
  try {
    if (!(await admin.listTopics()).includes(topic)) return { letters: [], unreadable: [], complete: true };
    const { last, total } = await lastOffsets(admin, topic);
    if (last.size === 0) {
      options.onProgress?.(0, 0);
      return { letters: [], unreadable: [], complete: true };
    }
    const groupId = `ventanilla-ops-dlq-${randomBytes(6).toString('hex')}`;
    try {
      return await scan(kafka, groupId, new TopicScan(topic, last, total, options.onProgress), options);
    } finally {
      // The group committed nothing; remove it so repeated listings leave no trace on the cluster.
      await admin.deleteGroups([groupId]).catch(() => undefined);
    }
  } finally {
    await admin.disconnect();
  }
}

async function scan(
  kafka: Kafka,
  groupId: string,
  topicScan: TopicScan,
  options: ReadOptions,
): Promise<DeadLetterRead> {
  const consumer = kafka.consumer({
    groupId,
    sessionTimeout: 10_000,
    heartbeatInterval: 1_000,
    // Dead letters are written in transactions with their record's offset commit: only a
    // committed one is a dead letter (an aborted one was written again after a crash).
    readUncommitted: false,
  });
  consumer.on(consumer.events.END_BATCH_PROCESS, ({ payload }) =>
    topicScan.batchEnded(payload.partition, payload.lastOffset),
  );
  try {
    await consumer.connect();
    await consumer.subscribe({ topic: topicScan.topic, fromBeginning: true });
    await consumer.run({
      autoCommit: false,
      eachMessage: async ({ partition, message }) => topicScan.message(partition, message),
    });
    let timer: NodeJS.Timeout | undefined;
    const timedOut = new Promise<false>((resolve) => {
      timer = setTimeout(() => resolve(false), options.timeoutMs ?? 60_000);
    });
    const complete = await Promise.race([topicScan.done.then(() => true as const), timedOut]);
    clearTimeout(timer);
    const { letters, unreadable, read } = topicScan;
    // `total` counted offsets, transaction markers among them; a complete read knows the real count.
    options.onProgress?.(read, complete ? read : topicScan.total);
    letters.sort((a, b) => a.record.at.localeCompare(b.record.at) || a.dlqRef.localeCompare(b.dlqRef));
    return { letters, unreadable, complete };
  } finally {
    await consumer.disconnect();
  }
}

/**
 * A record of the dead-letter topic, or undefined when it is not one. Intake writes records a few
 * levels deep; one nested deeper than anything can print is not one of them (the topic is
 * writable by others), and would crash the commands that print it.
 */
export function parseDeadLetterRecord(value: Buffer | null): DeadLetterRecord | undefined {
  if (!value) return undefined;
  const text = value.toString('utf8');
  if (jsonDepth(text, MAX_SHOWN_JSON_DEPTH) > MAX_SHOWN_JSON_DEPTH) return undefined;
  try {
    // The schema, not a spot check: a record with fields of the wrong type would crash the renderers.
    const record: unknown = JSON.parse(text);
    return validateDeadLetter(record) ? record : undefined;
  } catch {
    return undefined;
  }
}

/** One line per dead letter, for `dlq list`. */
export interface DeadLetterSummary {
  ref: string;
  dlqRef: string;
  at: string;
  reason: string;
  declarationId?: string;
  key: string | null;
  firstError: string;
  errorCount: number;
  /** This dead letter was itself a replay of that one. */
  replayOf?: string;
  /** Later dead letters that are replays of this one (replayed, and refused again). */
  replayedAs: string[];
}

export function summarize(letters: StoredDeadLetter[]): DeadLetterSummary[] {
  const replays = new Map<string, string[]>();
  for (const { record } of letters) {
    if (record.replayOf) replays.set(record.replayOf, [...(replays.get(record.replayOf) ?? []), record.ref]);
  }
  return letters.map(({ dlqRef, record }) => {
    const first = record.errors[0];
    return {
      ref: record.ref,
      dlqRef,
      at: record.at,
      reason: record.reason,
      ...(record.declarationId ? { declarationId: record.declarationId } : {}),
      key: record.key,
      firstError: first ? `${first.path}: ${first.message}` : record.reason,
      errorCount: record.errors.length,
      ...(record.replayOf ? { replayOf: record.replayOf } : {}),
      replayedAs: replays.get(record.ref) ?? [],
    };
  });
}

/**
 * Finds a dead letter by the ref of its input (`trade.declarations:2:17`, as `dlq list` prints it)
 * or by its own position in the dead-letter topic. Intake writes each input's letter once (in the
 * transaction of its offset commit); a topic written by an older version may hold two records
 * with the same ref after a crash: they hold the same bytes, the first is used.
 */
export function findDeadLetter(letters: StoredDeadLetter[], ref: string): StoredDeadLetter[] {
  return letters.filter((l) => l.record.ref === ref || l.dlqRef === ref);
}

export interface DecodedValue {
  bytes: Buffer;
  /** The value as text, when it is valid UTF-8. */
  text?: string;
  /** The value parsed, when it is JSON that can be printed as JSON (see stored-json.ts). */
  json?: unknown;
  /** Why a value that is JSON is shown as text instead (nested too deep, a number out of range). */
  note?: string;
  /** True when only a prefix was kept (inputs over 1 MiB): such a dead letter cannot be replayed. */
  truncated: boolean;
}

const utf8 = new TextDecoder('utf-8', { fatal: true });

export function decodeValue(record: DeadLetterRecord): DecodedValue {
  const bytes = Buffer.from(record.valueBase64, 'base64');
  const truncated = bytes.length < record.valueSize;
  let text: string | undefined;
  try {
    text = utf8.decode(bytes);
  } catch {
    text = undefined;
  }
  const read = text === undefined ? undefined : readStoredJson(text);
  return {
    bytes,
    truncated,
    ...(text !== undefined ? { text } : {}),
    ...(read?.kind === 'json' ? { json: read.json } : {}),
    ...(read?.kind === 'text' ? { note: read.note } : {}),
  };
}

export interface ReplayMessage {
  key: string | null;
  value: Buffer;
  headers: Record<string, string>;
}

/**
 * The exact input again: original bytes, key and headers, plus the replay-of header naming the
 * dead letter. Intake deduplicates it like any redelivery (workflow ID and content hash for a
 * declaration, amendmentId for an amendment), so replaying one dead letter twice is harmless.
 */
export function replayMessage(record: DeadLetterRecord): ReplayMessage {
  const value = decodeValue(record);
  if (value.truncated) {
    throw new OpsError(
      `${record.ref} cannot be replayed: it was ${record.valueSize} bytes, over the 1 MiB limit, and only its first ${value.bytes.length} bytes were kept`,
    );
  }
  const cut = (['key', 'headers'] as const).filter((part) => record.truncated?.[part]);
  if (cut.length > 0) {
    throw new OpsError(
      `${record.ref} cannot be replayed: its ${cut.join(' and ')} ${cut.length > 1 ? 'were' : 'was'} cut to fit the dead-letter topic (see "truncated"), so it would not be the same input`,
    );
  }
  return {
    key: record.key,
    value: value.bytes,
    headers: { ...record.headers, [REPLAY_OF_HEADER]: record.ref },
  };
}

/**
 * For `dlq replay --all`: one dead letter per input that is still unresolved. A dead letter that
 * was replayed and refused again is represented by its newest replay; duplicates of one ref count once.
 */
export function replayCandidates(letters: StoredDeadLetter[]): StoredDeadLetter[] {
  const replayed = new Set(letters.map((l) => l.record.replayOf).filter((r): r is string => Boolean(r)));
  const seen = new Set<string>();
  return letters.filter(({ record }) => {
    if (replayed.has(record.ref) || seen.has(record.ref)) return false;
    seen.add(record.ref);
    return true;
  });
}

export interface DeadLetterReplayed {
  ref: string;
  declarationId?: string;
  reason: string;
  /** Where the replayed input landed on the declarations topic. */
  sentTo?: string;
}

/** Produces the replay messages, one by one in order, each acknowledged by all in-sync replicas. */
export async function sendReplays(
  producer: Producer,
  declarationsTopic: string,
  letters: StoredDeadLetter[],
  onEach?: (done: DeadLetterReplayed, index: number) => void,
): Promise<DeadLetterReplayed[]> {
  const sent: DeadLetterReplayed[] = [];
  for (const [index, { record }] of letters.entries()) {
    const message = replayMessage(record);
    const [meta] = await producer.send({ topic: declarationsTopic, acks: -1, messages: [message] });
    const done: DeadLetterReplayed = {
      ref: record.ref,
      reason: record.reason,
      ...(record.declarationId ? { declarationId: record.declarationId } : {}),
      ...(meta
        ? {
            sentTo: recordRef({
              topic: declarationsTopic,
              partition: meta.partition,
              offset: meta.baseOffset ?? '?',
            }),
          }
        : {}),
    };
    sent.push(done);
    onEach?.(done, index);
  }
  return sent;
}
