import { createHash } from 'node:crypto';
import type { Pool, PoolClient, QueryResultRow } from 'pg';
import { databaseFailure } from '../runtime/postgres.js';

/** Statement names by their text: the archive's statements are few and fixed. */
const names = new Map<string, string>();

function statementName(sql: string): string {
  let name = names.get(sql);
  if (!name) {
    name = `archive_${createHash('sha1').update(sql).digest('hex').slice(0, 16)}`;
    names.set(sql, name);
  }
  return name;
}

/**
 * One statement on the archive, its rows back; a failure comes out classified
 * (runtime/postgres.ts databaseFailure), so an unavailable archive is transient (a 503, a retry).
 * Each statement is prepared once per connection and then only bound and executed: PostgreSQL
 * would otherwise parse and plan it again at every call, which costs more than running it.
 */
export async function archiveQuery<R extends QueryResultRow>(
  db: Pool | PoolClient,
  sql: string,
  params: unknown[],
): Promise<{ rows: R[]; rowCount: number }> {
  try {
    const result = await db.query<R>({ name: statementName(sql), text: sql, values: params });
    return { rows: result.rows, rowCount: result.rowCount ?? 0 };
  } catch (error) {
    throw databaseFailure(error);
  }
}

/**
 * Prefix for a statement whose write need not survive a server crash: it commits without waiting
 * for the WAL flush (synchronous_commit off for its own transaction only; the setting is read at
 * commit, before a local setting is undone). The statement must select from `relaxed`.
 */
export const RELAXED_COMMIT = `with relaxed as (select set_config('synchronous_commit', 'off', true))`;
