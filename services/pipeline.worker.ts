import { startPipeline } from './pipeline.js';
import { runWorkerProcess } from './process-lifecycle.js';

// The pipeline process (what `npm start` runs): Temporal workers, intake and the decision bridge.
runWorkerProcess('pipeline', (context) => startPipeline(context));
