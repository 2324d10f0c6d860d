import { existsSync, mkdirSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { Connection } from '@temporalio/client';
import { SEARCH_ATTRIBUTES } from '../workflows/search-attributes.js';
import { runInstallStep, requireTool, type Say } from './installer.js';
import {
  assertPortFree,
  healthyExistingNode,
  logFile,
  nodeHandle,
  runningPid,
  spawnDaemon,
  stopDaemon,
  waitUntil,
  type NodeHandle,
} from './processes.js';
import { TEMPORAL_CLI_VERSION, type StackPaths, type TemporalNodeSettings } from './stack-settings.js';

const NAME = 'temporal';

/** `temporal server start-dev` spells search attribute types in PascalCase. */
const CLI_TYPE_NAMES: Record<string, string> = {
  KEYWORD: 'Keyword',
  KEYWORD_LIST: 'KeywordList',
  TEXT: 'Text',
  INT: 'Int',
  DOUBLE: 'Double',
  BOOL: 'Bool',
  DATETIME: 'Datetime',
};

export function temporalInstalled(paths: StackPaths): boolean {
  return existsSync(paths.temporalBin);
}

export async function installTemporal(paths: StackPaths, say: Say): Promise<void> {
  if (temporalInstalled(paths)) return;
  requireTool(
    'go',
    ['version'],
    'to build the Temporal CLI (dev server)',
    'install Go 1.23 or newer (https://go.dev/doc/install), or set TEMPORAL_ADDRESS to use a running Temporal',
  );
  await runInstallStep(
    `Building the Temporal CLI ${TEMPORAL_CLI_VERSION} with go install (takes a few minutes)`,
    'go',
    ['install', `github.com/temporalio/cli/cmd/temporal@${TEMPORAL_CLI_VERSION}`],
    {
      logPath: join(paths.logs, 'temporal-install.log'),
      env: { ...process.env, GOPATH: paths.gopath, GOBIN: dirname(paths.temporalBin), GOFLAGS: '-mod=mod' },
      say,
      fix: 'check access to the Go module proxy and run `npm run stack:up` again; downloaded modules are kept',
    },
  );
}

export async function temporalHealthy(address: string, namespace: string): Promise<boolean> {
  let connection: Connection | undefined;
  try {
    connection = await Connection.connect({ address, connectTimeout: 1000 });
    const health = await connection.healthService.check({});
    if (health.status !== 1 /* SERVING */) return false;
    // The frontend answers before the dev server has registered its namespace; wait for that too.
    await connection.workflowService.describeNamespace({ namespace });
    return true;
  } catch {
    return false;
  } finally {
    await connection?.close().catch(() => undefined);
  }
}

function startDevArgs(node: TemporalNodeSettings): string[] {
  const args = [
    'server',
    'start-dev',
    '--ip',
    node.host,
    '--port',
    String(node.port),
    '--ui-port',
    String(node.uiPort),
    '--db-filename',
    node.dbFile,
    '--namespace',
    node.namespace,
    '--log-level',
    'warn',
    ...STACK_SQLITE_PRAGMAS.flatMap((pragma) => ['--sqlite-pragma', pragma]),
    ...searchAttributeArgs(),
  ];
  return args;
}

/** WAL lets visibility reads run beside history writes instead of blocking on them. */
export const STACK_SQLITE_PRAGMAS = ['journal_mode=wal', 'synchronous=normal'];

/** `--search-attribute` flags registering every key the clearance workflow uses. */
export function searchAttributeArgs(): string[] {
  return SEARCH_ATTRIBUTES.flatMap((key) => [
    '--search-attribute',
    `${key.name}=${CLI_TYPE_NAMES[key.type]}`,
  ]);
}

/** Starts (or finds running) a Temporal dev server with these settings; `runName` separates independent nodes. */
export async function startTemporalNode(
  paths: StackPaths,
  node: TemporalNodeSettings,
  say: Say,
  runName = NAME,
): Promise<NodeHandle> {
  const address = `${node.host}:${node.port}`;
  const log = logFile(paths.logs, runName);
  const existing = await healthyExistingNode(paths.run, paths.logs, runName, address, () =>
    temporalHealthy(address, node.namespace),
  );
  if (existing) return existing;

  await installTemporal(paths, say);
  await assertPortFree(node.host, node.port, 'Temporal', 'TEMPORAL_ADDRESS');
  await assertPortFree(node.host, node.uiPort, 'the Temporal Web UI', 'TEMPORAL_ADDRESS');
  mkdirSync(dirname(node.dbFile), { recursive: true });
  say(
    `Starting Temporal dev server ${TEMPORAL_CLI_VERSION} on ${address}, UI on http://${node.host}:${node.uiPort} (log: ${log})`,
  );
  const pid = spawnDaemon({
    name: runName,
    command: paths.temporalBin,
    args: startDevArgs(node),
    runDir: paths.run,
    logDir: paths.logs,
  });
  await waitUntil('Temporal', () => temporalHealthy(address, node.namespace), {
    timeoutMs: 120_000,
    isDead: () => runningPid(paths.run, runName) === undefined,
    onWait: (s) => say(`  waiting for the Temporal health check (${s}s)`),
  });
  return nodeHandle(paths.run, paths.logs, runName, address, pid);
}

export function temporalPid(paths: StackPaths, runName = NAME): number | undefined {
  return runningPid(paths.run, runName);
}

export async function stopTemporalNode(paths: StackPaths, runName = NAME): Promise<boolean> {
  return stopDaemon(paths.run, runName);
}
