import { installTemporalRuntime } from '../runtime/temporal-runtime.js';
import { openPipeline, runProcess } from './process-lifecycle.js';
import { startTemporalWorkers } from './temporal-workers.js';

// The Temporal worker process (`npm start -- --split`): the clearance workflow and every agency's
// automatic reviews.
runProcess('temporal-worker', async ({ config, logger }) => {
  installTemporalRuntime(logger);
  const { registry, kafka } = await openPipeline(config, logger, 'ventanilla-worker');
  const workers = await startTemporalWorkers({ config, logger, kafka, registry });
  workers.done.catch((error: unknown) => {
    logger.fatal({ err: error }, 'a Temporal worker failed');
    process.exit(1);
  });
  return () => workers.shutdown();
});
