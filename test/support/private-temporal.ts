import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { NodeHandle } from '../../infra/processes.js';
import { stackPaths } from '../../infra/stack-settings.js';
import { startTemporalNode } from '../../infra/temporal.node.js';
import { loadConfig } from '../../runtime/config.js';
import type { TemporalNodeSettings } from '../../infra/stack-settings.js';
import { freePort, uniqueName } from './helpers.js';

/**
 * A Temporal dev server of this test's own (ports, SQLite file), for tests that stop and restart
 * the server: the shared one stays up for every other test.
 */
export class PrivateTemporal {
  private constructor(
    private readonly home: string,
    private readonly node: TemporalNodeSettings,
    private readonly runName: string,
    private handle: NodeHandle,
  ) {}

  static async start(): Promise<PrivateTemporal> {
    const home = mkdtempSync(join(tmpdir(), 'ventanilla-temporal-'));
    const node = {
      host: '127.0.0.1',
      port: await freePort(),
      uiPort: await freePort(),
      dbFile: join(home, 'temporal.db'),
      namespace: 'default',
    };
    const runName = uniqueName('temporal');
    const handle = await startTemporalNode(PrivateTemporal.paths(home), node, () => undefined, runName);
    return new PrivateTemporal(home, node, runName, handle);
  }

  private static paths(home: string) {
    // Its own run/log/data folders, but the shared, already built Temporal CLI.
    return { ...stackPaths(home), temporalBin: stackPaths(loadConfig().home).temporalBin };
  }

  get address(): string {
    return this.handle.address;
  }

  async stop(): Promise<void> {
    await this.handle.stop();
  }

  async restart(): Promise<void> {
    this.handle = await startTemporalNode(
      PrivateTemporal.paths(this.home),
      this.node,
      () => undefined,
      this.runName,
    );
  }

  async destroy(): Promise<void> {
    await this.handle.stop();
    rmSync(this.home, { recursive: true, force: true });
  }
}
