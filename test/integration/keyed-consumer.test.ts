import { KafkaJSConnectionError, type Consumer, type Kafka, type Producer } from 'kafkajs';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createRootLogger } from '../../runtime/logger.js';
import type { DeadLetterRecord } from '../../schemas/types.js';
import type { RecordSource } from '../../messaging/dead-letter.js';
import { KeyedConsumer, type Handled, type Steps } from '../../messaging/keyed-consumer.js';
import {
  collectTopic,
  createTopics,
  deleteTopicsWithPrefix,
  testKafka,
  uniqueName,
  waitFor,
  type Collected,
} from '../support/helpers.js';

// Issue 10, defect 2: one record must never hold up the records of other partitions, and only a
// transient failure is retried for ever. On the real broker, with handlers that fail on purpose.

const prefix = `${uniqueName('kc')}.`;
const topic = `${prefix}in`;
const deadLetterTopic = `${prefix}dlq`;
let kafka: Kafka;
let producer: Producer;
let dlq: { messages: Collected[]; consumer: Consumer };

beforeAll(async () => {
  kafka = testKafka();
  await createTopics(kafka, [topic, deadLetterTopic], 3);
  producer = kafka.producer();
  await producer.connect();
  dlq = await collectTopic(kafka, deadLetterTopic);
});
afterAll(async () => {
  await dlq?.consumer.disconnect();
  await producer?.disconnect();
  await deleteTopicsWithPrefix(kafka, prefix);
});

interface Run {
  handled: Map<string, number>;
  attempts: Map<string, number>;
  order: string[];
  consumer: KeyedConsumer<Outcome>;
}

type Outcome = 'ok' | 'deadlettered';

/** `behave` may throw, wait, or answer 'deadletter' to have the record dead-lettered by the consumer. */
type Behave = (value: string, attempt: number) => Promise<void | 'deadletter'>;

async function run(
  behave: Behave,
  options: { groupId?: string; deadLetterTopic?: string; shared?: Run } = {},
): Promise<Run> {
  const handled = options.shared?.handled ?? new Map<string, number>();
  const attempts = options.shared?.attempts ?? new Map<string, number>();
  const order = options.shared?.order ?? [];
  const handle = async (source: RecordSource, steps: Steps): Promise<Handled<Outcome>> => {
    const value = source.message.value!.toString();
    const attempt = (attempts.get(value) ?? 0) + 1;
    attempts.set(value, attempt);
    const verdict = await behave(value, attempt);
    handled.set(value, (handled.get(value) ?? 0) + 1);
    order.push(value);
    if (verdict !== 'deadletter') return { outcome: 'ok' };
    const errors = [{ path: '(root)', message: `refused on purpose: ${value.slice(0, 40)}` }];
    return { outcome: consumer.deadLetter(source, 'SCHEMA_VIOLATION', errors, undefined, steps) };
  };
  const consumer: KeyedConsumer<Outcome> = new KeyedConsumer(kafka, {
    groupId: options.groupId ?? uniqueName('kc-group'),
    topic,
    deadLetterTopic: options.deadLetterTopic ?? deadLetterTopic,
    logger: createRootLogger('fatal', 'test'),
    handle,
  });
  await consumer.start();
  return { handled, attempts, order, consumer };
}

/** The group's committed offset of each partition of the input topic (-1: none). */
async function committed(groupId: string): Promise<Map<number, bigint>> {
  const admin = kafka.admin();
  await admin.connect();
  try {
    const [offsets] = await admin.fetchOffsets({ groupId, topics: [topic] });
    return new Map(offsets!.partitions.map((p) => [p.partition, BigInt(p.offset)]));
  } finally {
    await admin.disconnect();
  }
}

const letters = (from = dlq) =>
  from.messages.map(({ message }) => JSON.parse(message.value!.toString()) as DeadLetterRecord);

