import type { Pool } from 'pg';
import { archiveQuery } from './archive-query.js';
import type { OverallStatus, StatusEvent } from '../schemas/types.js';

// What the gateway reads from the archive. Every read names the trader: a declaration of another
// trader is simply not found (design.md §11: 404, not 403).

/**
 * The declaration as far as its trader may know it: its archived row, or else the gateway's
 * submission of it while no status event is archived yet (archive/submissions.ts). One statement,
 * so one snapshot: the projector committing the first event in between cannot make it vanish.
 */
const TRADERS_OWN = `
  select d.declaration_id, d.last_event, null::timestamptz as submitted_at from declarations d
   where d.declaration_id = $1 and d.trader_tax_id = $2
  union all
  select s.declaration_id, null, s.submitted_at from submissions s
   where s.declaration_id = $1 and s.trader_tax_id = $2
     and not exists (select 1 from declarations d where d.declaration_id = $1)`;

export const LATEST_STATUS = `${TRADERS_OWN} limit 1`;

/**
 * The latest status event of the trader's declaration; or when it was submitted, if the gateway
 * has it but no event is archived yet; or undefined.
 */
export async function latestStatus(
  pool: Pool,
  trader: string,
  declarationId: string,
): Promise<{ event: StatusEvent } | { submittedAt: Date } | undefined> {
  const { rows: found } = await archiveQuery<{ last_event: StatusEvent | null; submitted_at: Date | null }>(
    pool,
    LATEST_STATUS,
    [declarationId, trader],
  );
  const row = found[0];
  if (!row) return undefined;
  return row.last_event ? { event: row.last_event } : { submittedAt: row.submitted_at! };
}

/**
 * Whose declaration it is, if the archive knows it (from its status events, else from the
 * gateway's submission of it): `undefined` when it does not (yet).
 */
export async function declarationOwner(
  pool: Pool,
  declarationId: string,
): Promise<string | null | undefined> {
  const { rows: found } = await archiveQuery<{ trader_tax_id: string | null }>(
    pool,
    `select trader_tax_id from (
       select trader_tax_id, 0 as rank from declarations where declaration_id = $1
       union all
       select trader_tax_id, 1 from submissions where declaration_id = $1
     ) known order by rank limit 1`,
    [declarationId],
  );
  return found.length ? found[0]!.trader_tax_id : undefined;
}

/**
 * $1 declarationId, $2 trader, $3 after this sequence, $4 at most this many. `e.declaration_id =
 * $1`, not `= own.declaration_id`: the planner does not carry an equality out of a union, so the
 * index would be used only when the statistics favour it (on a small table it hash-joins the
 * whole of status_events). archive-plans.test.ts checks the plans.
 */
export const EVENTS_AFTER = `select e.event from (${TRADERS_OWN}) own
  left join status_events e on e.declaration_id = $1 and e.sequence > $3
  order by e.sequence limit $4`;

/**
 * The trader's declaration's events after `afterSequence`, in sequence order, at most `limit`
 * (none yet for one just submitted); undefined when the declaration is not the trader's (or not
 * known).
 */
export async function eventsAfter(
  pool: Pool,
  trader: string,
  declarationId: string,
  afterSequence = 0,
  limit = 1000,
): Promise<StatusEvent[] | undefined> {
  const { rows: found } = await archiveQuery<{ event: StatusEvent | null }>(pool, EVENTS_AFTER, [
    declarationId,
    trader,
    afterSequence,
    limit,
  ]);
  if (found.length === 0) return undefined;
  return found.flatMap((r) => (r.event ? [r.event] : []));
}

export interface DeclarationSummary {
  declarationId: string;
  status: OverallStatus;
  sequence: number;
  receivedAt: string;
  updatedAt: string;
}

/** A page of the trader's declarations, newest first, after the cursor's (first_at, id). */
export async function listDeclarations(
  pool: Pool,
  trader: string,
  filter: { status?: OverallStatus; since?: string; after?: { at: string; id: string }; limit: number },
): Promise<DeclarationSummary[]> {
  const { rows: found } = await archiveQuery<{
    declaration_id: string;
    status: OverallStatus;
    last_sequence: string;
    first_at: Date;
    updated_at: Date;
  }>(
    pool,
    `select declaration_id, status, last_sequence, first_at, updated_at from declarations
     where trader_tax_id = $1
       and ($2::text is null or status = $2)
       and ($3::timestamptz is null or first_at >= $3)
       and ($4::timestamptz is null or (first_at, declaration_id) < ($4, $5))
     order by first_at desc, declaration_id desc
     limit $6`,
    [
      trader,
      filter.status ?? null,
      filter.since ?? null,
      filter.after?.at ?? null,
      filter.after?.id ?? '',
      filter.limit,
    ],
  );
  return found.map((r) => ({
    declarationId: r.declaration_id,
    status: r.status,
    sequence: Number(r.last_sequence),
    receivedAt: r.first_at.toISOString(),
    updatedAt: r.updated_at.toISOString(),
  }));
}
