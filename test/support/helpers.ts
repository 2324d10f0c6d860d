import { randomBytes } from 'node:crypto';
import { Kafka, logLevel, type Consumer, type KafkaMessage } from 'kafkajs';
import { setTimeout as sleep } from 'node:timers/promises';
import { loadConfig, type Config } from '../../runtime/config.js';
import { TEST_PKI } from './test-pki.js';
export { freePort } from '../../infra/processes.js';

/** A name no other test (or earlier run) uses, so tests never share topics, queues or IDs. */
export function uniqueName(prefix: string): string {
  return `${prefix}-${Date.now().toString(36)}-${randomBytes(4).toString('hex')}`;
}

/** Config for one test: the shared stack's addresses, but its own topics, task queues and groups. */
export function isolatedConfig(overrides: Record<string, string> = {}): Config {
  return loadConfig({ ...process.env, ...isolatedEnv(overrides) });
}

/** The environment of an isolated test pipeline, also for the worker processes a test spawns. */

export function isolatedEnv(overrides: Record<string, string> = {}): Record<string, string> {
  const id = uniqueName('t');
  return {
    VENTANILLA_TOPIC_PREFIX: `${id}.`,
    VENTANILLA_TASK_QUEUE: `${id}-clearance`,
    VENTANILLA_AGENCY_TASK_QUEUE_PREFIX: `${id}-agency-`,
    VENTANILLA_INTAKE_GROUP: `${id}-intake`,
    VENTANILLA_DECISIONS_GROUP: `${id}-decisions`,
    VENTANILLA_PROJECTOR_GROUP: `${id}-projector`,
    VENTANILLA_DATABASE_SCHEMA: id.toLowerCase().replace(/[^a-z0-9_]/g, '_'),
    LOG_LEVEL: process.env.LOG_LEVEL ?? 'error',
    // As in production, every message must be signed (VENTANILLA_SIGNATURES defaults to required);
    // the tests' own CA is the trust store, and their holders sign (test/support/test-pki.ts).
    VENTANILLA_TRUST_DIR: TEST_PKI.trustDir,
    VENTANILLA_PKI_DIR: TEST_PKI.pkiDir,
    // The tests' webhook receivers listen on loopback.
    VENTANILLA_WEBHOOK_PRIVATE_NETWORKS: 'allow',
    ...overrides,
  };
}

export function testKafka(config: Pick<Config, 'kafkaBrokers'> = loadConfig()): Kafka {
  return new Kafka({
    clientId: uniqueName('test'),
    brokers: config.kafkaBrokers,
    logLevel: logLevel.NOTHING,
  });
}

export async function createTopics(kafka: Kafka, topics: string[], numPartitions = 3): Promise<void> {
  const admin = kafka.admin();
  await admin.connect();
  try {
    await admin.createTopics({
      topics: topics.map((topic) => ({ topic, numPartitions })),
      waitForLeaders: true,
    });
  } finally {
    await admin.disconnect();
  }
}

export interface Collected {
  topic: string;
  partition: number;
  message: KafkaMessage;
}

/** Reads a topic from the beginning into an array that grows as messages arrive. */
export async function collectTopic(
  kafka: Kafka,
  topic: string,
): Promise<{ messages: Collected[]; consumer: Consumer }> {
  const consumer = kafka.consumer({
    groupId: uniqueName('collector'),
    sessionTimeout: 10_000,
    readUncommitted: false,
  });
  const messages: Collected[] = [];
  await consumer.connect();
  await consumer.subscribe({ topic, fromBeginning: true });
  await consumer.run({
    eachMessage: async ({ topic: t, partition, message }) => {
      messages.push({ topic: t, partition, message });
    },
  });
  return { messages, consumer };
}

export async function waitFor<T>(
  what: string,
  probe: () => T | undefined | false | Promise<T | undefined | false>,
  timeoutMs = 60_000,
): Promise<T> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const value = await probe();
    if (value !== undefined && value !== false) return value;
    if (Date.now() > deadline) throw new Error(`timed out after ${timeoutMs / 1000}s waiting for ${what}`);
    await sleep(100);
  }
}

/** Tests clean up their own topics, so the local broker does not grow by hundreds each run. */
export async function deleteTopicsWithPrefix(kafka: Kafka, prefix: string): Promise<void> {
  const admin = kafka.admin();
  await admin.connect();
  try {
    const topics = (await admin.listTopics()).filter((t) => t.startsWith(prefix));
    if (topics.length > 0) await admin.deleteTopics({ topics, timeout: 30_000 });
  } finally {
    await admin.disconnect();
  }
}
