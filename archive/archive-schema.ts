import { fileURLToPath } from 'node:url';
import type { Pool } from 'pg';
import type { DatabaseConfig } from '../runtime/postgres.js';
import { openDatabase } from '../runtime/postgres.js';
import type { Config } from '../runtime/config.js';
import type { Logger } from '../runtime/logger.js';
import { migrate, type MigrationResult } from '../runtime/migrations.js';

/** The archive's versioned SQL files (copied next to the build by scripts/build.ts). */
export const ARCHIVE_MIGRATIONS = fileURLToPath(new URL('./migrations/', import.meta.url));

/**
 * Brings the archive's tables up to date before a process reads or writes them. Every process
 * that touches the archive calls it at startup; the runner's lock makes concurrent starts safe.
 */
export function migrateArchive(
  pool: Pool,
  options: { schema?: string; logger?: Logger } = {},
): Promise<MigrationResult> {
  return migrate(pool, { dir: ARCHIVE_MIGRATIONS, ...options });
}

/**
 * A pool on the archive (config.databaseSchema, or the connection's own), its tables up to date:
 * what every process that reads or writes the archive starts with.
 */
export async function openArchive(
  config: DatabaseConfig & Pick<Config, 'databaseSchema'>,
  options: { applicationName: string; logger?: Logger; max?: number },
): Promise<{ pool: Pool; migrated: MigrationResult }> {
  const schema = config.databaseSchema;
  const pool = await openDatabase(config, { schema, ...options });
  try {
    return { pool, migrated: await migrateArchive(pool, { schema, logger: options.logger }) };
  } catch (error) {
    await pool.end().catch(() => undefined);
    throw error;
  }
}
