import { createKafka, ensureTopics, pipelineTopics } from '../runtime/kafka.js';
import { loadRegistry } from '../runtime/registry.js';
import { connectTemporal } from '../runtime/temporal.js';
import { DecisionBridge } from './decision-bridge.js';
import { runProcess } from './process-lifecycle.js';

// The decision bridge process: trade.agency.decisions → the clearances' `decide` update.
runProcess('decision-bridge', async ({ config, logger }) => {
  const registry = loadRegistry(config);
  const kafka = createKafka(config, logger, 'ventanilla-decisions');
  await ensureTopics(
    kafka,
    pipelineTopics(
      config,
      registry.agencies.map((a) => a.code),
    ),
    config.topicPartitions,
  );
  const client = await connectTemporal(config);
  const bridge = new DecisionBridge({ config, logger, kafka, client });
  await bridge.start();
  return async () => {
    await bridge.stop();
    await client.connection.close();
  };
});
