import { openArchive } from '../archive/archive-schema.js';
import { startGateway } from './gateway/start-gateway.js';
import { Notifier } from './notifier.js';
import { openPipeline, type ProcessContext } from './process-lifecycle.js';
import { Projector } from './projector.js';

// The two processes around the archive, as their entry points (projector.worker.ts,
// gateway.worker.ts) and the benchmark's hosts run them: each starts, then hands back its stop.

/** trade.status into the PostgreSQL archive (design.md §12). */
export async function runProjectorService({ config, logger }: ProcessContext): Promise<() => Promise<void>> {
  const { pool, migrated } = await openArchive(config, { applicationName: 'ventanilla-projector', logger });
  logger.info(
    { applied: migrated.applied.length, alreadyApplied: migrated.alreadyApplied },
    'archive schema up to date',
  );
  const { kafka } = await openPipeline(config, logger, 'ventanilla-projector');
  const projector = new Projector({ config, logger, kafka, pool });
  await projector.start();
  return async () => {
    await projector.stop();
    await pool.end();
  };
}

/**
 * The trader API of design.md §11 on VENTANILLA_HTTP_HOST:VENTANILLA_HTTP_PORT, and the notifier
 * that pushes status events to the traders' webhooks (their state is in the archive).
 */
export async function runGatewayService({ config, logger }: ProcessContext): Promise<() => Promise<void>> {
  const { pool } = await openArchive(config, { applicationName: 'ventanilla-gateway', logger });
  const { kafka } = await openPipeline(config, logger, 'ventanilla-gateway');
  const gateway = await startGateway({ config, logger, kafka, pool });
  const notifier = new Notifier({
    pool,
    logger,
    allowPrivateNetworks: config.webhookPrivateNetworks === 'allow',
  });
  notifier.start();
  return async () => {
    await notifier.stop();
    await gateway.stop();
    await pool.end();
  };
}
