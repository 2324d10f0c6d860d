import { createHash } from 'node:crypto';
import { readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import type { Pool, PoolClient } from 'pg';
import type { Logger } from './logger.js';
import { assertSchemaName } from './postgres.js';

/**
 * Versioned SQL migrations, applied at startup.
 *
 * The code that owns a schema keeps its `.sql` files in a folder of its own, named
 * `<version>_<name>.sql` (`0001_archive.sql`, `0002_webhooks.sql`), and calls migrate() with that
 * folder before it touches the database. Each file runs in one transaction together with its row
 * in `schema_migrations`, so a file is applied whole or not at all: a file must not hold its own
 * BEGIN/COMMIT, nor statements that cannot run in a transaction (CREATE INDEX CONCURRENTLY).
 * An applied file is never changed; its change goes into a new file.
 */

export interface Migration {
  version: number;
  name: string;
  file: string;
  sql: string;
  /** Hex SHA-256 of the file's bytes, recorded when it is applied. */
  sha256: string;
}

export interface AppliedMigration {
  version: number;
  name: string;
  sha256: string;
}

export interface MigrationResult {
  /** What this call applied, in order (empty when another process or an earlier start did). */
  applied: Migration[];
  /** Files already applied before this call. */
  alreadyApplied: number;
  /** Versions recorded in the database with no file here: a newer release applied them. */
  unknown: number[];
}

/** A migration that cannot be applied: `reason` says what happened, `fix` what to do about it. */
export class MigrationError extends Error {
  override readonly name = 'MigrationError';
  constructor(
    readonly reason: string,
    readonly fix: string,
    options?: { cause: unknown },
  ) {
    super(`${reason}\n  fix: ${fix}`, options);
  }
}

const FILE_NAME = /^(\d{4,})_([a-z0-9_]+)\.sql$/;

/** `0001_archive.sql` → version 1, name `archive`; undefined for any other name. */
export function parseMigrationFileName(file: string): { version: number; name: string } | undefined {
  const match = FILE_NAME.exec(file);
  if (!match) return undefined;
  return { version: Number(match[1]), name: match[2]! };
}

/** Every `.sql` file of `dir`, in version order; a misnamed file or a repeated version is refused. */
export function readMigrations(dir: string): Migration[] {
  const migrations: Migration[] = [];
  for (const file of readdirSync(dir).filter((f) => f.endsWith('.sql'))) {
    const parsed = parseMigrationFileName(file);
    if (!parsed) {
      throw new MigrationError(
        `${join(dir, file)} is not named <version>_<name>.sql`,
        'rename it like 0002_add_decisions.sql (at least 4 digits, then lower case, digits and _)',
      );
    }
    const bytes = readFileSync(join(dir, file));
    const sha256 = createHash('sha256').update(bytes).digest('hex');
    migrations.push({ ...parsed, file, sql: bytes.toString('utf8'), sha256 });
  }
  migrations.sort((a, b) => a.version - b.version);
  migrations.forEach((m, i) => {
    const previous = migrations[i - 1];
    if (previous?.version === m.version) {
      throw new MigrationError(
        `${previous.file} and ${m.file} in ${dir} have the same version ${m.version}`,
        'give the newer one the next free number',
      );
    }
  });
  return migrations;
}

/**
 * The migrations still to apply, given what the database records. Refuses a file changed after it
 * was applied, and an unapplied file older than an applied one (two branches picked one number,
 * or a file was added under an old one): applying it late would run the files in another order
 * here than everywhere else.
 */
export function pendingMigrations(files: Migration[], applied: AppliedMigration[]): Migration[] {
  const recorded = new Map(applied.map((a) => [a.version, a]));
  const latest = Math.max(0, ...applied.map((a) => a.version));
  const pending: Migration[] = [];
  for (const m of files) {
    const done = recorded.get(m.version);
    if (done && done.sha256 !== m.sha256) {
      throw new MigrationError(
        `migration ${m.file} was changed after it was applied (applied sha256 ${done.sha256.slice(0, 12)}…, the file now ${m.sha256.slice(0, 12)}…)`,
        `restore ${m.file} as it was applied (git log -p -- ${m.file}) and put the change in a new migration numbered after ${latest}`,
      );
    }
    if (done) continue;
    if (m.version < latest) {
      throw new MigrationError(
        `migration ${m.file} is not applied, but the later version ${latest} is`,
        `renumber ${m.file} after ${latest}`,
      );
    }
    pending.push(m);
  }
  return pending;
}

const LOCK_CLASS = `hashtext('ventanilla.schema_migrations')`;

const CREATE_TABLE = `create table if not exists schema_migrations (
  version integer constraint schema_migrations_pkey primary key,
  name text not null,
  sha256 text not null constraint schema_migrations_sha256_is_hex check (sha256 ~ '^[0-9a-f]{64}$'),
  applied_at timestamptz not null default now()
)`;

export interface MigrateOptions {
  /** The folder of `<version>_<name>.sql` files. */
  dir: string;
  /**
   * The schema to migrate (created if missing) and to leave the tables in; without it, the
   * connection's own search_path. Give the pool the same schema (createPool's `schema`).
   */
  schema?: string;
  logger?: Logger;
}

/**
 * Applies what is pending, each file in a transaction of its own, under a session advisory lock
 * per schema: a second process starting at the same moment waits for the first, then finds its
 * files recorded and applies nothing. A process that dies holding the lock loses its session, and
 * the lock with it.
 */
export async function migrate(pool: Pool, options: MigrateOptions): Promise<MigrationResult> {
  const files = readMigrations(options.dir);
  const schema = options.schema === undefined ? null : assertSchemaName(options.schema);
  const client = await pool.connect();
  try {
    const result = await migrateLocked(client, files, schema, options.logger);
    await client.query('reset search_path');
    client.release();
    return result;
  } catch (error) {
    // Closing the session also releases the lock and forgets the search_path, whatever state the
    // failure left the connection in.
    client.release(true);
    throw error;
  }
}

async function migrateLocked(
  client: PoolClient,
  files: Migration[],
  schema: string | null,
  logger: Logger | undefined,
): Promise<MigrationResult> {
  // Locked before `create schema if not exists`, which two sessions at once can fail on.
  const { rows } = await client.query<{ key: string }>(
    `select coalesce($1::text, current_schema(), '') as key`,
    [schema],
  );
  const key = rows[0]!.key;
  await client.query(`select pg_advisory_lock(${LOCK_CLASS}, hashtext($1))`, [key]);
  if (schema) await client.query(`create schema if not exists ${schema}; set search_path to ${schema}`);
  await client.query(CREATE_TABLE);
  const applied = await client.query<AppliedMigration>(
    'select version, name, sha256 from schema_migrations order by version',
  );
  const pending = pendingMigrations(files, applied.rows);
  for (const migration of pending) await applyOne(client, migration, logger);
  await client.query(`select pg_advisory_unlock(${LOCK_CLASS}, hashtext($1))`, [key]);
  const known = new Set(files.map((f) => f.version));
  return {
    applied: pending,
    alreadyApplied: files.length - pending.length,
    unknown: applied.rows.map((a) => a.version).filter((v) => !known.has(v)),
  };
}

async function applyOne(client: PoolClient, migration: Migration, logger: Logger | undefined): Promise<void> {
  await client.query('begin');
  try {
    // No parameters: the simple query protocol, which runs every statement of the file.
    await client.query(migration.sql);
    await client.query('insert into schema_migrations (version, name, sha256) values ($1, $2, $3)', [
      migration.version,
      migration.name,
      migration.sha256,
    ]);
    await client.query('commit');
  } catch (error) {
    await client.query('rollback').catch(() => undefined);
    throw new MigrationError(
      `migration ${migration.file} failed, and nothing of it was applied: ${(error as Error).message}`,
      `correct ${migration.file} (it was never applied, so it may still change) and start again`,
      { cause: error },
    );
  }
  logger?.info({ version: migration.version, file: migration.file }, 'applied a database migration');
}
