import type { Client } from '@temporalio/client';
import type { Consumer, Kafka, Producer } from 'kafkajs';
import type { Config } from '../runtime/config.js';
import type { StatusEvent } from '../schemas/types.js';
import type { baselineWorkflow } from './baseline.workflow.js';
import { benchDeclaration } from './declaration.js';
import type { Offer, SideLedger } from './load.js';

// How each side is offered load and how its completions are observed.

/** B0: start straight from a client; complete when the workflow's result arrives. */
export function startBaselineWorkflows(
  client: Client,
  taskQueue: string,
  taskQueues: Record<string, string>,
  offers: Offer[],
  ledger: SideLedger,
): void {
  const agencies = Object.keys(taskQueues).length;
  for (const { id } of offers) {
    client.workflow
      .start<typeof baselineWorkflow>('baselineWorkflow', {
        taskQueue,
        workflowId: id,
        args: [{ taskQueues }],
      })
      .then((handle) => handle.result())
      .then(
        (approved) =>
          ledger.complete(id, Date.now(), 0, approved === agencies ? 'OK' : `approved ${approved}`),
        (error: unknown) => ledger.fail(error),
      );
  }
}

/** S: produce the declarations to the declarations topic, as traders would. */
export function produceDeclarations(
  producer: Producer,
  config: Config,
  offers: Offer[],
  ledger: SideLedger,
  sign?: (value: string) => Promise<Record<string, string>>,
): void {
  // The record timestamp is the offer time: latency runs from it (signing included, as a trader's
  // tool signs before it sends) to the final status event.
  const records = offers.map(async ({ id, at }) => {
    const value = JSON.stringify(benchDeclaration(id));
    return { key: id, value, timestamp: String(at), ...(sign ? { headers: await sign(value) } : {}) };
  });
  Promise.all(records)
    .then((messages) => producer.send({ topic: config.topics.declarations, acks: -1, messages }))
    .catch((error: unknown) => ledger.fail(error));
}

/** Statuses after which a declaration's clearance is over (or, for the bench, stuck). */
export const FINAL = new Set<StatusEvent['status']>([
  'CLEARED',
  'REJECTED',
  'WITHDRAWN',
  'FAILED',
  'AWAITING_TRADER',
]);

export interface StatusObserver {
  consumer: Consumer;
  /** Status events read so far, final or not, repeats included. */
  events(): number;
}

/**
 * S: read the status topic from the start, as a trader-facing consumer would; a final event
 * completes its declaration in the ledger (which counts repeats and second final events).
 */
export async function observeStatuses(
  kafka: Kafka,
  config: Config,
  ledger: SideLedger,
): Promise<StatusObserver> {
  const consumer = kafka.consumer({
    groupId: `${ledger.idPrefix}-observer`,
    sessionTimeout: 30_000,
    maxWaitTimeInMs: 100,
  });
  let events = 0;
  await consumer.connect();
  await consumer.subscribe({ topic: config.topics.status, fromBeginning: true });
  const joined = new Promise<void>((resolve) => consumer.on(consumer.events.GROUP_JOIN, () => resolve()));
  await consumer.run({
    // A fresh group that reads from the beginning: committing its offsets would only load the broker.
    autoCommit: false,
    partitionsConsumedConcurrently: config.topicPartitions,
    eachBatch: async ({ batch }) => {
      const now = Date.now();
      for (const message of batch.messages) {
        events++;
        if (!message.value) continue;
        const event = JSON.parse(message.value.toString()) as StatusEvent;
        // `at` is stamped by the publishing activity: it splits the latency into intake and
        // first workflow task (up to RECEIVED), the reviews (up to the final event), and delivery.
        if (event.status === 'RECEIVED') ledger.mark(event.declarationId, 'received', Date.parse(event.at));
        if (FINAL.has(event.status)) ledger.mark(event.declarationId, 'final', Date.parse(event.at));
        if (FINAL.has(event.status))
          ledger.complete(event.declarationId, now, event.sequence, event.status, 'CLEARED');
      }
    },
  });
  await joined;
  return { consumer, events: () => events };
}
