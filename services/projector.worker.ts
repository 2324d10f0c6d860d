import { openArchive } from '../archive/archive-schema.js';
import { openPipeline, runProcess } from './process-lifecycle.js';
import { Projector } from './projector.js';

// The projector process: trade.status into the PostgreSQL archive (design.md §12).
runProcess('projector', async ({ config, logger }) => {
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
});
