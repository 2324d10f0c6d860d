import type { Pool } from 'pg';
import { archiveQuery } from './archive-query.js';

// Declarations the gateway has accepted whose first status event the projector has not archived
// yet (migrations/0004_submissions.sql). The first trader to submit an id holds it here; intake
// settles the rest (a duplicate with other content is reported to its sender).

/** Notes that the trader's declaration is on trade.declarations; a second submission changes nothing. */
export async function recordSubmission(pool: Pool, declarationId: string, trader: string): Promise<void> {
  await archiveQuery(
    pool,
    `insert into submissions (declaration_id, trader_tax_id) values ($1, $2)
     on conflict (declaration_id) do nothing`,
    [declarationId, trader],
  );
}

/**
 * When the trader submitted this declaration, if the archive has no status event of it yet (of
 * any trader's: once one is archived, the archive's own row decides whose it is).
 */
export async function pendingSubmission(
  pool: Pool,
  trader: string,
  declarationId: string,
): Promise<Date | undefined> {
  const { rows } = await archiveQuery<{ submitted_at: Date }>(
    pool,
    `select s.submitted_at from submissions s
     where s.declaration_id = $1 and s.trader_tax_id = $2
       and not exists (select 1 from declarations d where d.declaration_id = $1)`,
    [declarationId, trader],
  );
  return rows[0]?.submitted_at;
}

/**
 * Forgets submissions whose declaration is archived, and any older than `maxAgeSeconds` (one that
 * intake dead-lettered never gets a status event of its own trader).
 */
export async function forgetSettledSubmissions(pool: Pool, maxAgeSeconds = 7 * 86_400): Promise<number> {
  const deleted = await archiveQuery(
    pool,
    `delete from submissions s
     where exists (select 1 from declarations d where d.declaration_id = s.declaration_id)
        or s.submitted_at < now() - make_interval(secs => $1)`,
    [maxAgeSeconds],
  );
  return deleted.rowCount;
}
