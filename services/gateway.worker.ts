import { runGatewayService } from './archive-services.js';
import { runProcess } from './process-lifecycle.js';

// The gateway process: the trader API of design.md §11, and the notifier of its webhooks.
runProcess('gateway', runGatewayService);
