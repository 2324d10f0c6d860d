import { randomUUID } from 'node:crypto';
import { existsSync, mkdirSync, mkdtempSync, readFileSync, renameSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { Kafka, logLevel } from 'kafkajs';
import { runInstallStep, requireTool, type Say } from './installer.js';
import {
  assertPortFree,
  healthyExistingNode,
  logFile,
  nodeHandle,
  runningPid,
  spawnDaemon,
  StackError,
  stopDaemon,
  waitUntil,
  type NodeHandle,
} from './processes.js';
import { KAFKA_VERSION, type KafkaNodeSettings, type StackPaths } from './stack-settings.js';

const POM_TEMPLATE = new URL('./kafka-broker.pom.xml', import.meta.url);
const LOG4J_CONFIG = new URL('./kafka-log4j2.properties', import.meta.url);
const NAME = 'kafka';

export function kafkaInstalled(paths: StackPaths): boolean {
  return existsSync(join(paths.kafkaLibs, `kafka_2.13-${KAFKA_VERSION}.jar`));
}

/** Fetches the broker jars with Maven into a staging folder, then renames it, so a half download never counts. */
export async function installKafka(paths: StackPaths, say: Say): Promise<void> {
  if (kafkaInstalled(paths)) return;
  requireJava();
  requireTool(
    'mvn',
    ['-v'],
    'to download the Kafka broker jars from Maven Central',
    'install Maven (Debian: apt-get install maven), or set KAFKA_BROKERS to use a running Kafka',
  );
  const work = mkdtempSync(join(tmpdir(), 'ventanilla-kafka-'));
  const staging = `${paths.kafkaLibs}.partial`;
  try {
    writeFileSync(
      join(work, 'pom.xml'),
      readFileSync(POM_TEMPLATE, 'utf8').replace('@KAFKA_VERSION@', KAFKA_VERSION),
    );
    rmSync(staging, { recursive: true, force: true });
    await runInstallStep(
      `Downloading Apache Kafka ${KAFKA_VERSION} broker jars from Maven Central (about 45 MB)`,
      'mvn',
      ['-B', '-q', 'dependency:copy-dependencies', '-DincludeScope=runtime', `-DoutputDirectory=${staging}`],
      {
        cwd: work,
        logPath: join(paths.logs, 'kafka-install.log'),
        say,
        fix: 'check the network access to Maven Central and run `npm run stack:up` again; the download resumes from ~/.m2',
      },
    );
    mkdirSync(join(paths.kafkaLibs, '..'), { recursive: true });
    rmSync(paths.kafkaLibs, { recursive: true, force: true });
    renameSync(staging, paths.kafkaLibs);
  } finally {
    rmSync(work, { recursive: true, force: true });
  }
}

function requireJava(): void {
  const version = requireTool(
    'java',
    ['-version'],
    'to run the Kafka broker',
    'install a JDK 17 or newer (Debian: apt-get install openjdk-17-jre-headless), or set KAFKA_BROKERS to use a running Kafka',
  );
  const major = Number(/version "(\d+)/.exec(version)?.[1] ?? 0);
  if (major < 17) {
    throw new StackError(
      `Kafka ${KAFKA_VERSION} needs Java 17 or newer, found Java ${major}`,
      'install a JDK 17+ and put it first on PATH',
    );
  }
}

function serverProperties(node: KafkaNodeSettings): string {
  // Single-node KRaft: this process is both broker and controller, with a static one-voter quorum.
  return [
    'process.roles=broker,controller',
    'node.id=1',
    `controller.quorum.voters=1@${node.host}:${node.controllerPort}`,
    `listeners=PLAINTEXT://${node.host}:${node.port},CONTROLLER://${node.host}:${node.controllerPort}`,
    `advertised.listeners=PLAINTEXT://${node.host}:${node.port}`,
    'controller.listener.names=CONTROLLER',
    'inter.broker.listener.name=PLAINTEXT',
    'listener.security.protocol.map=CONTROLLER:PLAINTEXT,PLAINTEXT:PLAINTEXT',
    `log.dirs=${join(node.dataDir, 'logs')}`,
    'num.partitions=3',
    'offsets.topic.replication.factor=1',
    'offsets.topic.num.partitions=10',
    'transaction.state.log.replication.factor=1',
    'transaction.state.log.min.isr=1',
    'share.coordinator.state.topic.replication.factor=1',
    'share.coordinator.state.topic.min.isr=1',
    'group.initial.rebalance.delay.ms=0',
    // Topics are created explicitly (the pipeline's topics at startup, tests' own topics per test).
    'auto.create.topics.enable=false',
    'message.max.bytes=2097152',
    '',
  ].join('\n');
}

function javaArgs(paths: StackPaths, node: KafkaNodeSettings, mainClass: string, args: string[]): string[] {
  return [
    `-Xms${Math.min(256, node.heapMb)}m`,
    `-Xmx${node.heapMb}m`,
    '-XX:+UseG1GC',
    '-XX:MaxGCPauseMillis=20',
    '-Djava.awt.headless=true',
    `-Dlog4j2.configurationFile=${fileURLToPath(LOG4J_CONFIG)}`,
    '-cp',
    `${paths.kafkaLibs}/*`,
    mainClass,
    ...args,
  ];
}

export async function kafkaHealthy(brokers: string[]): Promise<boolean> {
  const admin = new Kafka({
    clientId: 'ventanilla-health',
    brokers,
    logLevel: logLevel.NOTHING,
    connectionTimeout: 1000,
    requestTimeout: 2000,
    retry: { retries: 0 },
  }).admin();
  try {
    await admin.connect();
    const cluster = await admin.describeCluster();
    return cluster.brokers.length > 0 && cluster.controller !== null;
  } catch {
    return false;
  } finally {
    await admin.disconnect().catch(() => undefined);
  }
}

/** Starts (or finds running) a local broker with these settings; `runName` separates independent nodes. */
export async function startKafkaNode(
  paths: StackPaths,
  node: KafkaNodeSettings,
  say: Say,
  runName = NAME,
): Promise<NodeHandle> {
  const address = `${node.host}:${node.port}`;
  const log = logFile(paths.logs, runName);
  const existing = await healthyExistingNode(paths.run, paths.logs, runName, address, () =>
    kafkaHealthy([address]),
  );
  if (existing) return existing;

  await installKafka(paths, say);
  await assertPortFree(node.host, node.port, 'Kafka', 'KAFKA_BROKERS');
  await assertPortFree(node.host, node.controllerPort, 'the Kafka controller', 'KAFKA_BROKERS');
  mkdirSync(node.dataDir, { recursive: true });
  const propsFile = join(node.dataDir, 'server.properties');
  writeFileSync(propsFile, serverProperties(node));
  if (!existsSync(join(node.dataDir, 'logs', 'meta.properties'))) {
    await runInstallStep(
      'Formatting the Kafka storage (KRaft)',
      'java',
      javaArgs(paths, node, 'kafka.tools.StorageTool', [
        'format',
        '--ignore-formatted',
        '-t',
        kraftClusterId(),
        '-c',
        propsFile,
      ]),
      {
        logPath: join(paths.logs, `${runName}-format.log`),
        say,
        fix: `remove ${node.dataDir} and try again`,
      },
    );
  }
  say(`Starting Kafka ${KAFKA_VERSION} on ${address} (log: ${log})`);
  const pid = spawnDaemon({
    name: runName,
    command: 'java',
    args: javaArgs(paths, node, 'kafka.Kafka', [propsFile]),
    runDir: paths.run,
    logDir: paths.logs,
  });
  await waitUntil('Kafka', () => kafkaHealthy([address]), {
    timeoutMs: 120_000,
    isDead: () => runningPid(paths.run, runName) === undefined,
    onWait: (s) => say(`  waiting for Kafka to answer metadata requests (${s}s)`),
  });
  return nodeHandle(paths.run, paths.logs, runName, address, pid);
}

export function kafkaPid(paths: StackPaths, runName = NAME): number | undefined {
  return runningPid(paths.run, runName);
}

export async function stopKafkaNode(paths: StackPaths, runName = NAME): Promise<boolean> {
  return stopDaemon(paths.run, runName, 30_000);
}

/** KRaft cluster IDs are 16 random bytes in URL-safe base64 without padding. */
function kraftClusterId(): string {
  return Buffer.from(randomUUID().replaceAll('-', ''), 'hex').toString('base64url');
}
