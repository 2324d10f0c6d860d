import { runProjectorService } from './archive-services.js';
import { runProcess } from './process-lifecycle.js';

// The projector process: trade.status into the PostgreSQL archive (design.md §12).
runProcess('projector', runProjectorService);
