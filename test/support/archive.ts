import { rmSync } from 'node:fs';
import { dirname, join } from 'node:path';
import type { Pool } from 'pg';
import { openArchive } from '../../archive/archive-schema.js';
import { startPostgresNode, stopPostgresNode } from '../../infra/postgres.node.js';
import { stackPaths, type StackPaths } from '../../infra/stack-settings.js';
import type { Config } from '../../runtime/config.js';
import { freePort, uniqueName } from './helpers.js';

export interface TestArchive {
  pool: Pool;
  schema: string;
  /** Ends the pool and drops the test's schema. */
  drop(): Promise<void>;
}

/** The archive in the test's own schema (config.databaseSchema, see isolatedEnv), migrated. */
export async function openTestArchive(config: Config): Promise<TestArchive> {
  const schema = config.databaseSchema!;
  const { pool } = await openArchive(config, { max: 4, applicationName: 'test-archive' });
  return {
    pool,
    schema,
    async drop() {
      await pool.query(`drop schema if exists ${schema} cascade`).catch(() => undefined);
      await pool.end();
    },
  };
}

/**
 * A PostgreSQL of one test's own (the stack's binaries, its own data directory and port), which
 * the test may stop and start without disturbing the others that share the stack's.
 */
export interface PrivatePostgres {
  databaseUrl: string;
  start(): Promise<void>;
  stop(): Promise<void>;
  /** Stops it and deletes its data. */
  remove(): Promise<void>;
}

export async function privatePostgres(home: string): Promise<PrivatePostgres> {
  const base = stackPaths(home);
  const name = uniqueName('postgres-test');
  const dataRoot = join(dirname(base.postgresData), name);
  const paths: StackPaths = {
    ...base,
    postgresData: join(dataRoot, 'data'),
    postgresSocketDir: join(dataRoot, 'run'),
  };
  const node = { host: '127.0.0.1', port: await freePort(), superuser: 'ventanilla', database: 'ventanilla' };
  const quiet = () => undefined;
  const start = async () => void (await startPostgresNode(paths, node, quiet, name));
  await start();
  return {
    databaseUrl: `postgres://${node.superuser}@${node.host}:${node.port}/${node.database}`,
    start,
    stop: async () => void (await stopPostgresNode(paths, name)),
    async remove() {
      await stopPostgresNode(paths, name);
      rmSync(dataRoot, { recursive: true, force: true });
    },
  };
}
