import { join } from 'node:path';
import type { Config } from '../runtime/config.js';
import type { Say } from './installer.js';
import { ServiceUnreachableError, withStackLock } from './processes.js';
import { kafkaHealthy, kafkaPid, installKafka, startKafkaNode, stopKafkaNode } from './kafka.node.js';
import {
  stackPaths,
  KAFKA_VERSION,
  TEMPORAL_CLI_VERSION,
  type KafkaNodeSettings,
  type TemporalNodeSettings,
} from './stack-settings.js';
import {
  installTemporal,
  startTemporalNode,
  stopTemporalNode,
  temporalHealthy,
  temporalPid,
} from './temporal.node.js';

export interface ServiceStatus {
  service: 'kafka' | 'temporal';
  address: string;
  /** `local`: this stack runs it; `external`: given by KAFKA_BROKERS / TEMPORAL_ADDRESS. */
  managedBy: 'local' | 'external';
  version: string;
  healthy: boolean;
  pid: number | undefined;
}

export interface StackStatus {
  kafka: ServiceStatus;
  temporal: ServiceStatus;
  ui: string;
  home: string;
}

export function localKafkaSettings(config: Config): KafkaNodeSettings {
  return {
    host: '127.0.0.1',
    port: 9092,
    controllerPort: 9093,
    dataDir: stackPaths(config.home).kafkaData,
    heapMb: 512,
  };
}

export function localTemporalSettings(config: Config): TemporalNodeSettings {
  return {
    host: '127.0.0.1',
    port: 7233,
    uiPort: 8233,
    dbFile: stackPaths(config.home).temporalDb,
    namespace: config.temporalNamespace,
  };
}

/** Downloads and builds what the local stack needs, without starting anything. */
export async function stackInstall(config: Config, say: Say): Promise<void> {
  await withStackLock(stackPaths(config.home).run, say, () => installLocked(config, say));
}

async function installLocked(config: Config, say: Say): Promise<void> {
  const paths = stackPaths(config.home);
  if (!config.kafkaExternal) await installKafka(paths, say);
  if (!config.temporalExternal) await installTemporal(paths, say);
}

/**
 * Brings up whatever is not given from outside, and returns which services this call started,
 * so that a caller (the test harness) can leave the machine as it found it. A service given from
 * outside that does not answer throws ServiceUnreachableError.
 */
export async function stackUp(config: Config, say: Say): Promise<{ started: Array<'kafka' | 'temporal'> }> {
  return withStackLock(stackPaths(config.home).run, say, () => stackUpLocked(config, say));
}

async function stackUpLocked(config: Config, say: Say): Promise<{ started: Array<'kafka' | 'temporal'> }> {
  const paths = stackPaths(config.home);
  const started: Array<'kafka' | 'temporal'> = [];
  const before = await stackStatus(config);
  // Before anything is installed or started here: what is given from outside must answer.
  requireExternalServices([before.kafka, before.temporal]);
  // Install both first: a slow first run then fails early on a missing tool rather than half-way.
  await installLocked(config, say);
  if (!config.kafkaExternal && !before.kafka.healthy) {
    await startKafkaNode(paths, localKafkaSettings(config), say);
    started.push('kafka');
  }
  if (!config.temporalExternal && !before.temporal.healthy) {
    await startTemporalNode(paths, localTemporalSettings(config), say);
    started.push('temporal');
  }
  return { started };
}

const EXTERNAL = {
  kafka: { name: 'Kafka', env: 'KAFKA_BROKERS', what: 'a running broker' },
  temporal: { name: 'Temporal', env: 'TEMPORAL_ADDRESS', what: 'a running Temporal frontend' },
} as const;

/**
 * A service from KAFKA_BROKERS / TEMPORAL_ADDRESS that did not answer its health check stops the
 * caller at once, with one line per service saying where, from which variable, and what to do:
 * the clients would otherwise retry for most of a minute, printing their errors and stack traces.
 */
function requireExternalServices(services: ServiceStatus[]): void {
  const problems = services
    .filter((service) => service.managedBy === 'external' && !service.healthy)
    .map((service) => {
      const { name, env, what } = EXTERNAL[service.service];
      return `${name} does not answer at ${service.address} (${env}). Point ${env} at ${what}, or unset it to use the local stack ("npm run stack:up" starts it).`;
    });
  if (problems.length > 0) throw new ServiceUnreachableError(problems);
}

export async function stackDown(config: Config, say: Say, only?: Array<'kafka' | 'temporal'>): Promise<void> {
  await withStackLock(stackPaths(config.home).run, say, () => stackDownLocked(config, say, only));
}

async function stackDownLocked(config: Config, say: Say, only?: Array<'kafka' | 'temporal'>): Promise<void> {
  const paths = stackPaths(config.home);
  // Temporal first: it holds no Kafka state, and stopping it first keeps its last writes clean.
  if (!config.temporalExternal && (!only || only.includes('temporal'))) {
    say(
      (await stopTemporalNode(paths)) ? 'Stopped Temporal.' : 'Temporal was not running (from this stack).',
    );
  }
  if (!config.kafkaExternal && (!only || only.includes('kafka'))) {
    say((await stopKafkaNode(paths)) ? 'Stopped Kafka.' : 'Kafka was not running (from this stack).');
  }
}

function serviceHealthy(config: Config, service: 'kafka' | 'temporal'): Promise<boolean> {
  return service === 'kafka'
    ? kafkaHealthy(config.kafkaBrokers)
    : temporalHealthy(config.temporalAddress, config.temporalNamespace);
}

export async function stackStatus(config: Config): Promise<StackStatus> {
  const paths = stackPaths(config.home);
  const [kafkaOk, temporalOk] = await Promise.all([
    serviceHealthy(config, 'kafka'),
    serviceHealthy(config, 'temporal'),
  ]);
  return {
    kafka: {
      service: 'kafka',
      address: config.kafkaBrokers.join(','),
      managedBy: config.kafkaExternal ? 'external' : 'local',
      version: config.kafkaExternal ? 'unknown' : KAFKA_VERSION,
      healthy: kafkaOk,
      pid: config.kafkaExternal ? undefined : kafkaPid(paths),
    },
    temporal: {
      service: 'temporal',
      address: config.temporalAddress,
      managedBy: config.temporalExternal ? 'external' : 'local',
      version: config.temporalExternal ? 'unknown' : TEMPORAL_CLI_VERSION,
      healthy: temporalOk,
      pid: config.temporalExternal ? undefined : temporalPid(paths),
    },
    ui: config.temporalUiUrl,
    home: config.home,
  };
}

export function logsDir(config: Config): string {
  return join(config.home, 'logs');
}
