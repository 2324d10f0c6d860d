import { setTimeout as sleep } from 'node:timers/promises';
import {
  Kafka,
  logLevel,
  Partitioners,
  type Admin,
  type ITopicConfig,
  type KafkaJSError,
  type LogEntry,
  type Producer,
} from 'kafkajs';
import { agencyRequestsTopic, type Config } from '../runtime/config.js';
import type { Registry } from '../schemas/types.js';
import type { Logger } from '../runtime/logger.js';
import { applyKafkajsIdleFix } from './kafkajs-idle-fix.js';

applyKafkajsIdleFix();

const LEVELS: Record<number, 'error' | 'warn' | 'info' | 'debug'> = {
  [logLevel.ERROR]: 'error',
  [logLevel.WARN]: 'warn',
  [logLevel.INFO]: 'info',
  [logLevel.DEBUG]: 'debug',
};

/** A kafkajs client whose own logs go into the process's pino root, not to a second logger. */
export function createKafka(config: Pick<Config, 'kafkaBrokers'>, logger: Logger, clientId: string): Kafka {
  const kafkaLogger = logger.child({ component: 'kafkajs' });
  return new Kafka({
    clientId,
    brokers: config.kafkaBrokers,
    // kafkajs INFO is chatty (every join/leave); keep it at WARN unless the process runs at debug.
    logLevel: logger.isLevelEnabled('debug') ? logLevel.DEBUG : logLevel.WARN,
    logCreator:
      () =>
      ({ level, log }: LogEntry) => {
        const { message, ...rest } = log;
        kafkaLogger[LEVELS[level] ?? 'info'](rest, message);
      },
    retry: { initialRetryTime: 300, retries: 8 },
  });
}

/** Creates missing topics; existing ones are left as they are. */
export async function ensureTopics(kafka: Kafka, topics: string[], numPartitions = 3): Promise<void> {
  const admin = kafka.admin();
  await admin.connect();
  try {
    const existing = new Set(await admin.listTopics());
    const missing: ITopicConfig[] = topics
      .filter((t) => !existing.has(t))
      .map((topic) => ({ topic, numPartitions }));
    if (missing.length > 0) {
      await admin.createTopics({ topics: missing, waitForLeaders: false });
      await waitForLeaders(
        admin,
        missing.map((t) => t.topic),
      );
    }
  } finally {
    await admin.disconnect();
  }
}

const LEADERS_WAIT_MS = 30_000;

/**
 * Waits until every partition of new topics has a leader. kafkajs's own wait retries only
 * LEADER_NOT_AVAILABLE, but a KRaft broker also answers UNKNOWN_TOPIC_OR_PARTITION ("This server
 * does not host this topic-partition") for a moment after the create, and that failed the call.
 */
async function waitForLeaders(admin: Admin, topics: string[]): Promise<void> {
  const until = Date.now() + LEADERS_WAIT_MS;
  for (let delay = 100; ; delay = Math.min(delay * 2, 2_000)) {
    try {
      const { topics: found } = await admin.fetchTopicMetadata({ topics });
      if (found.every((t) => t.partitions.length > 0 && t.partitions.every((p) => p.leader >= 0))) return;
    } catch (error) {
      // kafkajs's error classes are not named exports of its ES module face; its errors say retriable.
      if ((error as Partial<KafkaJSError>).retriable !== true) throw error;
    }
    if (Date.now() > until) {
      throw new Error(
        `Kafka created ${topics.join(', ')} but gave them no leader within ${LEADERS_WAIT_MS} ms`,
      );
    }
    await sleep(delay);
  }
}

/** Every topic the pipeline produces to or consumes from, for this registry's agencies. */
export function pipelineTopics(config: Pick<Config, 'topics'>, agencies: readonly string[]): string[] {
  const { topics } = config;
  return [
    topics.declarations,
    topics.status,
    topics.decisions,
    topics.deadletter,
    ...agencies.map((agency) => agencyRequestsTopic(topics, agency)),
  ];
}

/** Creates the pipeline's topics for this registry's agencies, where they are missing. */
export async function ensurePipelineTopics(
  kafka: Kafka,
  config: Pick<Config, 'topics' | 'topicPartitions'>,
  registry: Pick<Registry, 'agencies'>,
  numPartitions = config.topicPartitions,
): Promise<void> {
  await ensureTopics(
    kafka,
    pipelineTopics(
      config,
      registry.agencies.map((a) => a.code),
    ),
    numPartitions,
  );
}

/** The pipeline's producer: the default (murmur2) partitioner, so keys land where Java clients put them. */
export function createProducer(kafka: Kafka): Producer {
  return kafka.producer({
    allowAutoTopicCreation: false,
    createPartitioner: Partitioners.DefaultPartitioner,
  });
}

/**
 * A transactional producer (same partitioner as createProducer). Its first transaction registers
 * `transactionalId` with the coordinator, which fences every older producer of that ID: their
 * open transaction is aborted, or completed first if it was already committing, and their later
 * writes are refused. A transaction left open by a crashed process ends with the next producer
 * of its ID, or after `transactionTimeout`; until then it holds back read-committed readers of
 * the partitions it wrote to, so it is kept short.
 */
export function createTransactionalProducer(kafka: Kafka, transactionalId: string): Producer {
  return kafka.producer({
    allowAutoTopicCreation: false,
    createPartitioner: Partitioners.DefaultPartitioner,
    transactionalId,
    idempotent: true,
    maxInFlightRequests: 1,
    transactionTimeout: 30_000,
  });
}
