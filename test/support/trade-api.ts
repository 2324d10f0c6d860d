import { loadConfig } from '../../runtime/config.js';
import { startGateway, type RunningGateway } from '../../services/gateway/start-gateway.js';
import { Notifier } from '../../services/notifier.js';
import { Projector } from '../../services/projector.js';
import { openTestArchive, type TestArchive } from './archive.js';
import { bundleClearanceWorkflows, TestPipeline } from './pipeline.js';

/** The pipeline, the projector and the gateway of one test file, on its own topics, queues and schema. */
export interface TradeApi {
  pipeline: TestPipeline;
  archive: TestArchive;
  gateway: RunningGateway;
  stop(): Promise<void>;
}

export async function startTradeApi(env: Record<string, string> = {}): Promise<TradeApi> {
  const pipeline = await TestPipeline.start({ workflowBundle: await bundleClearanceWorkflows() });
  const config = loadConfig({ ...process.env, ...pipeline.env, VENTANILLA_HTTP_PORT: '0', ...env });
  const archive = await openTestArchive(config);
  const deps = { config, logger: pipeline.logger, kafka: pipeline.kafka, pool: archive.pool };
  const projector = new Projector(deps);
  await projector.start();
  const gateway = await startGateway(deps);
  // Retries within a test's patience: 0.1 s, doubled per failure.
  const notifier = new Notifier({
    pool: archive.pool,
    logger: pipeline.logger,
    retryMs: 100,
    idleMs: 50,
    allowPrivateNetworks: config.webhookPrivateNetworks === 'allow',
  });
  notifier.start();
  return {
    pipeline,
    archive,
    gateway,
    async stop() {
      await notifier.stop();
      await gateway.stop();
      await projector.stop();
      await pipeline.stop();
      await archive.drop();
    },
  };
}
