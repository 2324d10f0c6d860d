import { join } from 'node:path';
import { DEFAULT_DATABASE_URL, type Config } from '../runtime/config.js';
import { databaseVersion } from '../runtime/postgres.js';
import type { Say } from './installer.js';
import { ServiceUnreachableError, withStackLock } from './processes.js';
import { kafkaHealthy, kafkaPid, installKafka, startKafkaNode, stopKafkaNode } from './kafka.node.js';
import { installPostgres, postgresPid, startPostgresNode, stopPostgresNode } from './postgres.node.js';
import {
  stackPaths,
  KAFKA_VERSION,
  POSTGRES_VERSION,
  TEMPORAL_CLI_VERSION,
  type KafkaNodeSettings,
  type PostgresNodeSettings,
  type TemporalNodeSettings,
} from './stack-settings.js';
import {
  installTemporal,
  startTemporalNode,
  stopTemporalNode,
  temporalHealthy,
  temporalPid,
} from './temporal.node.js';

export type ServiceName = 'kafka' | 'temporal' | 'postgres';

export interface ServiceStatus {
  service: ServiceName;
  address: string;
  /** `local`: this stack runs it; `external`: given by KAFKA_BROKERS / TEMPORAL_ADDRESS / DATABASE_URL. */
  managedBy: 'local' | 'external';
  version: string;
  healthy: boolean;
  pid: number | undefined;
}

export interface StackStatus {
  kafka: ServiceStatus;
  temporal: ServiceStatus;
  postgres: ServiceStatus & {
    /** The local cluster's folder (under VENTANILLA_HOME, or root's relocation); absent when external. */
    dataDir?: string;
  };
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

/** The local PostgreSQL, as DEFAULT_DATABASE_URL names it: the one place its address and user live. */
export function localPostgresSettings(): PostgresNodeSettings {
  const url = new URL(DEFAULT_DATABASE_URL);
  return {
    host: url.hostname,
    port: Number(url.port),
    superuser: decodeURIComponent(url.username),
    database: decodeURIComponent(url.pathname.slice(1)),
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
  if (!config.databaseExternal) await installPostgres(paths, say);
}

/**
 * Brings up whatever is not given from outside, and returns which services this call started,
 * so that a caller (the test harness) can leave the machine as it found it. A service given from
 * outside that does not answer throws ServiceUnreachableError.
 */
export async function stackUp(config: Config, say: Say): Promise<{ started: ServiceName[] }> {
  return withStackLock(stackPaths(config.home).run, say, () => stackUpLocked(config, say));
}

async function stackUpLocked(config: Config, say: Say): Promise<{ started: ServiceName[] }> {
  const paths = stackPaths(config.home);
  const started: ServiceName[] = [];
  const before = await stackStatus(config);
  // Before anything is installed or started here: what is given from outside must answer.
  requireExternalServices([before.kafka, before.temporal, before.postgres]);
  // Install all first: a slow first run then fails early on a missing tool rather than half-way.
  await installLocked(config, say);
  if (!config.kafkaExternal && !before.kafka.healthy) {
    await startKafkaNode(paths, localKafkaSettings(config), say);
    started.push('kafka');
  }
  if (!config.temporalExternal && !before.temporal.healthy) {
    await startTemporalNode(paths, localTemporalSettings(config), say);
    started.push('temporal');
  }
  if (!config.databaseExternal && !before.postgres.healthy) {
    await startPostgresNode(paths, localPostgresSettings(), say);
    started.push('postgres');
  }
  return { started };
}

const EXTERNAL = {
  kafka: { name: 'Kafka', env: 'KAFKA_BROKERS', what: 'a running broker' },
  temporal: { name: 'Temporal', env: 'TEMPORAL_ADDRESS', what: 'a running Temporal frontend' },
  postgres: { name: 'PostgreSQL', env: 'DATABASE_URL', what: 'a running PostgreSQL' },
} as const;

/**
 * A service from KAFKA_BROKERS / TEMPORAL_ADDRESS / DATABASE_URL that did not answer its health check stops the
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

export async function stackDown(config: Config, say: Say, only?: ServiceName[]): Promise<void> {
  await withStackLock(stackPaths(config.home).run, say, () => stackDownLocked(config, say, only));
}

async function stackDownLocked(config: Config, say: Say, only?: ServiceName[]): Promise<void> {
  const paths = stackPaths(config.home);
  // Temporal first: it holds no Kafka state, and stopping it first keeps its last writes clean.
  if (!config.temporalExternal && (!only || only.includes('temporal'))) {
    say(
      (await stopTemporalNode(paths)) ? 'Stopped Temporal.' : 'Temporal was not running (from this stack).',
    );
  }
  if (!config.databaseExternal && (!only || only.includes('postgres'))) {
    say(
      (await stopPostgresNode(paths))
        ? 'Stopped PostgreSQL.'
        : 'PostgreSQL was not running (from this stack).',
    );
  }
  if (!config.kafkaExternal && (!only || only.includes('kafka'))) {
    say((await stopKafkaNode(paths)) ? 'Stopped Kafka.' : 'Kafka was not running (from this stack).');
  }
}

export async function stackStatus(config: Config): Promise<StackStatus> {
  const paths = stackPaths(config.home);
  const [kafkaOk, temporalOk, postgresVersion] = await Promise.all([
    kafkaHealthy(config.kafkaBrokers),
    temporalHealthy(config.temporalAddress, config.temporalNamespace),
    databaseVersion(config.databaseUrl),
  ]);
  return {
    kafka: serviceStatus('kafka', config.kafkaBrokers.join(','), config.kafkaExternal, {
      healthy: kafkaOk,
      version: KAFKA_VERSION,
      pid: () => kafkaPid(paths),
    }),
    temporal: serviceStatus('temporal', config.temporalAddress, config.temporalExternal, {
      healthy: temporalOk,
      version: TEMPORAL_CLI_VERSION,
      pid: () => temporalPid(paths),
    }),
    postgres: {
      ...serviceStatus('postgres', config.databaseAddress, config.databaseExternal, {
        healthy: postgresVersion !== undefined,
        // A server that answers says which version it is, external or not.
        version: `v${postgresVersion ?? POSTGRES_VERSION.split('.').slice(0, 2).join('.')}`,
        known: postgresVersion !== undefined,
        pid: () => postgresPid(paths),
      }),
      ...(config.databaseExternal ? {} : { dataDir: paths.postgresData }),
    },
    ui: config.temporalUiUrl,
    home: config.home,
  };
}

/** An external service's version is `unknown` unless it told us (`known`); a local one's is our pin. */
function serviceStatus(
  service: ServiceName,
  address: string,
  external: boolean,
  found: { healthy: boolean; version: string; known?: boolean; pid: () => number | undefined },
): ServiceStatus {
  return {
    service,
    address,
    managedBy: external ? 'external' : 'local',
    version: external && !found.known ? 'unknown' : found.version,
    healthy: found.healthy,
    pid: external ? undefined : found.pid(),
  };
}

export function logsDir(config: Config): string {
  return join(config.home, 'logs');
}
