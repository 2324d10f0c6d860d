import { fileURLToPath } from 'node:url';
import { Client, Connection } from '@temporalio/client';
import { Partitioners } from 'kafkajs';
import {
  Worker,
  bundleWorkflowCode,
  NativeConnection,
  type WorkflowBundleWithSourceMap,
} from '@temporalio/worker';
import { beforeAll, describe, expect, it } from 'vitest';
import { loadConfig } from '../../runtime/config.js';
import * as activities from '../support/smoke.activities.js';
import { createTopics, testKafka, uniqueName, waitFor } from '../support/helpers.js';
import { PrivateTemporal } from '../support/private-temporal.js';

const config = loadConfig();
let workflowBundle: WorkflowBundleWithSourceMap;

beforeAll(async () => {
  workflowBundle = await bundleWorkflowCode({
    workflowsPath: fileURLToPath(new URL('../support/smoke.workflows.ts', import.meta.url)),
  });
});

describe('Kafka (real broker)', () => {
  it('creates a topic, produces, consumes with a committing consumer group', async () => {
    const kafka = testKafka(config);
    const topic = uniqueName('smoke');
    const groupId = uniqueName('smoke-group');
    await createTopics(kafka, [topic], 2);

    const producer = kafka.producer({ createPartitioner: Partitioners.DefaultPartitioner });
    await producer.connect();
    await producer.send({
      topic,
      messages: Array.from({ length: 10 }, (_, i) => ({ key: `k${i}`, value: `v${i}` })),
    });

    const consumer = kafka.consumer({ groupId });
    const seen: string[] = [];
    await consumer.connect();
    await consumer.subscribe({ topic, fromBeginning: true });
    await consumer.run({ eachMessage: async ({ message }) => void seen.push(message.value!.toString()) });
    await waitFor('10 messages', () => seen.length === 10);
    await consumer.disconnect(); // commits the resolved offsets on the way out

    const admin = kafka.admin();
    await admin.connect();
    const [committed] = await admin.fetchOffsets({ groupId, topics: [topic] });
    const total = committed!.partitions.reduce((sum, p) => sum + Number(p.offset), 0);
    await admin.disconnect();
    expect(seen.sort()).toEqual(Array.from({ length: 10 }, (_, i) => `v${i}`).sort());
    expect(total).toBe(10);

    // The same group resumes after its commits: it sees only what is new.
    await producer.send({ topic, messages: [{ key: 'k10', value: 'v10' }] });
    await producer.disconnect();
    const again = await collectGroup(kafka, topic, groupId);
    expect(again).toEqual(['v10']);
  });
});

async function collectGroup(
  kafka: ReturnType<typeof testKafka>,
  topic: string,
  groupId: string,
): Promise<string[]> {
  const consumer = kafka.consumer({ groupId });
  const seen: string[] = [];
  await consumer.connect();
  await consumer.subscribe({ topic, fromBeginning: true });
  await consumer.run({ eachMessage: async ({ message }) => void seen.push(message.value!.toString()) });
  await waitFor('the new message', () => seen.length >= 1);
  await consumer.disconnect();
  return seen;
}

describe('Temporal (real server)', () => {
  it('runs a workflow started by the client on a worker and returns its result', async () => {
    const taskQueue = uniqueName('smoke');
    const connection = await NativeConnection.connect({ address: config.temporalAddress });
    const worker = await Worker.create({
      connection,
      namespace: config.temporalNamespace,
      taskQueue,
      workflowBundle,
      activities,
    });
    const client = new Client({
      connection: await Connection.connect({ address: config.temporalAddress }),
      namespace: config.temporalNamespace,
    });
    const result = await worker.runUntil(
      client.workflow.execute('greetWorkflow', {
        taskQueue,
        workflowId: uniqueName('smoke-wf'),
        args: ['Ventanilla'],
      }),
    );
    expect(result).toBe('hola, Ventanilla');
    await client.connection.close();
    await connection.close();
  });

  it('keeps a running workflow across a restart of the Temporal server (SQLite persists)', async () => {
    const server = await PrivateTemporal.start();
    try {
      const workflowId = uniqueName('restart-wf');
      const taskQueue = uniqueName('restart');
      const client1 = new Client({ connection: await Connection.connect({ address: server.address }) });
      await client1.workflow.start('sleepThenGreetWorkflow', {
        taskQueue,
        workflowId,
        args: ['restart', 4000],
      });
      await client1.connection.close();

      await server.stop();
      await server.restart();

      const connection = await NativeConnection.connect({ address: server.address });
      const worker = await Worker.create({ connection, taskQueue, workflowBundle, activities });
      const client2 = new Client({ connection: await Connection.connect({ address: server.address }) });
      const result = await worker.runUntil(client2.workflow.getHandle(workflowId).result());
      expect(result).toBe('hola, restart');
      await client2.connection.close();
      await connection.close();
    } finally {
      await server.destroy();
    }
  });
});
