import type { Pool } from 'pg';
import { archiveQuery, RELAXED_COMMIT } from './archive-query.js';

// Declarations the gateway has accepted whose first status event the projector has not archived
// yet (migrations/0004_submissions.sql); archive-reads.ts answers for them. The first trader to
// submit an id holds it here; intake settles the rest (a duplicate with other content is
// reported to its sender).

/** Notes that the trader's declaration is on trade.declarations; a second submission changes nothing. */
export async function recordSubmission(pool: Pool, declarationId: string, trader: string): Promise<void> {
  await archiveQuery(
    pool,
    // A hint, not a record: should a crash forget it, the statusUrl answers 404 for the moment
    // until the projector archives the first event. Not worth a WAL flush per submission.
    `${RELAXED_COMMIT}
     insert into submissions (declaration_id, trader_tax_id) select $1, $2 from relaxed
     on conflict (declaration_id) do nothing`,
    [declarationId, trader],
  );
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
