import {
  chownSync,
  existsSync,
  mkdirSync,
  mkdtempSync,
  readdirSync,
  readFileSync,
  renameSync,
  rmSync,
  writeFileSync,
} from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import { Client, escapeIdentifier } from 'pg';
import { databaseVersion } from '../runtime/postgres.js';
import { runInstallStep, requireTool, type Say } from './installer.js';
import {
  asPostgresUser,
  postgresUser,
  reachableBy,
  relocatedBase,
  type PostgresUser,
} from './postgres-user.js';
import {
  assertPortFree,
  healthyExistingNode,
  isAlive,
  logFile,
  nodeHandle,
  runningPid,
  spawnDaemon,
  StackError,
  stopDaemon,
  waitUntil,
  type NodeHandle,
} from './processes.js';
import { POSTGRES_VERSION, type PostgresNodeSettings, type StackPaths } from './stack-settings.js';

const POM_TEMPLATE = new URL('./postgres-binaries.pom.xml', import.meta.url);
const NAME = 'postgres';
const NO_LOCAL = 'or set DATABASE_URL to use a running PostgreSQL';

export function postgresInstalled(paths: StackPaths): boolean {
  return existsSync(join(paths.postgresInstall, 'bin', 'postgres'));
}

/**
 * Maven fetches the jar and unpacks the .txz out of it; tar extracts that into a staging folder,
 * which is then renamed, so that a half download or extraction never counts as installed.
 */
export async function installPostgres(paths: StackPaths, say: Say): Promise<void> {
  if (postgresInstalled(paths)) return;
  requirePrerequisites();
  const work = mkdtempSync(join(tmpdir(), 'ventanilla-postgres-'));
  const staging = `${paths.postgresInstall}.partial`;
  try {
    writeFileSync(
      join(work, 'pom.xml'),
      readFileSync(POM_TEMPLATE, 'utf8').replace('@POSTGRES_VERSION@', POSTGRES_VERSION),
    );
    const jar = join(work, 'jar');
    await runInstallStep(
      `Downloading PostgreSQL ${POSTGRES_VERSION} binaries from Maven Central (about 15 MB)`,
      'mvn',
      [
        '-B',
        '-q',
        'dependency:unpack-dependencies',
        '-DincludeScope=runtime',
        '-DexcludeTransitive=true',
      ].concat(['-Dmdep.unpack.includes=*.txz', `-DoutputDirectory=${jar}`]),
      {
        cwd: work,
        logPath: join(paths.logs, 'postgres-install.log'),
        say,
        fix: 'check the network access to Maven Central and run `npm run stack:up` again; the download resumes from ~/.m2',
      },
    );
    const txz = readdirSync(jar).find((file) => file.endsWith('.txz'));
    if (!txz) throw new StackError(`the PostgreSQL jar held no .txz (in ${jar})`, `report it, ${NO_LOCAL}`);
    rmSync(staging, { recursive: true, force: true });
    // 0755: root's nobody must be able to enter it (infra/postgres-user.ts).
    mkdirSync(staging, { recursive: true, mode: 0o755 });
    await runInstallStep(
      'Unpacking the PostgreSQL binaries',
      'tar',
      ['-xJf', join(jar, txz), '-C', staging],
      {
        logPath: join(paths.logs, 'postgres-unpack.log'),
        say,
        fix: `check the free space under ${dirname(staging)} and run \`npm run stack:up\` again`,
      },
    );
    rmSync(paths.postgresInstall, { recursive: true, force: true });
    renameSync(staging, paths.postgresInstall);
  } finally {
    rmSync(work, { recursive: true, force: true });
  }
}

function requirePrerequisites(): void {
  if (process.platform !== 'linux' || process.arch !== 'x64') {
    throw new StackError(
      `the PostgreSQL binaries the stack installs are built for Linux x86-64, and this is ${process.platform} ${process.arch}`,
      'set DATABASE_URL to a running PostgreSQL 15 or newer',
    );
  }
  requireTool(
    'mvn',
    ['-v'],
    'to download the PostgreSQL binaries from Maven Central',
    `install Maven (Debian: apt-get install maven), ${NO_LOCAL}`,
  );
  requireTool(
    'xz',
    ['--version'],
    'to unpack the PostgreSQL binaries (.txz)',
    `install xz (Debian: apt-get install xz-utils), ${NO_LOCAL}`,
  );
}

