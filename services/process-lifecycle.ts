import type { Kafka } from 'kafkajs';
import { ConfigError, loadConfig, type Config } from '../runtime/config.js';
import { createKafka, ensurePipelineTopics } from '../messaging/kafka.js';
import { loadRegistry } from '../runtime/registry.js';
import { installTemporalRuntime } from '../runtime/temporal-runtime.js';
import type { Registry } from '../schemas/types.js';
import { createRootLogger, type Logger } from '../runtime/logger.js';
import { DatabaseUnreachableError } from '../runtime/postgres.js';

/**
 * A process stops within this long of SIGTERM or SIGINT, even mid-record: what is not finished by
 * then was not acknowledged, and Kafka delivers it again to whoever takes over.
 */
export const STOP_BOUND_MS = 15_000;

export interface ProcessContext {
  config: Config;
  logger: Logger;
}

/**
 * Runs a long-lived worker process: loads the configuration once, builds its pino root, and on
 * SIGTERM or SIGINT calls `stop` once and exits when it returns. A configuration error is printed
 * as one clear line, not a stack trace.
 */
export function runProcess(
  component: string,
  main: (context: ProcessContext) => Promise<() => Promise<void>>,
): void {
  let config: Config;
  try {
    config = loadConfig();
  } catch (error) {
    if (error instanceof ConfigError) {
      console.error(`${component}: configuration error: ${error.message}`);
      process.exit(2);
    }
    throw error;
  }
  const logger = createRootLogger(config.logLevel, component);
  let stopping = false;
  main({ config, logger }).then(
    (stop) => {
      const onSignal = (signal: NodeJS.Signals) => {
        if (stopping) return;
        stopping = true;
        logger.info({ signal, boundMs: STOP_BOUND_MS }, 'stopping');
        setTimeout(() => {
          logger.error(
            { boundMs: STOP_BOUND_MS },
            'did not stop in time; exiting now (unacknowledged records are delivered again)',
          );
          process.exit(1);
        }, STOP_BOUND_MS).unref();
        stop().then(
          () => process.exit(0),
          (error: unknown) => {
            logger.error({ err: error }, 'error while stopping');
            process.exit(1);
          },
        );
      };
      process.on('SIGTERM', onSignal);
      process.on('SIGINT', onSignal);
    },
    (error: unknown) => {
      // Both say in one line what is wrong and what to do: a stack trace would only bury that.
      if (error instanceof ConfigError || error instanceof DatabaseUnreachableError)
        logger.fatal(error.message);
      else logger.fatal({ err: error }, 'failed to start');
      process.exit(1);
    },
  );
}

/** What every pipeline process starts with: the registry, a Kafka client, and the topics existing. */
export async function openPipeline(
  config: Config,
  logger: Logger,
  clientId: string,
): Promise<{ registry: Registry; kafka: Kafka }> {
  const registry = loadRegistry(config);
  const kafka = createKafka(config, logger, clientId);
  await ensurePipelineTopics(kafka, config, registry);
  return { registry, kafka };
}

/**
 * A process that runs Temporal workers (and perhaps more): the SDK's logs go into pino, and the
 * process exits when a worker fails, since it can no longer do its part.
 */
export function runWorkerProcess(
  component: string,
  start: (context: ProcessContext & { registry: Registry; kafka: Kafka }) => Promise<{
    done: Promise<void>;
    stop: () => Promise<void>;
  }>,
): void {
  runProcess(component, async ({ config, logger }) => {
    installTemporalRuntime(logger);
    const { registry, kafka } = await openPipeline(config, logger, `ventanilla-${component}`);
    const running = await start({ config, logger, registry, kafka });
    running.done.catch((error: unknown) => {
      logger.fatal({ err: error }, 'a Temporal worker failed');
      process.exit(1);
    });
    return running.stop;
  });
}