describe('KeyedConsumer under failing records', () => {
  it('dead-letters a programming error after 3 attempts and goes on; retries a transient one until it heals', async () => {
    const tag = uniqueName('a');
    const r = await run(async (value, attempt) => {
      if (value === `${tag}-bug`)
        throw new TypeError("Cannot read properties of undefined (reading 'items')");
      if (value === `${tag}-flaky` && attempt <= 4)
        throw new KafkaJSConnectionError('Connection error: ECONNREFUSED');
    });
    try {
      const values = [`${tag}-bug`, `${tag}-flaky`, ...Array.from({ length: 6 }, (_, i) => `${tag}-ok${i}`)];
      await producer.send({
        topic,
        messages: values.map((value, i) => ({ partition: i % 3, key: `K-${tag}-${i}`, value })),
      });
      await waitFor(
        'every record handled or dead-lettered',
        () =>
          values.every((v) => r.handled.has(v) || v === `${tag}-bug`) &&
          letters().some((l) => l.reason === 'HANDLER_ERROR' && l.key === `K-${tag}-0`),
      );
      expect(r.attempts.get(`${tag}-bug`)).toBe(3);
      expect(r.handled.get(`${tag}-bug`)).toBeUndefined();
      expect(r.handled.get(`${tag}-flaky`)).toBe(1);
      expect(r.attempts.get(`${tag}-flaky`)).toBe(5);
      const [letter, ...more] = letters().filter((l) => l.key === `K-${tag}-0`);
      expect(more).toEqual([]);
      expect(letter!.errors[0]!.message).toContain('TypeError: Cannot read properties of undefined');
      expect(letters().some((l) => l.key === `K-${tag}-1`)).toBe(false); // transient: never dead-lettered
    } finally {
      await r.consumer.stop();
    }
  });

  it('lets other partitions go on while one record hangs, then resumes its partition without handling twice', async () => {
    const tag = uniqueName('b');
    let release: () => void = () => undefined;
    const released = new Promise<void>((resolve) => (release = resolve));
    const r = await run(async (value) => {
      if (value === `${tag}-stuck`) await released;
    });
    try {
      // Partition 0: the stuck record, then two of another key, then one more of the stuck key.
      await producer.send({
        topic,
        messages: [
          { partition: 0, key: 'STUCK', value: `${tag}-stuck` },
          { partition: 0, key: 'OTHER', value: `${tag}-p0-a` },
          { partition: 0, key: 'OTHER', value: `${tag}-p0-b` },
          { partition: 0, key: 'STUCK', value: `${tag}-stuck-next` },
        ],
      });
      await waitFor('the stuck record to start', () => r.attempts.has(`${tag}-stuck`));
      // Later records on the other partitions are handled while partition 0 is held.
      const later = Array.from({ length: 6 }, (_, i) => `${tag}-late${i}`);
      await producer.send({
        topic,
        messages: later.map((value, i) => ({ partition: 1 + (i % 2), key: `L${i}`, value })),
      });
      await waitFor('the other partitions', () => later.every((v) => r.handled.has(v)), 20_000);
      expect(r.handled.has(`${tag}-stuck-next`)).toBe(false); // its key waits behind the stuck one
      release();
      await waitFor('partition 0 to resume', () => r.handled.has(`${tag}-stuck-next`), 30_000);
      for (const v of [`${tag}-stuck`, `${tag}-p0-a`, `${tag}-p0-b`, `${tag}-stuck-next`, ...later]) {
        expect(r.handled.get(v), v).toBe(1);
      }
      expect(r.order.indexOf(`${tag}-stuck`)).toBeLessThan(r.order.indexOf(`${tag}-stuck-next`));
      expect(r.order.indexOf(`${tag}-p0-a`)).toBeLessThan(r.order.indexOf(`${tag}-p0-b`));
    } finally {
      release();
      await r.consumer.stop();
    }
  });
});