/** The server's own URL (database `postgres`, which initdb makes) or the archive's. */
function nodeUrl(node: PostgresNodeSettings, database = node.database): string {
  return `postgres://${encodeURIComponent(node.superuser)}@${node.host}:${node.port}/${encodeURIComponent(database)}`;
}

export async function postgresHealthy(databaseUrl: string): Promise<boolean> {
  return (await databaseVersion(databaseUrl)) !== undefined;
}

/**
 * Starts (or finds running) the local PostgreSQL with these settings and makes sure its database
 * exists. As root it runs as nobody (infra/postgres-user.ts); `runName` separates independent nodes.
 */
export async function startPostgresNode(
  paths: StackPaths,
  node: PostgresNodeSettings,
  say: Say,
  runName = NAME,
): Promise<NodeHandle> {
  const address = `${node.host}:${node.port}`;
  const server = nodeUrl(node, 'postgres');
  const existing = await healthyExistingNode(paths.run, paths.logs, runName, address, () =>
    postgresHealthy(server),
  );
  if (existing) {
    await ensureDatabase(node);
    return existing;
  }
  await installPostgres(paths, say);
  await assertPortFree(node.host, node.port, 'PostgreSQL', 'DATABASE_URL');
  const user = postgresUser();
  if (user) {
    requireTool(
      'setpriv',
      ['--version'],
      `to run PostgreSQL as ${user.name}: it refuses to run as root`,
      `install util-linux (Debian: apt-get install util-linux), run the stack as a normal user, ${NO_LOCAL}`,
    );
  }
  prepareFolders(paths, node, user);
  await initCluster(paths, node, user, say);
  const log = logFile(paths.logs, runName);
  const as = user ? `, as ${user.name}` : '';
  say(
    `Starting PostgreSQL ${POSTGRES_VERSION} on ${address}${as} (data: ${paths.postgresData}, log: ${log})`,
  );
  const postgres = join(paths.postgresInstall, 'bin', 'postgres');
  const pid = spawnDaemon({
    name: runName,
    ...asPostgresUser(user, postgres, serverArgs(paths, node)),
    runs: postgres,
    cwd: postgresBaseOf(paths),
    runDir: paths.run,
    logDir: paths.logs,
  });
  await waitUntil('PostgreSQL', () => postgresHealthy(server), {
    timeoutMs: 60_000,
    isDead: () => runningPid(paths.run, runName) === undefined,
    onWait: (s) => say(`  waiting for PostgreSQL to accept connections (${s}s)`),
  });
  await ensureDatabase(node);
  return nodeHandle(paths.run, paths.logs, runName, address, pid);
}

function serverArgs(paths: StackPaths, node: PostgresNodeSettings): string[] {
  return [
    '-D',
    paths.postgresData,
    '-p',
    String(node.port),
    // Loopback only: the cluster trusts every connection that reaches it (see initCluster).
    '-c',
    `listen_addresses=${node.host}`,
    '-c',
    `unix_socket_directories=${paths.postgresSocketDir}`,
  ];
}

/** The folder holding postgres/, data/ and run/ for PostgreSQL (VENTANILLA_HOME or root's relocation). */
function postgresBaseOf(paths: StackPaths): string {
  return dirname(dirname(paths.postgresData));
}

/**
 * The data and socket folders, owned by the user PostgreSQL runs as, each on a path that user can
 * enter; checked rather than assumed, since a umask of 077 would leave made folders closed.
 */
