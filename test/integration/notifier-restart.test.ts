import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import type { Kafka, Producer } from 'kafkajs';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { setEndpoint } from '../../archive/notification-store.js';
import { createKafka } from '../../messaging/kafka.js';
import { loadConfig, type Config } from '../../runtime/config.js';
import { createRootLogger } from '../../runtime/logger.js';
import type { StatusEvent } from '../../schemas/types.js';
import { Projector } from '../../services/projector.js';
import { openTestArchive, type TestArchive } from '../support/archive.js';
import { createTopics, deleteTopicsWithPrefix, isolatedEnv, waitFor } from '../support/helpers.js';
import { IntakeProcess } from '../support/intake-process.js';

// The gateway process (and the notifier in it) SIGKILLed in the middle of webhook deliveries, then
// started again: every event arrives, in order, and at most the one in flight arrives twice.

const TRADER = 'OTR010101AB1';
const EVENTS = 12;

let env: Record<string, string>;
let config: Config;
let kafka: Kafka;
let producer: Producer;
let archive: TestArchive;
let projector: Projector;
let receiver: Server;
const delivered: number[] = [];

beforeAll(async () => {
  env = { ...isolatedEnv(), VENTANILLA_HTTP_PORT: '0' };
  config = loadConfig({ ...process.env, ...env });
  const logger = createRootLogger(config.logLevel, 'test');
  kafka = createKafka(config, logger, 'test');
  await createTopics(kafka, [config.topics.status, config.topics.deadletter], 2);
  producer = kafka.producer({ idempotent: true });
  await producer.connect();
  archive = await openTestArchive(config);
  projector = new Projector({ config, logger, kafka, pool: archive.pool });
  await projector.start();
  // A receiver slow enough that the kill lands between deliveries.
  receiver = createServer((request, response) => {
    const chunks: Buffer[] = [];
    request.on('data', (chunk: Buffer) => chunks.push(chunk));
    request.on('end', () =>
      setTimeout(() => {
        delivered.push((JSON.parse(Buffer.concat(chunks).toString()) as StatusEvent).sequence);
        response.writeHead(204).end();
      }, 150),
    );
  });
  await new Promise<void>((resolve) => receiver.listen(0, '127.0.0.1', resolve));
});

afterAll(async () => {
  receiver?.close();
  await projector?.stop();
  await producer?.disconnect();
  await archive?.drop();
  await deleteTopicsWithPrefix(kafka, env.VENTANILLA_TOPIC_PREFIX!);
});

describe('webhook delivery across a SIGKILL of the gateway process', () => {
  it('delivers every event in order, at most the one in flight twice', async () => {
    const url = `http://127.0.0.1:${(receiver.address() as AddressInfo).port}/hook`;
    await setEndpoint(archive.pool, TRADER, url, 'a-webhook-secret-of-the-trader');
    const id = `RESTART_${Date.now().toString(36)}`;
    const events: StatusEvent[] = Array.from({ length: EVENTS }, (_, i) => ({
      declarationId: id,
      at: new Date(Date.UTC(2026, 11, 2, 12, 0, i)).toISOString(),
      sequence: i + 1,
      status: i === 0 ? 'RECEIVED' : 'IN_REVIEW',
      agencies: { CUSTOMS: 'PENDING' },
      reasons: [],
      traderTaxId: TRADER,
      regime: 'IMPORT',
    }));
    await producer.send({
      topic: config.topics.status,
      acks: -1,
      messages: events.map((e) => ({ key: id, value: JSON.stringify(e) })),
    });
    const first = IntakeProcess.start(env, 'services/gateway.worker.ts');
    await first.ready(90_000, 'trader API listening');
    await waitFor('a few deliveries', () => delivered.length >= 3, 60_000);
    await first.kill('SIGKILL');
    const beforeRestart = delivered.length;
    expect(beforeRestart).toBeLessThan(EVENTS); // the kill did land in the middle
    const second = IntakeProcess.start(env, 'services/gateway.worker.ts');
    try {
      await second.ready(90_000, 'trader API listening');
      await waitFor('every event delivered', () => new Set(delivered).size === EVENTS, 60_000);
      await new Promise((resolve) => setTimeout(resolve, 1000)); // nothing more may follow
    } finally {
      await second.kill('SIGTERM');
    }
    const repeats = delivered.length - new Set(delivered).size;
    expect(repeats).toBeLessThanOrEqual(1);
    // In order: each delivery is the next event, or the one just before it sent again.
    const inOrder = delivered.filter((sequence, i) => i === 0 || sequence !== delivered[i - 1]);
    expect(inOrder).toEqual(events.map((e) => e.sequence));
  }, 240_000);
});