// Issue 11: a dead letter is written in the Kafka transaction that commits its record's offset,
// so a crash or a rebalance can neither lose it nor write it twice.
describe('KeyedConsumer dead letters, exactly once', () => {
  it('commits a dead letter only with its offset, never past a record still being handled', async () => {
    const tag = uniqueName('x');
    const groupId = uniqueName('kc-group');
    let release: () => void = () => undefined;
    const released = new Promise<void>((resolve) => (release = resolve));
    const behave: Behave = async (value) => {
      if (value === `${tag}-slow`) await released;
      return value.endsWith('-bad') ? 'deadletter' : undefined;
    };
    const first = await run(behave, { groupId });
    let second: Run | undefined;
    try {
      const [meta] = await producer.send({
        topic,
        acks: -1,
        messages: [
          { partition: 0, key: 'SLOW', value: `${tag}-slow` },
          { partition: 0, key: 'BAD', value: `${tag}-bad` },
        ],
      });
      const slowOffset = BigInt(meta!.baseOffset!);
      await waitFor('the bad record handled behind the slow one', () => first.handled.has(`${tag}-bad`));
      // Several commit intervals: the bad record is handled, but the slow one before it is not.
      await new Promise((r) => setTimeout(r, 3_000));
      expect(letters().filter((l) => l.errors[0]!.message.includes(tag))).toEqual([]);
      expect((await committed(groupId)).get(0) ?? -1n).toBeLessThanOrEqual(slowOffset);
      release();
      const [letter] = await waitFor('the dead letter', () => {
        const found = letters().filter((l) => l.errors[0]!.message.includes(tag));
        return found.length > 0 ? found : undefined;
      });
      expect(letter!.source.offset).toBe((slowOffset + 1n).toString());
      await waitFor(
        'its offset committed',
        async () => (await committed(groupId)).get(0) === slowOffset + 2n,
      );
      await first.consumer.stop();
      // The next member of the group starts after them: nothing is handled or dead-lettered again.
      second = await run(behave, { groupId });
      await producer.send({
        topic,
        acks: -1,
        messages: [{ partition: 0, key: 'LAST', value: `${tag}-last` }],
      });
      await waitFor('the next record', () => second!.handled.has(`${tag}-last`));
      expect(second.handled.has(`${tag}-bad`)).toBe(false);
      expect(letters().filter((l) => l.errors[0]!.message.includes(tag))).toHaveLength(1);
    } finally {
      release();
      await first.consumer.stop().catch(() => undefined);
      await second?.consumer.stop();
    }
  });

  it('writes a letter the broker refuses as too large in its compact form, in the same transaction path', async () => {
    const tag = uniqueName('c');
    const small = `${prefix}dlq-small-${tag}`;
    const admin = kafka.admin();
    await admin.connect();
    await admin.createTopics({
      topics: [
        { topic: small, numPartitions: 1, configEntries: [{ name: 'max.message.bytes', value: '65536' }] },
      ],
      waitForLeaders: true,
    });
    await admin.disconnect();
    const smallDlq = await collectTopic(kafka, small);
    const r = await run(async () => 'deadletter', { deadLetterTopic: small });
    try {
      const big = `${tag}-${'x'.repeat(200_000)}`;
      await producer.send({
        topic,
        acks: -1,
        messages: [
          { partition: 1, key: 'BIG', value: big },
          { partition: 1, key: 'NEXT', value: `${tag}-next` },
        ],
      });
      // A new group reads the topic from the start: the earlier tests' records are dead-lettered too.
      const ours = () => letters(smallDlq).filter((l) => l.key === 'BIG' || l.key === 'NEXT');
      await waitFor('both letters', () => ours().length >= 2);
      await new Promise((resolve) => setTimeout(resolve, 1_500)); // time for a second copy, if any
      const [compact, next, ...more] = ours();
      expect(more).toEqual([]);
      expect(compact!.valueBase64).toBe('');
      expect(compact!.valueSize).toBe(Buffer.byteLength(big));
      expect(compact!.truncated?.value?.size).toBe(Buffer.byteLength(big));
      expect(Buffer.from(next!.valueBase64, 'base64').toString()).toBe(`${tag}-next`);
    } finally {
      await r.consumer.stop();
      await smallDlq.consumer.disconnect();
    }
  });

  it('dead-letters each record once while members join and leave the group', async () => {
    const tag = uniqueName('r');
    const groupId = uniqueName('kc-group');
    const behave: Behave = async (value) => {
      await new Promise((r) => setTimeout(r, 15)); // so that rebalances land mid-stream
      return value.includes('-bad-') ? 'deadletter' : undefined;
    };
    const a = await run(behave, { groupId });
    const values = Array.from({ length: 240 }, (_, i) => `${tag}-${i % 3 === 0 ? 'bad' : 'ok'}-${i}`);
    const send = (from: number, to: number) =>
      producer.send({
        topic,
        acks: -1,
        messages: values.slice(from, to).map((value, i) => ({ key: `K${(from + i) % 17}`, value })),
      });
    let b: Run | undefined;
    try {
      await send(0, 80);
      await waitFor('a to get going', () => a.handled.size >= 20);
      b = await run(behave, { groupId, shared: a }); // a rebalance mid-stream
      await send(80, 160);
      await waitFor('more handled', () => a.handled.size >= 120, 60_000);
      await a.consumer.stop(); // and another
      await send(160, 240);
      await waitFor('every record handled', () => values.every((v) => a.handled.has(v)), 90_000);
      await waitFor('every offset committed', async () => {
        const offsets = await committed(groupId);
        const ends = await endOffsets();
        return [...ends].every(([partition, end]) => (offsets.get(partition) ?? -1n) >= end);
      });
      const mine = letters().filter((l) => l.errors[0]!.message.includes(tag));
      const count = new Map<string, number>();
      for (const l of mine) {
        const value = Buffer.from(l.valueBase64, 'base64').toString();
        count.set(value, (count.get(value) ?? 0) + 1);
      }
      const bad = values.filter((v) => v.includes('-bad-'));
      expect([...count.keys()].sort()).toEqual([...bad].sort());
      expect([...count.entries()].filter(([, n]) => n !== 1)).toEqual([]);
    } finally {
      await a.consumer.stop().catch(() => undefined);
      await b?.consumer.stop();
    }
  });
});

async function endOffsets(): Promise<Map<number, bigint>> {
  const admin = kafka.admin();
  await admin.connect();
  try {
    return new Map((await admin.fetchTopicOffsets(topic)).map((o) => [o.partition, BigInt(o.high)]));
  } finally {
    await admin.disconnect();
  }
}
