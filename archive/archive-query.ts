import type { Pool, PoolClient, QueryResultRow } from 'pg';
import { databaseFailure } from '../runtime/postgres.js';

/**
 * One statement on the archive, its rows back; a failure comes out classified
 * (runtime/postgres.ts databaseFailure), so an unavailable archive is transient (a 503, a retry).
 */
export async function archiveQuery<R extends QueryResultRow>(
  db: Pool | PoolClient,
  sql: string,
  params: unknown[],
): Promise<{ rows: R[]; rowCount: number }> {
  try {
    const result = await db.query<R>(sql, params);
    return { rows: result.rows, rowCount: result.rowCount ?? 0 };
  } catch (error) {
    throw databaseFailure(error);
  }
}
