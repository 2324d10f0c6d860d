import { NativeConnection, Worker, bundleWorkflowCode } from '@temporalio/worker';
import type { Kafka } from 'kafkajs';
import { loadConfig, type Config } from '../runtime/config.js';
import { createKafka, ensurePipelineTopics } from '../messaging/kafka.js';
import { createRootLogger, type Logger } from '../runtime/logger.js';
import { loadRegistry } from '../runtime/registry.js';
import { connectTemporal } from '../runtime/temporal.js';
import { installTemporalRuntime } from '../runtime/temporal-runtime.js';
import type { Registry } from '../schemas/types.js';
import { Intake } from '../services/intake.js';
import { startPipeline } from '../services/pipeline.js';
import { runGatewayService, runProjectorService } from '../services/archive-services.js';
import { SignatureGate } from '../identity/signature-gate.js';
import {
  AGENCY_WORKER_SETTINGS,
  CLEARANCE_WORKER_SETTINGS,
  startTemporalWorkers,
} from '../services/temporal-workers.js';
import { bundleClearanceWorkflow } from '../services/clearance-bundle.js';
import { createBaselineActivities } from './baseline.activities.js';
import {
  BASELINE_WORKFLOWS_PATH,
  type HostReply,
  type HostRequest,
  type HostSettings,
} from './host-protocol.js';

// One side of the benchmark, run in a child process of bench/run.ts so that its CPU time is its
// own (process.cpuUsage covers the Rust core's threads and the workflow thread too), apart from
// the load generator's. The parent talks to it over the IPC channel (bench/host-protocol.ts):
// `ready` once it serves, `cpu` on request, and it stops on `stop` or when the parent goes away.

const quietBundler = { log() {}, trace() {}, debug() {}, info() {}, warn() {}, error() {} };

function send(reply: HostReply): void {
  process.send?.(reply);
}

/** The registry the pipeline side runs with: every agency automatic, nobody held for inspection. */
function benchRegistry(config: Config): Registry {
  const loaded = loadRegistry(config);
  return { ...loaded, inspection: { ...loaded.inspection, share: 0 } };
}

async function startBaseline(
  config: Config,
  logger: Logger,
  settings: HostSettings,
): Promise<() => Promise<void>> {
  const { taskQueue, agencyQueues } = settings.baseline!;
  const { wfOverrides = {}, actOverrides = {} } = settings;
  const connection = await NativeConnection.connect({ address: config.temporalAddress });
  const workflowBundle = await bundleWorkflowCode({
    workflowsPath: BASELINE_WORKFLOWS_PATH,
    logger: quietBundler,
  });
  const activities = createBaselineActivities();
  const workers: Worker[] = [
    await Worker.create({
      connection,
      namespace: config.temporalNamespace,
      taskQueue,
      workflowBundle,
      // The clearance worker has activities on its queue too; so does this one (they also serve
      // the eager-dispatch experiment, which puts the reviews on the workflow's own queue).
      activities,
      ...CLEARANCE_WORKER_SETTINGS,
      ...wfOverrides,
    }),
  ];
  // With the reviews on the workflow's own queue (eager experiment) its worker runs them.
  for (const queue of new Set(Object.values(agencyQueues).filter((q) => q !== taskQueue))) {
    workers.push(
      await Worker.create({
        connection,
        namespace: config.temporalNamespace,
        taskQueue: queue,
        activities,
        ...AGENCY_WORKER_SETTINGS,
        ...actOverrides,
      }),
    );
  }
  logger.info({ taskQueues: workers.map((w) => w.options.taskQueue) }, 'baseline workers started');
  const done = Promise.all(workers.map((w) => w.run())).then(() => connection.close());
  done.catch((error: unknown) => fail(`baseline worker failed: ${String(error)}`));
  return async () => {
    for (const worker of workers) if (worker.getState() === 'RUNNING') worker.shutdown();
    await done;
  };
}

async function startPipelineWorkers(
  config: Config,
  logger: Logger,
  kafka: Kafka,
  registry: Registry,
  settings: HostSettings,
): Promise<() => Promise<void>> {
  const workflowBundle = await bundleClearanceWorkflow();
  const workers = await startTemporalWorkers({
    config,
    logger,
    kafka,
    registry,
    workflowBundle,
    overrides: overridesOf(settings),
  });
  workers.done.catch((error: unknown) => fail(`pipeline worker failed: ${String(error)}`));
  return () => workers.shutdown();
}

