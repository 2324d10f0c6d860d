import { connectTemporal } from '../runtime/temporal.js';
import { DecisionBridge } from './decision-bridge.js';
import { openPipeline, runProcess } from './process-lifecycle.js';
import { SignatureGate } from '../identity/signature-gate.js';

// The decision bridge process: trade.agency.decisions → the clearances' `decide` update.
runProcess('decision-bridge', async ({ config, logger }) => {
  const { kafka } = await openPipeline(config, logger, 'ventanilla-decisions');
  const gate = SignatureGate.open(config);
  await gate.report(logger);
  const client = await connectTemporal(config);
  const bridge = new DecisionBridge({ config, logger, kafka, client, gate });
  await bridge.start();
  return async () => {
    await bridge.stop();
    await client.connection.close();
  };
});
