import { existsSync } from 'node:fs';
import { relative } from 'node:path';
import { fileURLToPath } from 'node:url';
import {
  NativeConnection,
  Worker,
  type WorkflowBundleOption,
  type WorkflowBundleWithSourceMap,
} from '@temporalio/worker';
import type { Kafka, Producer } from 'kafkajs';
import { CoalescingSender } from '../messaging/coalescing-sender.js';
import { bundleClearanceWorkflow } from './clearance-bundle.js';
import type { AgencyAdapter } from '../activities/adapters/adapter.js';
import { createAgencyActivities, createClearanceActivities } from '../activities/create-activities.js';
import { statusSinks } from '../activities/status-publisher.js';
import { agencyTaskQueue, ConfigError, type Config } from '../runtime/config.js';
import { createProducer } from '../messaging/kafka.js';
import type { Logger } from '../runtime/logger.js';
import type { Registry } from '../schemas/types.js';

/**
 * The bundle `npm run build` writes (scripts/build.ts). The shipped processes (run from dist/)
 * start their workers from it instead of running webpack at every start.
 */
export const WORKFLOW_BUNDLE_PATH = fileURLToPath(new URL('../workflow-bundle.js', import.meta.url));

/** True under tsx or vitest: this module is the TypeScript source, not the build in dist/. */
const FROM_SOURCES = import.meta.url.endsWith('.ts');

/** The prebuilt bundle's path; a missing build is a setup error with its fix, not a stack trace. */
export function prebuiltWorkflowBundle(): string {
  if (!existsSync(WORKFLOW_BUNDLE_PATH)) {
    throw new ConfigError(
      `the workflow bundle ${relative(process.cwd(), WORKFLOW_BUNDLE_PATH)} is missing; run "npm run build"`,
    );
  }
  return WORKFLOW_BUNDLE_PATH;
}

/**
 * The clearance worker's workflow code: the prebuilt bundle when running from dist/, otherwise
 * the current sources bundled in-process, so that development never runs a stale build. The
 * bundler's module listing goes to debug; its warnings and errors stay visible.
 */
async function clearanceWorkflowCode(logger: Logger): Promise<WorkflowBundleOption> {
  if (!FROM_SOURCES) return { codePath: prebuiltWorkflowBundle() };
  const log = logger.child({ component: 'workflow-bundler' });
  return bundleClearanceWorkflow({
    log: (_level, message, meta) => log.debug(meta ?? {}, message),
    trace: (message, meta) => log.trace(meta ?? {}, message),
    debug: (message, meta) => log.debug(meta ?? {}, message),
    info: (message, meta) => log.debug(meta ?? {}, message),
    warn: (message, meta) => log.warn(meta ?? {}, message),
    error: (message, meta) => log.error(meta ?? {}, message),
  });
}

/** The clearance worker's settings (the benchmark's bare baseline runs under the same ones). */
export const CLEARANCE_WORKER_SETTINGS = {
  // Clearances spend most of their life waiting; a large cache avoids replaying them on every event.
  maxCachedWorkflows: 2000,
  maxConcurrentWorkflowTaskExecutions: 100,
  maxConcurrentLocalActivityExecutions: 200,
  reuseV8Context: true,
} as const;

/** Each agency worker's settings. */
export const AGENCY_WORKER_SETTINGS = {
  maxConcurrentActivityTaskExecutions: 100,
} as const;

/** Plain worker options merged over the settings above, for experiments (the benchmark's knobs). */
export type WorkerOverrides = Record<string, number | boolean>;

export interface TemporalWorkersOptions {
  config: Config;
  logger: Logger;
  kafka: Kafka;
  registry: Registry;
  /** A bundle made by the caller (tests bundle once per file); otherwise see clearanceWorkflowCode. */
  workflowBundle?: WorkflowBundleWithSourceMap;
  extraAdapters?: Record<string, AgencyAdapter>;
  /** Agencies whose review workers this process runs; all of the registry's by default. */
  agencies?: string[];
  /** A connected producer shared with the rest of the process (its owner disconnects it). */
  producer?: Producer;
  statusSender?: CoalescingSender;
  overrides?: { workflow?: WorkerOverrides; activity?: WorkerOverrides };
}

export interface RunningWorkers {
  /**
   * The workers' connection. A client on it (`new Client({ connection })`) calls Temporal through
   * the SDK's native core instead of a second, JavaScript gRPC stack, and can start clearances
   * eagerly: the server hands the first workflow task back in its answer, to these workers.
   */
  connection: NativeConnection;
  /** Resolves when every worker has stopped; rejects if one fails. */
  done: Promise<void>;
  shutdown(): Promise<void>;
}

/**
 * The clearance worker and one worker per agency task queue, on one connection. Agencies' queues
 * are separate so that each agency's reviews can be deployed and scaled on their own: run this
 * with `agencies: ['HEALTH']` on another host and only HEALTH's reviews go there.
 */
export async function startTemporalWorkers(options: TemporalWorkersOptions): Promise<RunningWorkers> {
  const { config, logger, kafka, registry } = options;
  // Before connecting: a missing build fails the process without leaving anything open.
  const workflowBundle = options.workflowBundle ?? (await clearanceWorkflowCode(logger));
  const connection = await NativeConnection.connect({ address: config.temporalAddress });
  const producer = options.producer ?? createProducer(kafka);
  if (!options.producer) await producer.connect();
  const deps = { config, producer, logger, extraAdapters: options.extraAdapters };
  const statusSender = options.statusSender ?? new CoalescingSender(producer);
  const workers: Worker[] = [
    await Worker.create({
      connection,
      namespace: config.temporalNamespace,
      taskQueue: config.taskQueue,
      workflowBundle,
      activities: createClearanceActivities(deps, statusSender),
      sinks: statusSinks(deps, statusSender),
      ...CLEARANCE_WORKER_SETTINGS,
      ...options.overrides?.workflow,
    }),
  ];
  const agencyActivities = createAgencyActivities(deps);
  for (const agency of options.agencies ?? registry.agencies.map((a) => a.code)) {
    workers.push(
      await Worker.create({
        connection,
        namespace: config.temporalNamespace,
        taskQueue: agencyTaskQueue(config, agency),
        activities: agencyActivities,
        ...AGENCY_WORKER_SETTINGS,
        ...options.overrides?.activity,
      }),
    );
  }
  logger.info({ taskQueues: workers.map((w) => w.options.taskQueue) }, 'temporal workers started');
  const done = Promise.all(workers.map((w) => w.run())).then(async () => {
    if (!options.producer) await producer.disconnect();
    await connection.close();
  });
  return {
    connection,
    done,
    async shutdown() {
      for (const worker of workers) if (worker.getState() === 'RUNNING') worker.shutdown();
      await done;
    },
  };
}
