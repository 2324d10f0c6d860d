import { fileURLToPath } from 'node:url';
import type { Pool } from 'pg';
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
