import { runWorkerProcess } from './process-lifecycle.js';
import { startTemporalWorkers } from './temporal-workers.js';

// The Temporal worker process (`npm start -- --split`): the clearance workflow and every agency's
// automatic reviews.
runWorkerProcess('temporal-worker', async (context) => {
  const workers = await startTemporalWorkers(context);
  return { done: workers.done, stop: () => workers.shutdown() };
});
