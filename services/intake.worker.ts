import { connectTemporal } from '../runtime/temporal.js';
import { Intake } from './intake.js';
import { openPipeline, runProcess } from './process-lifecycle.js';
import { SignatureGate } from '../identity/signature-gate.js';

// The intake process: trade.declarations → clearance workflows, or the dead-letter topic.
runProcess('intake', async ({ config, logger }) => {
  const { registry, kafka } = await openPipeline(config, logger, 'ventanilla-intake');
  const gate = SignatureGate.open(config);
  await gate.report(logger);
  const client = await connectTemporal(config);
  const intake = new Intake({ config, logger, kafka, client, registry, gate });
  await intake.start();
  return async () => {
    await intake.stop();
    await client.connection.close();
  };
});
