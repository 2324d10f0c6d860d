import { installTemporalRuntime } from '../runtime/temporal-runtime.js';
import { startPipeline } from './pipeline.js';
import { openPipeline, runProcess } from './process-lifecycle.js';

// The pipeline process (what `npm start` runs): Temporal workers, intake and the decision bridge.
runProcess('pipeline', async ({ config, logger }) => {
  installTemporalRuntime(logger);
  const { registry, kafka } = await openPipeline(config, logger, 'ventanilla-pipeline');
  const pipeline = await startPipeline({ config, logger, kafka, registry });
  pipeline.done.catch((error: unknown) => {
    logger.fatal({ err: error }, 'a Temporal worker failed');
    process.exit(1);
  });
  return () => pipeline.stop();
});