/** Exactly what `npm start` runs: services/pipeline.ts, with a prebuilt bundle (and an experiment's overrides). */
async function startWholePipeline(
  config: Config,
  logger: Logger,
  kafka: Kafka,
  registry: Registry,
  settings: HostSettings,
): Promise<() => Promise<void>> {
  const workflowBundle = await bundleClearanceWorkflow();
  const pipeline = await startPipeline({
    config,
    logger,
    kafka,
    registry,
    workflowBundle,
    overrides: overridesOf(settings),
  });
  pipeline.done.catch((error: unknown) => fail(`pipeline worker failed: ${String(error)}`));
  return () => pipeline.stop();
}

function overridesOf({ wfOverrides = {}, actOverrides = {} }: HostSettings) {
  return { workflow: wfOverrides, activity: actOverrides };
}

async function startIntake(
  config: Config,
  logger: Logger,
  kafka: Kafka,
  registry: Registry,
): Promise<() => Promise<void>> {
  const client = await connectTemporal(config);
  const intake = new Intake({ config, logger, kafka, client, registry, gate: SignatureGate.open(config) });
  await intake.start();
  return async () => {
    await intake.stop();
    await client.connection.close();
  };
}

/** A worker stopped under the benchmark: tell the parent (which aborts the run) and exit. */
function fail(message: string): void {
  send({ type: 'failed', message });
  // Give the IPC message a moment to leave before the process goes.
  setTimeout(() => process.exit(1), 200).unref();
}

async function main(): Promise<void> {
  const settings = JSON.parse(process.argv[2] ?? '{}') as HostSettings;
  const { kind } = settings;
  const config = loadConfig();
  const logger = createRootLogger(config.logLevel, `bench-${kind}`);
  // As in production: the worker processes forward the Temporal runtime's logs; the others only have clients.
  const temporalWorkers = kind !== 'pipeline-intake' && kind !== 'projector' && kind !== 'gateway';
  if (temporalWorkers) installTemporalRuntime(logger);
  const stops: Array<() => Promise<void>> = [];
  if (kind === 'projector') {
    stops.push(await runProjectorService({ config, logger }));
  } else if (kind === 'gateway') {
    stops.push(await runGatewayService({ config, logger }));
  } else if (kind === 'baseline') {
    stops.push(await startBaseline(config, logger, settings));
  } else if (kind === 'pipeline-workers' || kind === 'pipeline-intake' || kind === 'pipeline') {
    const registry = benchRegistry(config);
    const kafka = createKafka(config, logger, `bench-${kind}`);
    await ensurePipelineTopics(kafka, config, registry);
    if (kind === 'pipeline') {
      stops.push(await startWholePipeline(config, logger, kafka, registry, settings));
    } else {
      if (kind !== 'pipeline-intake')
        stops.push(await startPipelineWorkers(config, logger, kafka, registry, settings));
      if (kind !== 'pipeline-workers') stops.push(await startIntake(config, logger, kafka, registry));
    }
  } else {
    throw new Error(
      `kind must be baseline, pipeline-workers, pipeline-intake, pipeline, projector or gateway; got ${kind}`,
    );
  }

  let stopping: Promise<void> | undefined;
  const stop = () =>
    (stopping ??= (async () => {
      // Intake first (it feeds the workers), then the workers.
      for (const s of stops.reverse())
        await s().catch((error: unknown) => logger.error({ err: error }, 'stop'));
      send({ type: 'stopped' });
      process.exit(0);
    })());
  process.on('message', (request: HostRequest) => {
    if (request.cmd === 'cpu') {
      const { user, system } = process.cpuUsage();
      send({ type: 'cpu', id: request.id, userUs: user, systemUs: system });
    } else if (request.cmd === 'stop') void stop();
  });
  // Never outlive the benchmark: if the parent dies, its IPC channel closes.
  process.on('disconnect', () => void stop());
  send({ type: 'ready' });
}

main().catch((error: unknown) =>
  fail(error instanceof Error ? (error.stack ?? error.message) : String(error)),
);
