import { spawn, type ChildProcess } from 'node:child_process';
import { mkdtempSync, openSync, closeSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import { stackPaths } from '../infra/stack-settings.js';
import { freePort } from '../infra/processes.js';
import {
  installTemporal,
  searchAttributeArgs,
  STACK_SQLITE_PRAGMAS,
  temporalHealthy,
} from '../infra/temporal.node.js';

/**
 * A Temporal dev server for this benchmark alone: the stack's own CLI build and settings, a fresh
 * SQLite file, no Web UI. Other people's tests on the shared server then neither take its CPU nor
 * its SQLite write lock from the benchmark, and its CPU is the benchmark's only. `pragmas`
 * replaces the stack's and `dynamicConfig` (KEY=VALUE, values in YAML/JSON) sets server
 * options, for experiments.
 */
export class PrivateTemporal {
  private constructor(
    readonly address: string,
    private readonly child: ChildProcess,
    private readonly dir: string,
    private readonly logFd: number,
  ) {}

  static async start(
    home: string,
    logPath: string,
    pragmas = STACK_SQLITE_PRAGMAS,
    dynamicConfig: string[] = [],
  ): Promise<PrivateTemporal> {
    const paths = stackPaths(home);
    await installTemporal(paths, () => undefined);
    const dir = mkdtempSync(join(tmpdir(), 'ventanilla-bench-temporal-'));
    const port = await freePort();
    const address = `127.0.0.1:${port}`;
    const args = [
      'server',
      'start-dev',
      '--ip',
      '127.0.0.1',
      '--port',
      String(port),
      '--headless',
      '--db-filename',
      join(dir, 'temporal.db'),
      '--namespace',
      'default',
      '--log-level',
      'warn',
      ...pragmas.flatMap((p) => ['--sqlite-pragma', p]),
      ...dynamicConfig.flatMap((kv) => ['--dynamic-config-value', kv]),
      ...searchAttributeArgs(),
    ];
    const logFd = openSync(logPath, 'a');
    const child = spawn(paths.temporalBin, args, { stdio: ['ignore', logFd, logFd] });
    const server = new PrivateTemporal(address, child, dir, logFd);
    let exited = false;
    child.once('exit', () => (exited = true));
    // A spawn failure (say, the binary is gone) arrives as an event; the health loop reports it.
    child.once('error', () => (exited = true));
    const deadline = Date.now() + 60_000;
    while (!(await temporalHealthy(address, 'default'))) {
      if (exited || Date.now() > deadline) {
        await server.stop();
        throw new Error(`the private Temporal dev server did not come up (see ${logPath})`);
      }
      await sleep(250);
    }
    return server;
  }

  get pid(): number | undefined {
    return this.child.pid;
  }

  /** Stops this server (its own child process, by pid) and removes its database. */
  async stop(): Promise<void> {
    if (this.child.pid !== undefined && this.child.exitCode === null && this.child.signalCode === null) {
      const gone = new Promise<void>((resolve) => this.child.once('exit', () => resolve()));
      this.child.kill('SIGTERM');
      const timer = setTimeout(() => this.child.kill('SIGKILL'), 10_000);
      await gone;
      clearTimeout(timer);
    }
    closeSync(this.logFd);
    rmSync(this.dir, { recursive: true, force: true });
  }
}
