import { spawn } from 'node:child_process';
import { mkdirSync, openSync, readFileSync, rmSync, writeFileSync, existsSync, closeSync } from 'node:fs';
import { createConnection, createServer } from 'node:net';
import { join } from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';

/** A stack failure the user can act on: `reason` says what happened, `fix` what to do about it. */
export class StackError extends Error {
  override readonly name = 'StackError';
  constructor(
    readonly reason: string,
    readonly fix: string,
  ) {
    super(`${reason}\n  fix: ${fix}`);
  }
}

/**
 * Services given from outside (KAFKA_BROKERS, TEMPORAL_ADDRESS) that do not answer: one line
 * each, already saying what to do. Printed as `error: <message>`, the lines stay one apiece.
 */
export class ServiceUnreachableError extends Error {
  override readonly name = 'ServiceUnreachableError';
  constructor(readonly problems: string[]) {
    super(problems.join('\nerror: '));
  }
}

export interface DaemonSpec {
  /** Short name, used for the PID and log files. */
  name: string;
  command: string;
  args: string[];
  runDir: string;
  logDir: string;
  env?: NodeJS.ProcessEnv;
  cwd?: string;
  /**
   * What the process's command line holds while it runs, when `command` is a wrapper that execs it
   * (setpriv): the PID file records this, so that a later runningPid() still recognises the process.
   */
  runs?: string;
}

export function pidFile(runDir: string, name: string): string {
  return join(runDir, `${name}.pid`);
}

export function logFile(logDir: string, name: string): string {
  return join(logDir, `${name}.log`);
}

/**
 * Starts a long-running service detached from this process (its own process group, output to a
 * log file) so that `stack:up` can return and a later `stack:down` can stop it by PID.
 */
export function spawnDaemon(spec: DaemonSpec): number {
  mkdirSync(spec.runDir, { recursive: true });
  mkdirSync(spec.logDir, { recursive: true });
  const out = openSync(logFile(spec.logDir, spec.name), 'a');
  const child = spawn(spec.command, spec.args, {
    detached: true,
    stdio: ['ignore', out, out],
    env: spec.env ?? process.env,
    cwd: spec.cwd,
  });
  closeSync(out);
  if (child.pid === undefined) {
    throw new StackError(
      `could not start ${spec.command}`,
      `check that ${spec.command} is installed and executable`,
    );
  }
  child.unref();
  writeFileSync(pidFile(spec.runDir, spec.name), `${child.pid}\n${spec.runs ?? spec.command}\n`);
  return child.pid;
}

/** The PID recorded for a daemon, only if that process is still alive and still ours. */
export function runningPid(runDir: string, name: string): number | undefined {
  const file = pidFile(runDir, name);
  if (!existsSync(file)) return undefined;
  const [pidText, command] = readFileSync(file, 'utf8').split('\n');
  const pid = Number(pidText);
  if (!Number.isInteger(pid) || pid <= 0 || !isAlive(pid)) return undefined;
  // A PID can be recycled after a reboot; only claim it if it still runs the command we started.
  if (command && !readCmdline(pid).includes(command)) return undefined;
  return pid;
}

function readCmdline(pid: number): string {
  try {
    return readFileSync(`/proc/${pid}/cmdline`, 'utf8').replaceAll('\0', ' ');
  } catch {
    return '';
  }
}

export function isAlive(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch (error) {
    return (error as NodeJS.ErrnoException).code === 'EPERM';
  }
}

/** Stops a daemon we started (SIGTERM to its process group, SIGKILL after the grace period). */
export async function stopDaemon(runDir: string, name: string, graceMs = 15_000): Promise<boolean> {
  const pid = runningPid(runDir, name);
  rmSync(pidFile(runDir, name), { force: true });
  if (pid === undefined) return false;
  signalGroup(pid, 'SIGTERM');
  const deadline = Date.now() + graceMs;
  while (isAlive(pid) && Date.now() < deadline) await sleep(100);
  if (isAlive(pid)) signalGroup(pid, 'SIGKILL');
  while (isAlive(pid)) await sleep(50);
  return true;
}

function signalGroup(pid: number, signal: NodeJS.Signals): void {
  try {
    process.kill(-pid, signal);
  } catch {
    try {
      process.kill(pid, signal);
    } catch {
      // already gone
    }
  }
}

