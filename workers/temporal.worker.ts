import { createKafka, ensureTopics, pipelineTopics } from '../runtime/kafka.js';
import { loadRegistry } from '../runtime/registry.js';
import { installTemporalRuntime } from '../runtime/temporal-runtime.js';
import { runProcess } from './process-lifecycle.js';
import { startTemporalWorkers } from './temporal-workers.js';

// The Temporal worker process: the clearance workflow and every agency's automatic reviews.
// `VENTANILLA_WORKER_AGENCIES=HEALTH,ECONOMY` limits which agencies' review queues it serves.
runProcess('temporal-worker', async ({ config, logger }) => {
  installTemporalRuntime(logger);
  const registry = loadRegistry(config);
  const kafka = createKafka(config, logger, 'ventanilla-worker');
  await ensureTopics(
    kafka,
    pipelineTopics(
      config,
      registry.agencies.map((a) => a.code),
    ),
    config.topicPartitions,
  );
  const workers = await startTemporalWorkers({ config, logger, kafka, registry });
  workers.done.catch((error: unknown) => {
    logger.fatal({ err: error }, 'a Temporal worker failed');
    process.exit(1);
  });
  return () => workers.shutdown();
});
