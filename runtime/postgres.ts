import { Client, DatabaseError, Pool } from 'pg';
import { SCHEMA_NAME, type Config } from './config.js';
import type { Logger } from './logger.js';

/** What a process needs of the config to reach the archive's database. */
export type DatabaseConfig = Pick<Config, 'databaseUrl' | 'databaseAddress' | 'databaseExternal'>;

/**
 * The database did not answer, or answered and refused us. The message is one line that names the
 * service, where it was looked for, from which variable, and what to do, as the Kafka and Temporal
 * startup errors do (infra/stack.ts), so a process can print it as `error: <message>` and exit.
 */
export class DatabaseUnreachableError extends Error {
  override readonly name = 'DatabaseUnreachableError';
  constructor(message: string, options: { cause: unknown }) {
    super(message, options);
  }
}

/**
 * A query failed because the connection broke or could not be made: pg reports those with no
 * SQLSTATE ("Connection terminated unexpectedly", a pool's connect timeout). domain/failures.ts
 * counts it as transient, so a consumer waits for the database instead of dead-lettering.
 */
export class DatabaseUnavailableError extends Error {
  override readonly name = 'DatabaseUnavailableError';
  constructor(message: string, options: { cause: unknown }) {
    super(message, options);
  }
}

const PROGRAMMING_ERRORS = new Set(['TypeError', 'RangeError', 'ReferenceError', 'SyntaxError']);

/**
 * What a failed query means, said once for every caller: the server's own answer (a DatabaseError
 * with its SQLSTATE) and our own bugs stay as they are; anything else pg throws is about the
 * connection, and becomes DatabaseUnavailableError.
 */
export function databaseFailure(error: unknown): unknown {
  if (error instanceof DatabaseError) return error;
  if (error instanceof Error && PROGRAMMING_ERRORS.has(error.name)) return error;
  const message = error instanceof Error ? error.message : String(error);
  return new DatabaseUnavailableError(`PostgreSQL is unavailable: ${message}`, { cause: error });
}

export interface PoolOptions {
  /** The pool's search_path: a test isolates itself in a schema of its own. */
  schema?: string;
  max?: number;
  /** Shown in pg_stat_activity, so an operator can tell which process holds a connection. */
  applicationName?: string;
  /** Where errors of idle connections go (a restarted server drops them; the pool replaces them). */
  logger?: Logger;
}

/** A schema name safe to put in search_path and DDL unquoted: lower case, digits, underscores. */
export function assertSchemaName(schema: string): string {
  if (!SCHEMA_NAME.test(schema)) {
    throw new Error(`schema name "${schema}" must match ${SCHEMA_NAME.source} (lower case, digits, _)`);
  }
  return schema;
}

/** A pool on DATABASE_URL. It connects lazily; openDatabase also proves the database answers. */
export function createPool(config: Pick<Config, 'databaseUrl'>, options: PoolOptions = {}): Pool {
  const pool = new Pool({
    connectionString: config.databaseUrl,
    max: options.max ?? 10,
    connectionTimeoutMillis: 5_000,
    application_name: options.applicationName ?? 'ventanilla',
    // A startup parameter rather than a `SET` after connecting: every connection the pool ever
    // opens has it, including those it opens again after the server restarted.
    options: options.schema ? `-c search_path=${assertSchemaName(options.schema)}` : undefined,
  });
  // Without a listener, the error of an idle connection (the server restarted) would crash the process.
  pool.on('error', (error) =>
    options.logger?.warn({ err: error }, 'an idle PostgreSQL connection failed; the pool opens a new one'),
  );
  return pool;
}

/** A pool whose database answered one connection, or DatabaseUnreachableError saying what to do. */
export async function openDatabase(config: DatabaseConfig, options: PoolOptions = {}): Promise<Pool> {
  const pool = createPool(config, options);
  try {
    (await pool.connect()).release();
    return pool;
  } catch (error) {
    await pool.end().catch(() => undefined);
    throw new DatabaseUnreachableError(unreachableMessage(config, error), { cause: error });
  }
}

/** The server's version (`17.5`) if the database answers within `timeoutMs`, else undefined. */
export async function databaseVersion(databaseUrl: string, timeoutMs = 1000): Promise<string | undefined> {
  const client = new Client({ connectionString: databaseUrl, connectionTimeoutMillis: timeoutMs });
  try {
    await client.connect();
    const result = await client.query<{ server_version: string }>('show server_version');
    return result.rows[0]?.server_version.split(' ')[0];
  } catch {
    return undefined;
  } finally {
    await client.end().catch(() => undefined);
  }
}

/** SQLSTATE 57P03: the server is starting or stopping; to a caller that is not answering yet. */
const CANNOT_CONNECT_NOW = '57P03';

/**
 * One line for a failed connection. A server that answered with an error (a wrong password, a
 * missing database) is told apart from one that did not answer at all, because the fixes differ.
 */
export function unreachableMessage(config: DatabaseConfig, error: unknown): string {
  const at = config.databaseAddress;
  const refused = error instanceof DatabaseError && error.code !== CANNOT_CONNECT_NOW;
  if (config.databaseExternal) {
    return refused
      ? `PostgreSQL at ${at} refused the connection: ${error.message} (DATABASE_URL). Check the user, password and database in DATABASE_URL.`
      : `PostgreSQL does not answer at ${at} (DATABASE_URL). Point DATABASE_URL at a running PostgreSQL, or unset it to use the local stack ("npm run stack:up" starts it).`;
  }
  return refused
    ? `PostgreSQL at ${at} (the local stack) refused the connection: ${error.message}. Run "npm run stack:up", which creates the database, or set DATABASE_URL.`
    : `PostgreSQL does not answer at ${at} (the local stack; DATABASE_URL is not set). Start it with "npm run stack:up", or set DATABASE_URL to a running PostgreSQL.`;
}