export function isPortOpen(host: string, port: number, timeoutMs = 1000): Promise<boolean> {
  return new Promise((resolve) => {
    const socket = createConnection({ host, port });
    const done = (open: boolean) => {
      socket.destroy();
      resolve(open);
    };
    socket.setTimeout(timeoutMs, () => done(false));
    socket.once('connect', () => done(true));
    socket.once('error', () => done(false));
  });
}

export async function assertPortFree(
  host: string,
  port: number,
  service: string,
  envHint: string,
): Promise<void> {
  if (await isPortOpen(host, port)) {
    throw new StackError(
      `port ${host}:${port} is already taken by a process this stack did not start, so ${service} cannot listen there`,
      `stop that process, or if it is a ${service} you want to use, set ${envHint} so that nothing is started`,
    );
  }
}

/** Polls `probe` until it returns true, printing a heartbeat so long waits never look hung. */
export async function waitUntil(
  what: string,
  probe: () => Promise<boolean>,
  options: { timeoutMs: number; onWait?: (elapsedS: number) => void; isDead?: () => boolean },
): Promise<void> {
  const started = Date.now();
  let lastTick = started;
  for (;;) {
    if (await probe()) return;
    if (options.isDead?.())
      throw new StackError(`${what} exited while starting`, 'read its log file (path above)');
    const now = Date.now();
    if (now - started > options.timeoutMs) {
      throw new StackError(
        `${what} did not become healthy within ${options.timeoutMs / 1000}s`,
        'read its log file (path above)',
      );
    }
    if (now - lastTick >= 5000) {
      lastTick = now;
      options.onWait?.(Math.round((now - started) / 1000));
    }
    await sleep(250);
  }
}

export interface NodeHandle {
  address: string;
  pid: number;
  log: string;
  stop(): Promise<void>;
}

export function nodeHandle(
  runDir: string,
  logDir: string,
  runName: string,
  address: string,
  pid: number,
): NodeHandle {
  return {
    address,
    pid,
    log: logFile(logDir, runName),
    stop: async () => void (await stopDaemon(runDir, runName)),
  };
}

/**
 * The node this stack already runs under `runName`, if it is alive and healthy; a recorded node
 * that no longer answers is stopped, so the caller starts a clean one.
 */
export async function healthyExistingNode(
  runDir: string,
  logDir: string,
  runName: string,
  address: string,
  healthy: () => Promise<boolean>,
): Promise<NodeHandle | undefined> {
  const existing = runningPid(runDir, runName);
  if (existing === undefined) return undefined;
  if (await healthy()) return nodeHandle(runDir, logDir, runName, address, existing);
  await stopDaemon(runDir, runName);
  return undefined;
}

/**
 * Serialises stack changes across processes (two test projects' setups, `npm start` beside
 * `npm test`), so two callers never download into one folder or race for one port. The lock is a
 * directory holding the owner's PID; a lock whose owner died is taken over.
 */
export async function withStackLock<T>(
  runDir: string,
  say: (line: string) => void,
  fn: () => Promise<T>,
): Promise<T> {
  const lock = join(runDir, 'stack.lock');
  mkdirSync(runDir, { recursive: true });
  const deadline = Date.now() + 20 * 60_000;
  let told = false;
  for (;;) {
    try {
      mkdirSync(lock);
      writeFileSync(join(lock, 'pid'), String(process.pid));
      break;
    } catch (error) {
      if ((error as NodeJS.ErrnoException).code !== 'EEXIST') throw error;
      const owner = Number(readFileIfExists(join(lock, 'pid')));
      if (owner && !isAlive(owner)) {
        rmSync(lock, { recursive: true, force: true });
        continue;
      }
      if (Date.now() > deadline)
        throw new StackError(
          `another process (pid ${owner}) holds ${lock}`,
          `wait for it, or remove ${lock} if no stack command runs`,
        );
      if (!told) say(`waiting for another stack command (pid ${owner || '?'}) to finish...`);
      told = true;
      await sleep(500);
    }
  }
  try {
    return await fn();
  } finally {
    rmSync(lock, { recursive: true, force: true });
  }
}

function readFileIfExists(path: string): string {
  try {
    return readFileSync(path, 'utf8');
  } catch {
    return '';
  }
}

/** A port nobody listens on right now (the OS picks it), for servers a test or benchmark runs. */
export function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const server = createServer();
    server.once('error', reject);
    server.listen(0, '127.0.0.1', () => {
      const address = server.address();
      const port = typeof address === 'object' && address ? address.port : 0;
      server.close(() => resolve(port));
    });
  });
}
