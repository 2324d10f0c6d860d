import { Client } from '@temporalio/client';
import { CoalescingSender } from '../messaging/coalescing-sender.js';
import { createProducer } from '../messaging/kafka.js';
import { DecisionBridge } from './decision-bridge.js';
import { Intake } from './intake.js';
import { SignatureGate } from '../identity/signature-gate.js';
import { startTemporalWorkers, type TemporalWorkersOptions } from './temporal-workers.js';

export interface RunningPipeline {
  /** Rejects if a Temporal worker fails. */
  done: Promise<void>;
  stop(): Promise<void>;
}

/**
 * The whole pipeline in one process: the Temporal workers, intake and the decision bridge. Intake
 * and the bridge reach Temporal through the workers' native connection, and intake starts
 * clearances eagerly, so a clearance's first workflow task comes back in the start call's answer
 * instead of through the server's task matching. More hosts running this process share the load:
 * Kafka spreads the partitions over the consumer groups' members, Temporal the tasks over the
 * workers. The roles also run as processes of their own (`npm start -- --split`).
 */
export async function startPipeline(options: TemporalWorkersOptions): Promise<RunningPipeline> {
  const { config, logger, kafka, registry } = options;
  // Before anything connects: a missing trust store stops the process with its fix.
  const gate = SignatureGate.open(config);
  await gate.report(logger);
  // One producer and one status sender for the process: intake's opening events and the
  // workflows' later ones go out in the same produce requests.
  const producer = createProducer(kafka);
  await producer.connect();
  const statusSender = new CoalescingSender(producer);
  const workers = await startTemporalWorkers({ ...options, producer, statusSender });
  const client = new Client({ connection: workers.connection, namespace: config.temporalNamespace });
  const shared = { config, logger, kafka, client, producer, gate };
  const intake = new Intake({ ...shared, registry, statusSender, eagerStart: true });
  const bridge = new DecisionBridge(shared);
  try {
    await intake.start();
    await bridge.start();
  } catch (error) {
    await workers.shutdown();
    await producer.disconnect();
    throw error;
  }
  return {
    done: workers.done,
    async stop() {
      // The consumers first, so that nothing is handed to workers that are going away.
      await Promise.all([intake.stop(), bridge.stop()]);
      await workers.shutdown();
      await producer.disconnect();
    },
  };
}