function prepareFolders(paths: StackPaths, node: PostgresNodeSettings, user: PostgresUser | undefined): void {
  const base = postgresBaseOf(paths);
  const socket = join(paths.postgresSocketDir, `.s.PGSQL.${node.port}`);
  // sun_path holds 108 bytes; PostgreSQL refuses a longer socket path at start.
  if (Buffer.byteLength(socket) > 107) {
    throw new StackError(
      `the PostgreSQL socket path ${socket} is longer than the 107 bytes Unix sockets allow`,
      'set VENTANILLA_HOME to a shorter path',
    );
  }
  // Parents first: a recursive mkdir gives every folder it makes the mode of the last.
  for (const dir of [dirname(paths.postgresData), dirname(paths.postgresSocketDir)]) {
    mkdirSync(dir, { recursive: true, mode: 0o755 });
  }
  mkdirSync(paths.postgresSocketDir, { recursive: true, mode: 0o700 });
  if (!user) return;
  chownSync(paths.postgresSocketDir, user.uid, user.gid);
  if (base === relocatedBase(paths.home)) writeFileSync(join(base, 'VENTANILLA_HOME'), `${paths.home}\n`);
  for (const dir of [
    join(paths.postgresInstall, 'bin'),
    dirname(paths.postgresData),
    paths.postgresSocketDir,
  ]) {
    if (!reachableBy(user, dir)) {
      throw new StackError(
        `PostgreSQL runs as ${user.name} (it refuses root), and ${user.name} cannot enter ${dir}`,
        `let others enter the folders on its path (chmod o+x), or set VENTANILLA_HOME to a folder they can, ${NO_LOCAL}`,
      );
    }
  }
}

/**
 * initdb, once. Authentication is `trust`: the server listens on loopback only, its socket folder
 * is its user's alone, and the dev stack's Kafka and Temporal take anyone on loopback too; it
 * keeps DATABASE_URL's default free of a secret. A PostgreSQL others can reach is given by
 * DATABASE_URL, with its own password. The cluster is made in a staging folder and then renamed,
 * so that a failed initdb leaves nothing that looks initialised.
 */
async function initCluster(
  paths: StackPaths,
  node: PostgresNodeSettings,
  user: PostgresUser | undefined,
  say: Say,
): Promise<void> {
  if (existsSync(join(paths.postgresData, 'PG_VERSION'))) return;
  if (existsSync(paths.postgresData) && readdirSync(paths.postgresData).length > 0) {
    throw new StackError(
      `${paths.postgresData} exists but holds no PostgreSQL cluster (no PG_VERSION)`,
      'move it aside; the next `npm run stack:up` makes a new cluster there',
    );
  }
  const staging = `${paths.postgresData}.initdb`;
  rmSync(staging, { recursive: true, force: true });
  mkdirSync(staging, { mode: 0o700 });
  if (user) chownSync(staging, user.uid, user.gid);
  const initdb = join(paths.postgresInstall, 'bin', 'initdb');
  const args = ['-D', staging, '-U', node.superuser, '-E', 'UTF8', '--locale=C', '--auth=trust'];
  const run = asPostgresUser(user, initdb, [...args, '--no-instructions']);
  await runInstallStep('Creating the PostgreSQL cluster (initdb)', run.command, run.args, {
    cwd: postgresBaseOf(paths),
    logPath: join(paths.logs, 'postgres-initdb.log'),
    say,
    fix: 'read the log above; the next `npm run stack:up` runs initdb again from scratch',
  });
  rmSync(paths.postgresData, { recursive: true, force: true });
  renameSync(staging, paths.postgresData);
}

/** Creates the archive's database when it is missing (initdb makes only `postgres`). */
async function ensureDatabase(node: PostgresNodeSettings): Promise<void> {
  const client = new Client({ connectionString: nodeUrl(node, 'postgres'), connectionTimeoutMillis: 5000 });
  await client.connect();
  try {
    const found = await client.query('select 1 from pg_database where datname = $1', [node.database]);
    if (found.rowCount === 0) await client.query(`create database ${escapeIdentifier(node.database)}`);
  } finally {
    await client.end();
  }
}

export function postgresPid(paths: StackPaths, runName = NAME): number | undefined {
  return runningPid(paths.run, runName);
}

/**
 * Stops the PostgreSQL this stack started, by its PID. SIGINT to the postmaster is PostgreSQL's
 * fast shutdown, what `pg_ctl stop -m fast` sends: sessions end, a checkpoint is written, and it
 * exits. (SIGTERM would be the smart shutdown, which waits until every client has left.)
 */
export async function stopPostgresNode(paths: StackPaths, runName = NAME): Promise<boolean> {
  const pid = runningPid(paths.run, runName);
  if (pid === undefined) return stopDaemon(paths.run, runName);
  process.kill(pid, 'SIGINT');
  const deadline = Date.now() + 60_000;
  while (isAlive(pid) && Date.now() < deadline) await sleep(100);
  // Still up after a minute: SIGTERM, then SIGKILL; the next start recovers from the WAL.
  await stopDaemon(paths.run, runName, 5_000);
  return true;
}
