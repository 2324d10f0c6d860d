import { KafkaJSConnectionError, type Consumer, type Kafka, type Producer } from 'kafkajs';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createRootLogger } from '../../runtime/logger.js';
import type { DeadLetterRecord } from '../../schemas/types.js';
import type { RecordSource } from '../../messaging/dead-letter.js';
import { KeyedConsumer } from '../../messaging/keyed-consumer.js';
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
  consumer: KeyedConsumer;
}

async function run(behave: (value: string, attempt: number) => Promise<void>): Promise<Run> {
  const handled = new Map<string, number>();
  const attempts = new Map<string, number>();
  const order: string[] = [];
  const handle = async (source: RecordSource) => {
    const value = source.message.value!.toString();
    const attempt = (attempts.get(value) ?? 0) + 1;
    attempts.set(value, attempt);
    await behave(value, attempt);
    handled.set(value, (handled.get(value) ?? 0) + 1);
    order.push(value);
    return 'ok';
  };
  const consumer = new KeyedConsumer(kafka, {
    groupId: uniqueName('kc-group'),
    topic,
    deadLetterTopic,
    logger: createRootLogger('fatal', 'test'),
    handle,
  });
  await consumer.start();
  return { handled, attempts, order, consumer };
}

const letters = () =>
  dlq.messages.map(({ message }) => JSON.parse(message.value!.toString()) as DeadLetterRecord);

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
