import { createKafka, ensureTopics, pipelineTopics } from '../runtime/kafka.js';
import { loadRegistry } from '../runtime/registry.js';
import { connectTemporal } from '../runtime/temporal.js';
import { Intake } from './intake.js';
import { runProcess } from './process-lifecycle.js';

// The intake process: trade.declarations → clearance workflows, or the dead-letter topic.
runProcess('intake', async ({ config, logger }) => {
  const registry = loadRegistry(config);
  const kafka = createKafka(config, logger, 'ventanilla-intake');
  await ensureTopics(
    kafka,
    pipelineTopics(
      config,
      registry.agencies.map((a) => a.code),
    ),
    config.topicPartitions,
  );
  const client = await connectTemporal(config);
  const intake = new Intake({ config, logger, kafka, client, registry });
  await intake.start();
  return async () => {
    await intake.stop();
    await client.connection.close();
  };
});
