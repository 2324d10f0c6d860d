import { Client, Connection } from '@temporalio/client';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { loadConfig } from '../../runtime/config.js';
import { sampleDeclaration } from '../support/fixtures.js';
import type { StatusEvent } from '../../schemas/types.js';
import { declarationWorkflowId } from '../../clearance-client/workflow-ids.js';
import { collectTopic, deleteTopicsWithPrefix, isolatedEnv, testKafka, waitFor } from '../support/helpers.js';
import { IntakeProcess } from '../support/intake-process.js';
import { withSignatures } from '../support/test-pki.js';
import { devOfficerRfc } from '../../identity/dev-holders.js';

// What `npm start` runs: services/pipeline.worker.ts, one process with the Temporal workers, intake
// and the decision bridge, intake starting clearances eagerly on the workers' connection.
const env = isolatedEnv({ VENTANILLA_CLOSED_RETENTION: '0s', VENTANILLA_AGENCY_MODES: 'AGRICULTURE=queue' });
const config = loadConfig({ ...process.env, ...env });
const kafka = testKafka(config);
let pipeline: IntakeProcess;
let client: Client;

beforeAll(async () => {
  pipeline = IntakeProcess.start(env, 'services/pipeline.worker.ts');
  await pipeline.ready();
  client = new Client({ connection: await Connection.connect({ address: config.temporalAddress }) });
});
afterAll(async () => {
  await pipeline?.kill('SIGKILL');
  await client?.connection.close();
  await deleteTopicsWithPrefix(kafka, env.VENTANILLA_TOPIC_PREFIX!);
});

describe('the pipeline process', () => {
  it('clears a declaration from Kafka through an eagerly started clearance and an officer decision, and stops on SIGTERM', async () => {
    const statuses = await collectTopic(kafka, config.topics.status);
    const producer = kafka.producer();
    await producer.connect();
    const declaration = sampleDeclaration(); // CUSTOMS (auto) and AGRICULTURE (queue, decided below)
    const id = declaration.declarationId;
    await producer.send({
      topic: config.topics.declarations,
      messages: await withSignatures([{ key: id, value: JSON.stringify(declaration) }]),
    });
    const events = () =>
      statuses.messages
        .map((m) => JSON.parse(m.message.value!.toString()) as StatusEvent)
        .filter((e) => e.declarationId === id)
        .sort((a, b) => a.sequence - b.sequence);
    await waitFor('AGRICULTURE to be asked', () => events().find((e) => e.agencies.CUSTOMS === 'APPROVED'));

    await producer.send({
      topic: config.topics.decisions,
      messages: await withSignatures(
        [
          {
            key: id,
            value: JSON.stringify({
              decisionId: `${id}-agri`,
              declarationId: id,
              agency: 'AGRICULTURE',
              officer: devOfficerRfc('AGRICULTURE'),
              outcome: 'APPROVED',
              reasons: [],
              at: new Date().toISOString(),
            }),
          },
        ],
        devOfficerRfc('AGRICULTURE'),
      ),
    });
    const cleared = await waitFor('CLEARED', () => events().find((e) => e.status === 'CLEARED'));
    expect(cleared.agencies).toEqual({ CUSTOMS: 'APPROVED', AGRICULTURE: 'APPROVED' });
    expect(events().map((e) => e.status)[0]).toBe('RECEIVED');

    const history = await client.workflow.getHandle(declarationWorkflowId(id)).fetchHistory();
    expect(history.events![0]!.workflowExecutionStartedEventAttributes?.eagerExecutionAccepted).toBe(true);

    expect(await pipeline.kill('SIGTERM')).toBe(0);
    await statuses.consumer.disconnect();
    await producer.disconnect();
  });
});
