import { openArchive } from '../archive/archive-schema.js';
import { startGateway } from './gateway/start-gateway.js';
import { Notifier } from './notifier.js';
import { openPipeline, runProcess } from './process-lifecycle.js';

// The gateway process: the trader API of design.md §11, on VENTANILLA_HTTP_HOST:VENTANILLA_HTTP_PORT,
// and the notifier that pushes status events to the traders' webhooks.
runProcess('gateway', async ({ config, logger }) => {
  const { pool } = await openArchive(config, { applicationName: 'ventanilla-gateway', logger });
  const { kafka } = await openPipeline(config, logger, 'ventanilla-gateway');
  const gateway = await startGateway({ config, logger, kafka, pool });
  // Beside the API that configures it: the webhooks' deliveries (their state is in the archive).
  const notifier = new Notifier({ pool, logger });
  notifier.start();
  return async () => {
    await notifier.stop();
    await gateway.stop();
    await pool.end();
  };
});
